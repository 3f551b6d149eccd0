import { createInterface, type Interface } from 'node:readline';
import ora from 'ora';
import { openBrowser } from '../auth/browser.ts';
import type { LoginUi } from '../providers/subscription.ts';

/**
 * The terminal side of a login: URLs and codes on stdout, an ora spinner on stderr, the
 * system browser, and stdin for a pasted redirect URL (typed, or piped in by a script).
 * `close()` lets go of stdin once the login is over, so the process can exit.
 */
export function terminalLoginUi(): LoginUi & { close(): void } {
  let lines: Interface | undefined;
  // One iterator for the whole login: it keeps lines that arrive together (a paste, piped
  // input) for the next readLine instead of dropping them.
  let nextLines: AsyncIterator<string> | undefined;
  return {
    print: (text) => console.log(text),
    openBrowser: (url) => openBrowser(url),
    spinner: (text) => {
      const spinner = ora({ text, stream: process.stderr }).start();
      return {
        succeed: (done) => void spinner.succeed(done),
        fail: (failed) => void spinner.fail(failed),
        stop: () => void spinner.stop(),
      };
    },
    async readLine(question) {
      lines ??= createInterface({ input: process.stdin, terminal: process.stdin.isTTY === true });
      nextLines ??= lines[Symbol.asyncIterator]();
      if (process.stdin.isTTY) process.stderr.write(question);
      const next = await nextLines.next();
      // Piped stdin that ends without a line: nothing will be pasted; the callback decides.
      return next.done ? undefined : next.value;
    },
    close: () => lines?.close(),
  };
}
