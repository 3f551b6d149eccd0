import type { Credentials } from '../accounts/types.ts';
import { fetchFailureReason, type UpstreamFetch } from '../providers/http.ts';
import { TokenError } from './errors.ts';
import { isRecord } from '../core/json.ts';

/** One provider's token endpoint and how its client talks to it. */
export interface TokenEndpoint {
  url: string;
  clientId: string;
  /** Installed-app clients (Google's) ship a "secret" that is public by design; it goes in the body. */
  clientSecret?: string;
  /** Body encoding: RFC 6749's form encoding (default), or JSON where the provider wants it (Anthropic). */
  encoding?: 'form' | 'json';
  headers?: Record<string, string>;
  /** The upstream fetch (see createUpstreamFetch, for `proxy-url`). Default: the global fetch. */
  fetch?: UpstreamFetch;
  /** Default 30 s. */
  timeoutMs?: number;
}

export interface TokenSet {
  accessToken: string;
  /** After a refresh: the rotated token, or the one sent when the provider does not rotate. */
  refreshToken?: string;
  idToken?: string;
  tokenType?: string;
  scope?: string;
  /** Epoch ms, taken before the request left: an expiry counted from then errs on the early side. */
  issuedAt: number;
  /** Epoch ms, from `expires_in`; absent when the provider does not say. */
  expiresAt?: number;
  /** The whole response, for provider-specific fields (e.g. Qwen's `resource_url`). */
  raw: Record<string, unknown>;
}

export interface OAuthResponse {
  status: number;
  body: Record<string, unknown>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Errors that RFC 6749 and 8628 mean as "try again", unlike every other error code. */
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

/** Trades the authorization code from the redirect for tokens. */
export async function exchangeCode(
  endpoint: TokenEndpoint,
  grant: { code: string; redirectUri: string; codeVerifier?: string; extra?: Record<string, string> },
): Promise<TokenSet> {
  const params = {
    grant_type: 'authorization_code',
    code: grant.code,
    redirect_uri: grant.redirectUri,
    ...(grant.codeVerifier ? { code_verifier: grant.codeVerifier } : {}),
    ...grant.extra,
  };
  return requestTokens(endpoint, params, 'code exchange');
}

/**
 * Gets a new access token. Throws TokenError: `permanent` when the refresh token is dead
 * (mark the account needs-login), otherwise retry later.
 */
export async function refreshTokens(endpoint: TokenEndpoint, refreshToken: string, extra?: Record<string, string>): Promise<TokenSet> {
  const tokens = await requestTokens(endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, 'token refresh');
  // Providers that do not rotate send no refresh token: the old one stays valid.
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
}

/** A token request (client id and secret added) that ends in tokens or a TokenError; `step` names it in messages. */
async function requestTokens(endpoint: TokenEndpoint, params: Record<string, string>, step: string): Promise<TokenSet> {
  const issuedAt = Date.now();
  const response = await postOAuth(endpoint, endpoint.url, params, step);
  const tokens = readTokenSet(response, issuedAt);
  if (tokens) return tokens;
  throw tokenFailure(endpoint.url, step, response);
}

/**
 * POSTs an OAuth request (token or device-authorization endpoint) and parses the answer
 * whatever its status; throws a transient TokenError only when no answer came.
 */
export async function postOAuth(endpoint: TokenEndpoint, url: string, params: Record<string, string>, step: string): Promise<OAuthResponse> {
  const fields = {
    client_id: endpoint.clientId,
    ...(endpoint.clientSecret ? { client_secret: endpoint.clientSecret } : {}),
    ...params,
  };
  const json = endpoint.encoding === 'json';
  const doFetch = endpoint.fetch ?? fetch;
  try {
    const response = await doFetch(url, {
      method: 'POST',
      headers: {
        'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
        // GitHub answers form-encoded unless asked for JSON.
        accept: 'application/json',
        ...endpoint.headers,
      },
      body: json ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    return { status: response.status, body: parseBody(await response.text(), response.headers.get('content-type')) };
  } catch (error) {
    const reason = fetchFailureReason(error);
    throw new TokenError(`${step} could not reach ${hostOf(url)} (${reason}) — check the network and try again`, false);
  }
}

/** The tokens in a successful answer, or undefined when it is not one. */
export function readTokenSet(response: OAuthResponse, issuedAt: number): TokenSet | undefined {
  const { body } = response;
  if (response.status < 200 || response.status > 299 || typeof body.access_token !== 'string' || body.access_token === '') return undefined;
  return {
    accessToken: body.access_token,
    refreshToken: stringField(body, 'refresh_token'),
    idToken: stringField(body, 'id_token'),
    tokenType: stringField(body, 'token_type'),
    scope: stringField(body, 'scope'),
    issuedAt,
    expiresAt: expiryFrom(body.expires_in, issuedAt),
    raw: body,
  };
}

/** The OAuth error code and description, in RFC 6749's flat shape or the `{error: {code, message}}` some providers use. */
export function oauthError(body: Record<string, unknown>): { code?: string; description?: string } {
  const { error } = body;
  if (typeof error === 'string') return { code: error, description: stringField(body, 'error_description') };
  if (isRecord(error)) {
    return { code: stringField(error, 'code') ?? stringField(error, 'type'), description: stringField(error, 'message') };
  }
  return {};
}

/**
 * Permanent only when the authorization server itself refused the grant: an OAuth error
 * code (invalid_grant, a revoked or reused refresh token…) or a bare 400/401. Rate
 * limits, 5xx and answers that are not OAuth at all (an HTML page from a proxy) are
 * worth retrying.
 */
export function isPermanentFailure(status: number, code: string | undefined): boolean {
  if (status === 408 || status === 429 || status >= 500) return false;
  if (code !== undefined) return !TRANSIENT_OAUTH_ERRORS.has(code);
  return status === 400 || status === 401;
}

/** The TokenError for an answer that carries no tokens. */
export function tokenFailure(url: string, step: string, response: OAuthResponse): TokenError {
  const { code, description } = oauthError(response.body);
  const details = { status: response.status, oauthError: code };
  const host = hostOf(url);
  const reason = `${code ?? `HTTP ${response.status}`}${description ? ` (${description})` : ''}`;
  if (isPermanentFailure(response.status, code)) {
    return new TokenError(`${step} refused by ${host}: ${reason} — run the login again`, true, details);
  }
  const answer = response.status >= 200 && response.status <= 299 && !code ? 'an answer without an access token' : reason;
  return new TokenError(`${step} failed at ${host}: ${answer} — try again later`, false, details);
}

/**
 * The claims of a JWT (an id_token, or an access token that is one), or undefined when
 * it is not a JWT. Deliberately unverified: the token comes straight from the provider's
 * token endpoint over TLS, in answer to our own request, and we only read hints from it
 * (email, account id) that the provider checks again on every API call. Verifying would
 * mean fetching the provider's signing keys for no added safety.
 */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isRecord(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What to store for a login or refresh. Absent fields are left out, so that
 * `{ ...stored, ...toCredentials(refreshed) }` keeps an id_token the refresh did not resend.
 */
export function toCredentials(tokens: TokenSet, extra?: Record<string, string>): Credentials {
  const credentials: Credentials = {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
    expiresAt: tokens.expiresAt,
    issuedAt: tokens.issuedAt,
    extra,
  };
  return Object.fromEntries(Object.entries(credentials).filter(([, value]) => value !== undefined)) as Credentials;
}

/** `expires_in` counts seconds from issue. */
function expiryFrom(expiresIn: unknown, issuedAt: number): number | undefined {
  const ms = secondsToMs(expiresIn);
  return ms ? issuedAt + ms : undefined;
}

/** A duration field in seconds (`expires_in`, `interval`); some providers send it as a string. */
export function secondsToMs(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function parseBody(text: string, contentType: string | null): Record<string, unknown> {
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

function hostOf(url: string): string {
  return new URL(url).host;
}

export function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
