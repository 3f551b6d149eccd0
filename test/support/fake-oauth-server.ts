import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer to a device-code poll; once the script runs out, the user has approved. */
export type DevicePollStep = 'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied';

export interface FakeOAuthConfig {
  clientId: string;
  /** When set, /token and /device/code require it. */
  clientSecret?: string;
  /** Seconds, as sent in token responses (a string to mimic providers that send one); undefined leaves it out. */
  expiresIn: number | string | undefined;
  email: string;
  /** Extra id_token claims, e.g. `{ 'https://api.openai.com/auth': { chatgpt_account_id: 'acc-1' } }`. */
  idTokenClaims: Record<string, unknown>;
  /** New refresh token on every refresh, the old one then answers invalid_grant. Off: Google-style, none sent back. */
  rotateRefreshTokens: boolean;
  /** The body encoding /token accepts. */
  tokenEncoding: 'form' | 'json' | 'any';
  /** 400 per RFC 8628; GitHub sends its pending/slow_down errors with 200. */
  deviceErrorStatus: 200 | 400;
  /** Seconds. */
  deviceInterval: number;
  deviceExpiresIn: number;
  devicePolls: DevicePollStep[];
  /** More fields for every token response, e.g. Anthropic's `{ account: { email_address, uuid } }`. */
  extraTokenFields?: Record<string, unknown>;
}

export interface TokenRequest {
  encoding: 'form' | 'json';
  params: Record<string, string>;
  /** The request's headers (lower-case names), e.g. to check a user agent. */
  headers: IncomingHttpHeaders;
}

export interface FakeOAuthServer {
  /** e.g. http://127.0.0.1:40123; endpoints: /authorize, /token, /device/code, /userinfo. */
  url: string;
  /** Live: a test changes it to reconfigure the provider. */
  config: FakeOAuthConfig;
  /** The query of every /authorize request, oldest first. */
  authorizeRequests: URLSearchParams[];
  tokenRequests: TokenRequest[];
  deviceCodeRequests: Record<string, string>[];
  counts: { authorize: number; authorizationCode: number; refresh: number; deviceCode: number; devicePoll: number; userinfo: number };
  /** Builds an /authorize URL from the given query parameters. */
  authorizeUrl(params: Record<string, string>): string;
  /**
   * Stands in for the user in the browser on the last /authorize request: calls its
   * redirect_uri with a fresh code and its state, and returns the callback's answer.
   */
  approve(): Promise<Response>;
  /**
   * Approval whose redirect never reaches the callback server: the address a browser on
   * another machine ends on, for the user to paste.
   */
  approvedRedirectUrl(): string;
  /** As the user clicking "Deny": error=access_denied. */
  deny(): Promise<Response>;
  /** A valid code with someone else's state (a forged or stale redirect). */
  sendWrongState(): Promise<Response>;
  /** Every refresh token stops working (the user revoked access). */
  revokeRefreshTokens(): void;
  /** The next /token request gets this answer instead. */
  failNextToken(status: number, body?: Record<string, unknown>): void;
  close(): Promise<void>;
}

interface IssuedCode {
  redirectUri: string;
  challenge?: string;
}

interface DeviceGrant {
  challenge?: string;
  polls: number;
  dead?: DevicePollStep;
}

/** A loopback OAuth provider for login-flow tests: authorization code + PKCE, refresh with rotation, device flow. */
export async function startFakeOAuthServer(overrides: Partial<FakeOAuthConfig> = {}): Promise<FakeOAuthServer> {
  const config: FakeOAuthConfig = {
    clientId: 'test-client',
    expiresIn: 3600,
    email: 'user@example.com',
    idTokenClaims: {},
    rotateRefreshTokens: true,
    tokenEncoding: 'any',
    deviceErrorStatus: 400,
    deviceInterval: 5,
    deviceExpiresIn: 900,
    devicePolls: [],
    ...overrides,
  };
  const authorizeRequests: URLSearchParams[] = [];
  const tokenRequests: TokenRequest[] = [];
  const deviceCodeRequests: Record<string, string>[] = [];
  const counts = { authorize: 0, authorizationCode: 0, refresh: 0, deviceCode: 0, devicePoll: 0, userinfo: 0 };
  const codes = new Map<string, IssuedCode>();
  const devices = new Map<string, DeviceGrant>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Set<string>();
  const failures: { status: number; body: Record<string, unknown> }[] = [];
  let serial = 0;
  const next = (prefix: string) => `${prefix}-${++serial}`;

  const issueTokens = (options: { refresh: boolean }) => {
    const accessToken = next('access');
    accessTokens.add(accessToken);
    const refreshToken = options.refresh ? next('refresh') : undefined;
    if (refreshToken) refreshTokens.add(refreshToken);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: url, sub: 'user-1', aud: config.clientId, email: config.email, iat: now, exp: now + 3600, ...config.idTokenClaims };
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      ...(config.expiresIn !== undefined ? { expires_in: config.expiresIn } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      id_token: fakeJwt(claims),
      scope: 'openid email',
      ...config.extraTokenFields,
    };
  };

  const token = (params: Record<string, string>): [number, Record<string, unknown>] => {
    const failure = failures.shift();
    if (failure) return [failure.status, failure.body];
    if (params.client_id !== config.clientId) return [401, oauthError('invalid_client', 'unknown client_id')];
    if (config.clientSecret !== undefined && params.client_secret !== config.clientSecret) {
      return [401, oauthError('invalid_client', 'bad client_secret')];
    }
    switch (params.grant_type) {
      case 'authorization_code': {
        counts.authorizationCode++;
        const issued = params.code ? codes.get(params.code) : undefined;
        if (!issued) return [400, oauthError('invalid_grant', 'unknown or already used authorization code')];
        codes.delete(params.code!);
        if (params.redirect_uri !== issued.redirectUri) return [400, oauthError('invalid_grant', 'redirect_uri does not match')];
        if (!pkceMatches(issued.challenge, params.code_verifier)) return [400, oauthError('invalid_grant', 'PKCE verification failed')];
        return [200, issueTokens({ refresh: true })];
      }
      case 'refresh_token': {
        counts.refresh++;
        const old = params.refresh_token ?? '';
        if (!refreshTokens.has(old)) return [400, oauthError('invalid_grant', 'refresh token is invalid, revoked or already used')];
        if (config.rotateRefreshTokens) refreshTokens.delete(old);
        return [200, issueTokens({ refresh: config.rotateRefreshTokens })];
      }
      case 'urn:ietf:params:oauth:grant-type:device_code':
        counts.devicePoll++;
        return pollDevice(params);
      default:
        return [400, oauthError('unsupported_grant_type', `grant_type ${params.grant_type}`)];
    }
  };

  const pollDevice = (params: Record<string, string>): [number, Record<string, unknown>] => {
    const grant = params.device_code ? devices.get(params.device_code) : undefined;
    if (!grant) return [400, oauthError('invalid_grant', 'unknown device_code')];
    if (!pkceMatches(grant.challenge, params.code_verifier)) return [400, oauthError('invalid_grant', 'PKCE verification failed')];
    if (grant.dead) return [config.deviceErrorStatus, oauthError(grant.dead, grant.dead)];
    const step = config.devicePolls[grant.polls++];
    if (step === undefined) {
      devices.delete(params.device_code!);
      return [200, issueTokens({ refresh: true })];
    }
    if (step === 'expired_token' || step === 'access_denied') grant.dead = step;
    const body = oauthError(step, step);
    return [config.deviceErrorStatus, step === 'slow_down' ? { ...body, interval: config.deviceInterval + 5 } : body];
  };

  const deviceCode = (params: Record<string, string>): [number, Record<string, unknown>] => {
    counts.deviceCode++;
    deviceCodeRequests.push(params);
    if (params.client_id !== config.clientId) return [401, oauthError('invalid_client', 'unknown client_id')];
    if (params.code_challenge && params.code_challenge_method !== 'S256') return [400, oauthError('invalid_request', 'only S256 is supported')];
    const code = next('device');
    devices.set(code, { challenge: params.code_challenge, polls: 0 });
    return [
      200,
      {
        device_code: code,
        user_code: 'ABCD-1234',
        verification_uri: `${url}/device`,
        verification_uri_complete: `${url}/device?user_code=ABCD-1234`,
        expires_in: config.deviceExpiresIn,
        interval: config.deviceInterval,
      },
    ];
  };

  const server = createServer(async (req, res) => {
    const requestUrl = new URL(req.url ?? '/', url);
    if (req.method === 'GET' && requestUrl.pathname === '/authorize') {
      counts.authorize++;
      authorizeRequests.push(requestUrl.searchParams);
      const method = requestUrl.searchParams.get('code_challenge_method');
      if (requestUrl.searchParams.has('code_challenge') && method !== 'S256') return sendJson(res, 400, oauthError('invalid_request', 'only S256 is supported'));
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Fake consent page</p>');
      return;
    }
    if (req.method === 'GET' && requestUrl.pathname === '/userinfo') {
      counts.userinfo++;
      const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (!accessTokens.has(bearer)) return sendJson(res, 401, oauthError('invalid_token', 'unknown access token'));
      return sendJson(res, 200, { sub: 'user-1', email: config.email });
    }
    if (req.method === 'POST' && (requestUrl.pathname === '/token' || requestUrl.pathname === '/device/code')) {
      const { encoding, params } = await readParams(req);
      if (requestUrl.pathname === '/device/code') return sendJson(res, ...deviceCode(params));
      tokenRequests.push({ encoding, params, headers: req.headers });
      if (config.tokenEncoding !== 'any' && encoding !== config.tokenEncoding) {
        return sendJson(res, 400, oauthError('invalid_request', `expected a ${config.tokenEncoding} body`));
      }
      return sendJson(res, ...token(params));
    }
    sendJson(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** The last /authorize request's redirect_uri with the outcome of the consent screen. */
  const redirectTarget = (outcome: 'approve' | 'deny' | 'wrong-state'): URL => {
    const request = authorizeRequests.at(-1);
    if (!request) throw new Error('fake OAuth server: no /authorize request to answer');
    const redirectUri = request.get('redirect_uri') ?? '';
    const target = new URL(redirectUri);
    const state = request.get('state') ?? '';
    if (outcome === 'deny') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied access');
      target.searchParams.set('state', state);
    } else {
      const code = next('code');
      codes.set(code, { redirectUri, challenge: request.get('code_challenge') ?? undefined });
      target.searchParams.set('code', code);
      target.searchParams.set('state', outcome === 'approve' ? state : 'forged-state');
    }
    return target;
  };
  /** Calls the redirect, as the browser would after the consent screen. */
  const redirect = (outcome: 'approve' | 'deny' | 'wrong-state'): Promise<Response> => fetch(redirectTarget(outcome));

  return {
    url,
    config,
    authorizeRequests,
    tokenRequests,
    deviceCodeRequests,
    counts,
    authorizeUrl: (params) => `${url}/authorize?${new URLSearchParams(params)}`,
    approve: () => redirect('approve'),
    approvedRedirectUrl: () => redirectTarget('approve').toString(),
    deny: () => redirect('deny'),
    sendWrongState: () => redirect('wrong-state'),
    revokeRefreshTokens: () => refreshTokens.clear(),
    failNextToken: (status, body = {}) => void failures.push({ status, body }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Checked independently of src/auth/pkce.ts, so a wrong challenge there fails the tests. */
function pkceMatches(challenge: string | undefined, verifier: string | undefined): boolean {
  if (challenge === undefined) return true;
  return verifier !== undefined && createHash('sha256').update(verifier).digest('base64url') === challenge;
}

/** Shaped like a real JWT; the signature is junk since clients read id_tokens without verifying them. */
function fakeJwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.fake-signature`;
}

function oauthError(error: string, description: string): Record<string, unknown> {
  return { error, error_description: description };
}

async function readParams(req: IncomingMessage): Promise<Pick<TokenRequest, 'encoding' | 'params'>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (req.headers['content-type']?.includes('application/json')) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return { encoding: 'json', params: Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)])) };
  }
  return { encoding: 'form', params: Object.fromEntries(new URLSearchParams(text)) };
}

function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
