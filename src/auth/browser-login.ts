import type { LoginUi } from '../providers/subscription.ts';
import { startCallbackServer, parsePastedRedirect, type CallbackServer } from './callback-server.ts';
import { AuthError } from './errors.ts';
import { createPkce, randomState } from './pkce.ts';

export interface BrowserLoginOptions {
  /** The provider's authorize URL for this login (redirect URI, state and PKCE challenge filled in). */
  authorizeUrl(params: { redirectUri: string; state: string; codeChallenge?: string }): string;
  /**
   * Where the loopback server listens: the port the client registered (0: any free port),
   * or the ports it registered, tried in order until one is free; the path and host of the
   * redirect URI.
   */
  callback: { port: number | readonly number[]; path: string; redirectHost?: string };
  /** Send a PKCE challenge (S256). */
  pkce: boolean;
  ui: LoginUi;
  /** Print the URL instead of opening a browser. */
  noBrowser: boolean;
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** What the provider shows on its own screen after consent, e.g. "the code the page shows". */
  pasteHint?: string;
}

/** An authorization code, with what its exchange needs. */
export interface AuthorizationGrant {
  code: string;
  redirectUri: string;
  state: string;
  codeVerifier?: string;
}

/**
 * The authorization-code half of a browser login: a loopback server for the redirect, the
 * authorize URL opened in the browser (or printed), a spinner while the user consents, and
 * a prompt for the final redirect URL for when the browser runs on another machine.
 * Whichever answer comes first wins; `state` is checked either way. A taken callback port
 * is refused before any URL is shown.
 */
export async function authorizeInBrowser(options: BrowserLoginOptions): Promise<AuthorizationGrant> {
  const state = randomState();
  const pkce = options.pkce ? createPkce() : undefined;
  const server = await startOnFirstFreePort(options.callback, { state, timeoutMs: options.timeoutMs });
  const url = options.authorizeUrl({ redirectUri: server.redirectUri, state, codeChallenge: pkce?.challenge });
  const { ui } = options;

  const opened = !options.noBrowser && (await ui.openBrowser(url));
  ui.print(opened ? `Opened your browser. If it did not show the login page, open:\n  ${url}` : `Open this URL in a browser to log in:\n  ${url}`);
  if (!opened) {
    ui.print(
      `If that browser runs on another machine, ${options.pasteHint ?? 'copy the address it ends on (it starts with ' + server.redirectUri + ')'} and paste it here.`,
    );
  }
  // A spinner while the browser here does the work; else the paste prompt is what waits.
  const spinner = opened ? ui.spinner('Waiting for the login in the browser… (Ctrl-C to cancel)') : undefined;
  try {
    const code = await (opened ? server.code : Promise.race([server.code, pastedCode(ui, state)]));
    spinner?.succeed('Authorized in the browser');
    return { code, redirectUri: server.redirectUri, state, codeVerifier: pkce?.verifier };
  } catch (error) {
    spinner?.fail('Login failed');
    throw opened ? withPasteHint(error) : error;
  } finally {
    await server.close();
  }
}

/** The callback server on the first of the registered ports that is free; port_in_use (naming the last) when none is. */
async function startOnFirstFreePort(
  callback: BrowserLoginOptions['callback'],
  options: { state: string; timeoutMs?: number },
): Promise<CallbackServer> {
  const ports = typeof callback.port === 'number' ? [callback.port] : callback.port;
  for (const [index, port] of ports.entries()) {
    try {
      return await startCallbackServer({ ...callback, port, ...options });
    } catch (error) {
      if (!(error instanceof AuthError && error.code === 'port_in_use') || index === ports.length - 1) throw error;
    }
  }
  throw new Error('no callback port given');
}

/**
 * The code from what the user pastes; never settles when nothing can be pasted (stdin
 * closed), so the callback decides. A blank line (Enter pressed while waiting) asks again
 * rather than ending the login.
 */
function pastedCode(ui: LoginUi, state: string): Promise<string> {
  return ui.readLine('Redirect URL or code: ').then((line) => {
    if (line === undefined) return new Promise<string>(() => {});
    if (line.trim() === '') return pastedCode(ui, state);
    return parsePastedRedirect(line, state);
  });
}

/** A browser opened here whose redirect never came back may run on another machine (remote desktop): then pasting is the way. */
function withPasteHint(error: unknown): unknown {
  if (!(error instanceof AuthError) || error.code !== 'timeout') return error;
  return new AuthError('timeout', `${error.message}; if the browser runs on another machine, add --no-browser and paste the address it ends on`);
}
