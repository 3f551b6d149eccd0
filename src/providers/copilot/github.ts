/**
 * GitHub's side of a Copilot account: the long-lived GitHub token from the device login
 * buys short-lived Copilot tokens (docs/providers.md §5 "Copilot token"), and names the
 * account by its GitHub login.
 */
import { isRecord, parseJsonRecord } from '../../core/json.ts';
import type { Credentials } from '../../accounts/types.ts';
import { TokenError } from '../../auth/errors.ts';
import { secondsToMs, stringField } from '../../auth/token-client.ts';
import type { UpstreamFetch } from '../http.ts';
import type { SubscriptionSettings } from '../subscription.ts';

type Settings = SubscriptionSettings<'copilot'>;

const REQUEST_TIMEOUT_MS = 30_000;

/** What api.github.com expects from the Copilot editor plugin, with the GitHub token. */
export function githubHeaders(settings: Settings, githubToken: string): Record<string, string> {
  const { identity } = settings;
  return {
    authorization: `token ${githubToken}`,
    accept: 'application/json',
    'editor-version': identity['editor-version'],
    'editor-plugin-version': identity['editor-plugin-version'],
    'user-agent': identity['user-agent'],
    'x-github-api-version': identity['x-github-api-version'],
  };
}

/**
 * Trades the GitHub token for a Copilot token. The GitHub token stays the refresh token
 * (it does not rotate); the Copilot API host comes with each Copilot token. Throws a
 * TokenError: permanent when GitHub refuses the token (401) or the account has no
 * Copilot (403, 404), transient otherwise.
 */
export async function exchangeCopilotToken(settings: Settings, fetch: UpstreamFetch, githubToken: string): Promise<Credentials> {
  const url = settings.endpoints['copilot-token'];
  const issuedAt = Date.now();
  const { status, body } = await getJson(fetch, url, githubHeaders(settings, githubToken), 'the Copilot token exchange');
  const token = stringField(body, 'token');
  if (status !== 200 || !token) throw copilotTokenFailure(status, body);
  return {
    accessToken: token,
    refreshToken: githubToken,
    expiresAt: copilotTokenExpiry(body, issuedAt),
    issuedAt,
    extra: { apiBase: withoutTrailingSlash(copilotApiBase(body) ?? settings.endpoints.api) },
  };
}

/** The GitHub login (`octocat`), or undefined when GitHub does not say: it only names the account, so it never fails a login. */
export async function githubLogin(settings: Settings, fetch: UpstreamFetch, githubToken: string): Promise<string | undefined> {
  try {
    const { status, body } = await getJson(fetch, settings.endpoints.user, githubHeaders(settings, githubToken), 'the GitHub user lookup');
    return status === 200 ? stringField(body, 'login') : undefined;
  } catch {
    return undefined;
  }
}

/** `expires_at` is unix seconds; should it be missing, `refresh_in` (seconds from issue) still makes the token renew. */
function copilotTokenExpiry(body: Record<string, unknown>, issuedAt: number): number | undefined {
  const expiresAt = secondsToMs(body.expires_at);
  if (expiresAt) return expiresAt;
  const refreshIn = secondsToMs(body.refresh_in);
  return refreshIn ? issuedAt + refreshIn : undefined;
}

function copilotApiBase(body: Record<string, unknown>): string | undefined {
  return isRecord(body.endpoints) ? stringField(body.endpoints, 'api') : undefined;
}

function copilotTokenFailure(status: number, body: Record<string, unknown>): TokenError {
  const said = githubMessage(body);
  const reason = `HTTP ${status}${said ? `: ${said}` : ''}`;
  const details = { status };
  if (status === 401) {
    return new TokenError(`GitHub no longer accepts this login's token (${reason}); it was revoked or has expired — run the login again`, true, details);
  }
  if (status === 403 || status === 404) {
    return new TokenError(`this GitHub account has no Copilot subscription (${reason}) — log in with an account that has Copilot`, true, details);
  }
  const answer = status === 200 ? 'an answer without a Copilot token' : reason;
  return new TokenError(`the Copilot token exchange failed at GitHub (${answer}) — try again later`, false, details);
}

/** GitHub's own explanation: `error_details.message`, else the top-level `message`. */
function githubMessage(body: Record<string, unknown>): string | undefined {
  const detailed = isRecord(body.error_details) ? stringField(body.error_details, 'message') : undefined;
  return detailed ?? stringField(body, 'message');
}

/** A GET with a JSON answer (an empty record when it is not JSON); a transient TokenError when no answer came. */
async function getJson(
  fetch: UpstreamFetch,
  url: string,
  headers: Record<string, string>,
  step: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const response = await fetch(url, { method: 'GET', headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: response.status, body: parseJsonRecord(await response.text()) ?? {} };
  } catch {
    throw new TokenError(`${step} could not reach ${new URL(url).host} — check the network and try again`, false);
  }
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
