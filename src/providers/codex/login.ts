import { recordOrEmpty } from '../../core/json.ts';
import type { RefreshFn } from '../../accounts/tokens.ts';
import type { Credentials } from '../../accounts/types.ts';
import { authorizeInBrowser } from '../../auth/browser-login.ts';
import { TokenError } from '../../auth/errors.ts';
import { decodeJwtClaims, exchangeCode, refreshTokens, stringField, toCredentials, type TokenEndpoint, type TokenSet } from '../../auth/token-client.ts';
import type { UpstreamFetch } from '../http.ts';
import type { LoginContext, LoginResult, SubscriptionSettings } from '../subscription.ts';

type CodexSettings = SubscriptionSettings<'codex'>;

/** The id_token claims OpenAI puts its own account facts under. */
const AUTH_CLAIM = 'https://api.openai.com/auth';
const PROFILE_CLAIM = 'https://api.openai.com/profile';

/**
 * The token endpoint: the code exchange goes form-encoded, the refresh as JSON, each the
 * way Codex sends it.
 */
export function tokenEndpoint(settings: CodexSettings, fetch: UpstreamFetch, encoding: 'form' | 'json'): TokenEndpoint {
  return { url: settings.endpoints.token, clientId: settings.identity['client-id'], encoding, fetch };
}

/** The authorize URL with the parameters Codex sends for its simplified ChatGPT sign-in. */
export function authorizeUrl(settings: CodexSettings, params: { redirectUri: string; state: string; codeChallenge?: string }): string {
  const url = new URL(settings.endpoints.authorize);
  const query: Record<string, string> = {
    response_type: 'code',
    client_id: settings.identity['client-id'],
    redirect_uri: params.redirectUri,
    scope: settings.identity.scopes,
    ...(params.codeChallenge ? { code_challenge: params.codeChallenge, code_challenge_method: 'S256' } : {}),
    id_token_add_organizations: 'true',
    codex_cli_simplified_flow: 'true',
    state: params.state,
    originator: settings.identity.originator,
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/**
 * Who logged in, from the id_token: the e-mail, and the ChatGPT account id that every API
 * request names in its `chatgpt-account-id` header (with the plan, for people).
 */
export function accountDetails(idToken: string | undefined): { email?: string; extra: Record<string, string> } {
  const claims = (idToken && decodeJwtClaims(idToken)) || {};
  const auth = objectClaim(claims, AUTH_CLAIM);
  const ids = { accountId: stringField(auth, 'chatgpt_account_id'), planType: stringField(auth, 'chatgpt_plan_type') };
  const extra = Object.fromEntries(Object.entries(ids).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { email: stringField(claims, 'email') ?? stringField(objectClaim(claims, PROFILE_CLAIM), 'email'), extra };
}

/** What to store: `expires_in` when the answer has one, else the access token's own `exp` (it is a JWT). */
export function codexCredentials(tokens: TokenSet, extra: Record<string, string>): Credentials {
  const expiresAt = tokens.expiresAt ?? jwtExpiry(tokens.accessToken);
  return toCredentials({ ...tokens, expiresAt }, Object.keys(extra).length > 0 ? extra : undefined);
}

/** Browser login with PKCE on a callback port OpenAI registered for the client (1455, else 1457, as Codex does). */
export async function login(context: LoginContext<'codex'>): Promise<LoginResult> {
  const { settings } = context;
  const grant = await authorizeInBrowser({
    authorizeUrl: (params) => authorizeUrl(settings, params),
    callback: { port: settings.identity['callback-port'].split(',').map(Number), path: '/auth/callback', redirectHost: 'localhost' },
    pkce: true,
    ui: context.ui,
    noBrowser: context.noBrowser,
    timeoutMs: context.timeoutMs,
  });
  const tokens = await exchangeCode(tokenEndpoint(settings, context.fetch, 'form'), {
    code: grant.code,
    redirectUri: grant.redirectUri,
    codeVerifier: grant.codeVerifier,
  });
  const { email, extra } = accountDetails(tokens.idToken);
  return { credentials: codexCredentials(tokens, extra), email };
}

/**
 * A refresh_token grant. Refresh tokens rotate and a used one is refused
 * (refresh_token_reused / _expired / _invalidated): token-client reports those as permanent.
 */
export function refresher(settings: CodexSettings, fetch: UpstreamFetch): RefreshFn {
  const endpoint = tokenEndpoint(settings, fetch, 'json');
  return async (credentials) => {
    if (!credentials.refreshToken) throw new TokenError('the ChatGPT account has no refresh token — run `llm-mux login codex` again', true);
    const tokens = await refreshTokens(endpoint, credentials.refreshToken);
    // A new id_token may name a new plan; without one the stored values stay.
    return codexCredentials(tokens, accountDetails(tokens.idToken).extra);
  };
}

/** The `exp` claim of a JWT access token, in epoch ms. */
function jwtExpiry(token: string): number | undefined {
  const exp = decodeJwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

function objectClaim(claims: Record<string, unknown>, key: string): Record<string, unknown> {
  return recordOrEmpty(claims[key]);
}
