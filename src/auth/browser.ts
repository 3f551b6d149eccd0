import { spawn } from 'node:child_process';

/** How long an opener may run before we take it as having opened the page (some stay until the browser exits). */
const OPENER_GRACE_MS = 1500;

/**
 * The command that opens `url` in the user's browser, or undefined when there is nothing
 * to try: a Linux/BSD session without a display (SSH).
 */
export function browserCommand(url: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (platform === 'darwin') return ['open', url];
  // Not `cmd /c start`: cmd would cut the URL at its first `&`.
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler', url];
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return ['xdg-open', url];
}

/** Opens `url` in the browser; false (never a throw) when there is none or the opener failed. */
export function openBrowser(url: string, command = browserCommand(url)): Promise<boolean> {
  const [file, ...args] = command ?? [];
  if (!file) return Promise.resolve(false);
  return new Promise((resolve) => {
    // Own process group: a browser the opener starts must outlive a Ctrl-C of the login.
    const child = spawn(file, args, { stdio: 'ignore', detached: true, windowsHide: true });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
    setTimeout(() => {
      child.unref();
      resolve(true);
    }, OPENER_GRACE_MS).unref();
  });
}

/**
 * Opens `url` unless `noBrowser`, and prints it either way: with no browser (SSH, a
 * headless box) the user opens it elsewhere. True when a browser was opened.
 */
export async function openOrPrint(
  url: string,
  options: { noBrowser?: boolean; print?: (text: string) => void; open?: (url: string) => Promise<boolean> } = {},
): Promise<boolean> {
  const print = options.print ?? console.log;
  const opened = !options.noBrowser && (await (options.open ?? openBrowser)(url));
  print(opened ? `Opened your browser. If it did not show the login page, open:\n  ${url}` : `Open this URL in a browser to log in:\n  ${url}`);
  return opened;
}
