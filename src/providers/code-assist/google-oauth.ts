import { authorizeInBrowser } from '../../auth/browser-login.ts';
import { TokenError } from '../../auth/errors.ts';
import { exchangeCode, refreshTokens, toCredentials, type TokenEndpoint, type TokenSet } from '../../auth/token-client.ts';
import type { RefreshFn } from '../../accounts/tokens.ts';
import type { UpstreamFetch } from '../http.ts';
import type { LoginUi } from '../subscription.ts';
import { fetchGoogleEmail } from './userinfo.ts';

/** What a Google installed-app client needs from a provider's settings (gemini-cli and antigravity both have it). */
export interface GoogleClientSettings {
  endpoints: { readonly authorize: string; readonly token: string; readonly userinfo: string };
  identity: { readonly 'client-id': string; readonly 'client-secret': string; readonly scopes: string };
}

export interface GoogleLoginOptions {
  settings: GoogleClientSettings;
  fetch: UpstreamFetch;
  ui: LoginUi;
  noBrowser: boolean;
  timeoutMs?: number;
  /** The redirect the client registered: port (0: any free one), path and host. */
  callback: { port: number; path: string; redirectHost: string };
  pkce: boolean;
}

/** Google's token endpoint for this client: form-encoded, with the installed app's public secret. */
export function googleTokenEndpoint(settings: GoogleClientSettings, fetch: UpstreamFetch): TokenEndpoint {
  return { url: settings.endpoints.token, clientId: settings.identity['client-id'], clientSecret: settings.identity['client-secret'], fetch };
}

/**
 * The consent URL. `access_type=offline` asks for a refresh token and `prompt=consent`
 * makes Google send one again for an account that consented before.
 */
export function googleAuthorizeUrl(
  settings: GoogleClientSettings,
  params: { redirectUri: string; state: string; codeChallenge?: string },
): string {
  const query = new URLSearchParams({
    client_id: settings.identity['client-id'],
    redirect_uri: params.redirectUri,
    response_type: 'code',
    scope: settings.identity.scopes,
    access_type: 'offline',
    prompt: 'consent',
    state: params.state,
    ...(params.codeChallenge ? { code_challenge: params.codeChallenge, code_challenge_method: 'S256' } : {}),
  });
  return `${settings.endpoints.authorize}?${query}`;
}

/** The browser login and code exchange, then the account's e-mail: what both Google subscriptions share. */
export async function googleLogin(options: GoogleLoginOptions): Promise<{ tokens: TokenSet; email?: string }> {
  const { settings } = options;
  const grant = await authorizeInBrowser({
    authorizeUrl: (params) => googleAuthorizeUrl(settings, params),
    callback: options.callback,
    pkce: options.pkce,
    ui: options.ui,
    noBrowser: options.noBrowser,
    timeoutMs: options.timeoutMs,
  });
  const tokens = await exchangeCode(googleTokenEndpoint(settings, options.fetch), grant);
  const email = await fetchGoogleEmail(settings.endpoints.userinfo, tokens.accessToken, options.fetch);
  return { tokens, email };
}

/** Google's refresh_token grant; refresh tokens are not rotated, so the old one is kept. */
export function googleRefresher(settings: GoogleClientSettings, fetch: UpstreamFetch): RefreshFn {
  const endpoint = googleTokenEndpoint(settings, fetch);
  return async (credentials) => {
    if (!credentials.refreshToken) throw new TokenError('the account has no refresh token — run the login again', true);
    return toCredentials(await refreshTokens(endpoint, credentials.refreshToken));
  };
}
