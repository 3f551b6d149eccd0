import { recordOrEmpty } from '../../core/json.ts';
import type { RefreshFn } from '../../accounts/tokens.ts';
import { authorizeInBrowser } from '../../auth/browser-login.ts';
import { TokenError } from '../../auth/errors.ts';
import { exchangeCode, refreshTokens, stringField, toCredentials, type TokenEndpoint } from '../../auth/token-client.ts';
import type { UpstreamFetch } from '../http.ts';
import type { LoginContext, LoginResult, SubscriptionSettings } from '../subscription.ts';

type ClaudeSettings = SubscriptionSettings<'claude'>;

/** Claude Code's client accepts any loopback port; the redirect host must be the word `localhost`. */
const CALLBACK = { port: 0, path: '/callback', redirectHost: 'localhost' };

/**
 * The token endpoint as Claude Code calls it: JSON bodies, and axios's user agent, since
 * the endpoint rate-limits Claude Code's own agent string.
 */
function tokenEndpoint(settings: ClaudeSettings, fetch: UpstreamFetch): TokenEndpoint {
  return {
    url: settings.endpoints.token,
    clientId: settings.identity['client-id'],
    encoding: 'json',
    headers: { 'user-agent': settings.identity['token-user-agent'] },
    fetch,
  };
}

/** The authorize URL with the parameters Claude Code sends, `code=true` included. */
function authorizeUrl(settings: ClaudeSettings, params: { redirectUri: string; state: string; codeChallenge?: string }): string {
  const url = new URL(settings.endpoints.authorize);
  const query: Record<string, string> = {
    code: 'true',
    client_id: settings.identity['client-id'],
    response_type: 'code',
    redirect_uri: params.redirectUri,
    scope: settings.identity.scopes,
    ...(params.codeChallenge ? { code_challenge: params.codeChallenge, code_challenge_method: 'S256' } : {}),
    state: params.state,
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** Who logged in: Anthropic sends no id_token, but names the account and its organization in the token response. */
function accountDetails(raw: Record<string, unknown>): { email?: string; extra: Record<string, string> } {
  const account = section(raw, 'account');
  const ids = { 'account-uuid': stringField(account, 'uuid'), 'organization-uuid': stringField(section(raw, 'organization'), 'uuid') };
  const extra = Object.fromEntries(Object.entries(ids).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { email: stringField(account, 'email_address'), extra };
}

/** Browser login with PKCE; Anthropic's token endpoint wants the `state` back with the code. */
export async function login(context: LoginContext<'claude'>): Promise<LoginResult> {
  const { settings } = context;
  const grant = await authorizeInBrowser({
    authorizeUrl: (params) => authorizeUrl(settings, params),
    callback: CALLBACK,
    pkce: true,
    ui: context.ui,
    noBrowser: context.noBrowser,
    timeoutMs: context.timeoutMs,
  });
  const tokens = await exchangeCode(tokenEndpoint(settings, context.fetch), {
    code: grant.code,
    redirectUri: grant.redirectUri,
    codeVerifier: grant.codeVerifier,
    extra: { state: grant.state },
  });
  const { email, extra } = accountDetails(tokens.raw);
  return { credentials: toCredentials(tokens, extra), email };
}

/** A refresh_token grant; refresh tokens rotate, and refreshTokens hands back the new one. */
export function refresher(settings: ClaudeSettings, fetch: UpstreamFetch): RefreshFn {
  const endpoint = tokenEndpoint(settings, fetch);
  return async (credentials) => {
    if (!credentials.refreshToken) throw new TokenError('the Claude account has no refresh token — run the login again', true);
    return toCredentials(await refreshTokens(endpoint, credentials.refreshToken));
  };
}

/** An object member of the token response, or an empty one. */
function section(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  return recordOrEmpty(raw[key]);
}
