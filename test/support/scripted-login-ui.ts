import type { LoginUi } from '../../src/providers/subscription.ts';

/** A LoginUi standing in for the terminal: records what the login shows and opens, and pastes nothing. */
export interface ScriptedLoginUi extends LoginUi {
  printed: string[];
  opened: string[];
  /** Spinner lifecycle, e.g. `start: Waiting…`, `succeed: Login approved`. */
  spinnerEvents: string[];
}

export function scriptedLoginUi(options: { browserOpens?: boolean } = {}): ScriptedLoginUi {
  const printed: string[] = [];
  const opened: string[] = [];
  const spinnerEvents: string[] = [];
  return {
    printed,
    opened,
    spinnerEvents,
    print: (text) => void printed.push(text),
    openBrowser: async (url) => {
      opened.push(url);
      return options.browserOpens ?? true;
    },
    spinner: (text) => {
      spinnerEvents.push(`start: ${text}`);
      return {
        succeed: (done) => void spinnerEvents.push(`succeed: ${done}`),
        fail: (failed) => void spinnerEvents.push(`fail: ${failed}`),
        stop: () => void spinnerEvents.push('stop'),
      };
    },
    readLine: async () => undefined,
  };
}
