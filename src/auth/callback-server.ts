import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, describeDuration } from './errors.ts';

const DEFAULT_CALLBACK_TIMEOUT_MS = 5 * 60_000;

export interface CallbackServerOptions {
  /** The port the provider registered for its redirect URI; 0 picks a free one (providers that allow any loopback port). */
  port: number;
  /** The redirect path, e.g. `/auth/callback`. */
  path: string;
  /** The `state` sent in the authorize URL. */
  state: string;
  /** How long to wait for the browser. Default 5 minutes. */
  timeoutMs?: number;
  /** Host in the redirect URI; must be what the provider registered. Default `localhost`. */
  redirectHost?: string;
}

export interface CallbackServer {
  /** e.g. `http://localhost:1455/auth/callback`, with the real port when `port` was 0. */
  redirectUri: string;
  port: number;
  /**
   * The authorization code, or an AuthError (state_mismatch, access_denied,
   * authorization_error, invalid_redirect, timeout, cancelled). The server is closed by
   * the time it settles.
   */
  code: Promise<string>;
  /** Stops waiting, e.g. when the user pasted the redirect URL instead; `code` rejects with `cancelled`. */
  close(): Promise<void>;
}

type Outcome = { code: string } | { error: AuthError };

/**
 * Listens on 127.0.0.1 for the provider's redirect after the user approves in the browser.
 * Rejects at once with `port_in_use` when the port is taken, so the caller can say so
 * before opening a browser.
 */
export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  // Loaded here, not at start: node:http is a large module that `serve` does not otherwise need.
  const { createServer } = await import('node:http');
  const timeoutMs = options.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
  let settle!: (outcome: Outcome) => void;
  const code = new Promise<string>((resolve, reject) => {
    settle = (outcome) => ('code' in outcome ? resolve(outcome.code) : reject(outcome.error));
  });
  // A caller whose pasted URL won the race never awaits `code`; its rejection is not a crash.
  code.catch(() => {});

  let timer: NodeJS.Timeout | undefined;
  let finished: Promise<void> | undefined;
  // The first outcome wins at once; the server closes once `sent` (its page) is out.
  const finish = (outcome: Outcome, sent?: Promise<unknown>): Promise<void> => {
    finished ??= (async () => {
      clearTimeout(timer);
      await sent;
      await closeServer(server);
      settle(outcome);
    })();
    return finished;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== options.path) {
      res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('Not found');
      return;
    }
    if (finished) {
      sendPage(res, 409, 'Login already finished', 'This login is over. You can close this tab.');
      return;
    }
    const outcome = callbackOutcome(url.searchParams, options.state);
    // 'close' also comes when the browser hangs up early, which 'finish' would not.
    void finish(outcome, new Promise((resolve) => res.once('close', resolve)));
    if ('code' in outcome) sendPage(res, 200, 'Signed in to llm-mux', 'You can close this tab and return to the terminal.');
    else sendPage(res, 400, 'Login failed', `${outcome.error.message}. You can close this tab.`);
  });

  const port = await listenOnLoopback(server, options.port);
  timer = setTimeout(() => {
    const waited = describeDuration(timeoutMs);
    const message = `no login redirect arrived within ${waited} — run the login again`;
    void finish({ error: new AuthError('timeout', message) });
  }, timeoutMs);

  return {
    redirectUri: `http://${options.redirectHost ?? 'localhost'}:${port}${options.path}`,
    port,
    code,
    close: () => finish({ error: new AuthError('cancelled', 'the login was cancelled') }),
  };
}

/**
 * The code from a `code=…&state=…` / `error=…` redirect (RFC 6749 §4.1.2), once `state`
 * matches the one we sent. Throws AuthError otherwise. Shared by the callback server and
 * the pasted-URL path so both validate the same way.
 */
export function readAuthorizationResponse(params: URLSearchParams, expectedState: string): string {
  const state = params.get('state');
  const error = params.get('error');
  // Error redirects are held to `state` only when they carry one: some providers drop it
  // there, and a forged error can only cancel a login, never complete one.
  if (state !== expectedState && (error === null || state !== null)) {
    throw new AuthError(
      'state_mismatch',
      'the redirect does not belong to this login (state mismatch) — run the login again and finish it in the newest browser tab',
    );
  }
  if (error === 'access_denied') {
    throw new AuthError('access_denied', 'access was denied in the browser, so nothing was saved — run the login again to retry');
  }
  if (error !== null) {
    const description = params.get('error_description');
    throw new AuthError('authorization_error', `the provider refused the login: ${error}${description ? ` (${description})` : ''}`);
  }
  const code = params.get('code');
  if (!code) throw new AuthError('invalid_redirect', 'the redirect carries no authorization code');
  return code;
}

/**
 * For `--no-browser` (SSH): what the user pasted from the browser on another machine —
 * the full redirect URL (even without its scheme), its query string, `code#state` (as
 * Anthropic's page shows it) or the bare code. Returns the code; throws AuthError.
 */
export function parsePastedRedirect(input: string, expectedState: string): string {
  const text = input.trim();
  if (text === '') {
    throw new AuthError('invalid_redirect', 'nothing was pasted — paste the URL the browser ended on, or the code the page shows');
  }
  const params = pastedParams(text);
  // A bare code has no state to check. That is acceptable: state guards against a
  // redirect forged by someone else, and this code was copied by the user from their own browser.
  return params ? readAuthorizationResponse(params, expectedState) : text;
}

function pastedParams(text: string): URLSearchParams | undefined {
  const query = text.indexOf('?');
  if (query >= 0) return new URLSearchParams(text.slice(query + 1).replace(/#.*$/s, ''));
  if (/(?:^|&)(?:code|error)=/.test(text)) return new URLSearchParams(text);
  const hash = text.indexOf('#');
  if (hash > 0) return new URLSearchParams({ code: text.slice(0, hash), state: text.slice(hash + 1) });
  return undefined;
}

function callbackOutcome(params: URLSearchParams, expectedState: string): Outcome {
  try {
    return { code: readAuthorizationResponse(params, expectedState) };
  } catch (error) {
    if (error instanceof AuthError) return { error };
    throw error;
  }
}

function listenOnLoopback(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      reject(
        new AuthError(
          'port_in_use',
          `port ${port}, where the login redirect arrives, is in use (another login running?) — stop what uses it, then run the login again`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes the listener and any connection a browser keeps open (keep-alive, preconnects). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A self-contained page: no scripts or external resources, and no referrer, since the
 * URL it was loaded from carries the authorization code.
 */
function sendPage(res: ServerResponse, status: number, title: string, detail: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  res.end(
    '<!doctype html><html><head><meta charset="utf-8"><title>llm-mux</title>' +
      '<style>body{font:16px system-ui,sans-serif;max-width:34em;margin:4em auto;text-align:center}</style></head>' +
      `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p></body></html>`,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
