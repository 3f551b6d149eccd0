import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenError } from '../../src/auth/errors.ts';
import {
  decodeJwtClaims,
  exchangeCode,
  isPermanentFailure,
  refreshTokens,
  toCredentials,
  type TokenEndpoint,
  type TokenSet,
} from '../../src/auth/token-client.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { unusedPort } from '../support/ports.ts';

let fake: FakeOAuthServer;
let endpoint: TokenEndpoint;
beforeEach(async () => {
  fake = await startFakeOAuthServer();
  endpoint = { url: `${fake.url}/token`, clientId: fake.config.clientId };
});
afterEach(() => fake.close());

/** A finished authorization-code login against the fake, without the callback server. */
async function login(target: TokenEndpoint = endpoint): Promise<TokenSet> {
  await fetch(fake.authorizeUrl({ client_id: fake.config.clientId, redirect_uri: `${fake.url}/done`, state: 's' }));
  const code = new URL((await fake.approve()).url).searchParams.get('code')!;
  return exchangeCode(target, { code, redirectUri: `${fake.url}/done` });
}

async function failure(promise: Promise<unknown>): Promise<TokenError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TokenError);
  return error as TokenError;
}

describe('code exchange', () => {
  it('sends a form body by default and turns expires_in into an absolute expiry', async () => {
    const before = Date.now();
    const tokens = await login();
    expect(fake.tokenRequests[0]?.encoding).toBe('form');
    expect(tokens).toMatchObject({ accessToken: expect.stringMatching(/^access-/), refreshToken: expect.stringMatching(/^refresh-/), tokenType: 'Bearer' });
    expect(tokens.issuedAt).toBeGreaterThanOrEqual(before);
    expect(tokens.expiresAt).toBe(tokens.issuedAt + 3_600_000);
    expect(decodeJwtClaims(tokens.idToken!)).toMatchObject({ email: 'user@example.com', aud: 'test-client' });
  });

  it('sends JSON when the provider wants it, with the client secret and extra fields', async () => {
    fake.config.tokenEncoding = 'json';
    fake.config.clientSecret = 'public-installed-app-secret';
    const tokens = await login({ ...endpoint, encoding: 'json', clientSecret: 'public-installed-app-secret' });
    expect(tokens.accessToken).toBeTruthy();
    expect(fake.tokenRequests[0]).toMatchObject({ encoding: 'json', params: { client_secret: 'public-installed-app-secret' } });
  });

  it('reads expires_in sent as a string, and leaves the expiry out when there is none', async () => {
    fake.config.expiresIn = '7200';
    const withString = await login();
    expect(withString.expiresAt).toBe(withString.issuedAt + 7_200_000);
    fake.config.expiresIn = undefined;
    expect((await login()).expiresAt).toBeUndefined();
  });

  it('refuses a reused code as permanent', async () => {
    await fetch(fake.authorizeUrl({ client_id: 'test-client', redirect_uri: `${fake.url}/done`, state: 's' }));
    const code = new URL((await fake.approve()).url).searchParams.get('code')!;
    await exchangeCode(endpoint, { code, redirectUri: `${fake.url}/done` });
    const error = await failure(exchangeCode(endpoint, { code, redirectUri: `${fake.url}/done` }));
    expect(error.permanent).toBe(true);
    expect(error.message).toMatch(/^code exchange refused by 127\.0\.0\.1:\d+: invalid_grant \(unknown or already used authorization code\) — run the login again$/);
  });
});

describe('refresh', () => {
  it('rotates the refresh token; the old one then fails permanently with invalid_grant', async () => {
    const first = await login();
    const second = await refreshTokens(endpoint, first.refreshToken!);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(fake.tokenRequests.at(-1)?.params).toMatchObject({ grant_type: 'refresh_token', client_id: 'test-client', refresh_token: first.refreshToken });

    const error = await failure(refreshTokens(endpoint, first.refreshToken!));
    expect(error).toMatchObject({ permanent: true, details: { status: 400, oauthError: 'invalid_grant' } });
    expect(error.message).toContain('token refresh refused by');

    const third = await refreshTokens(endpoint, second.refreshToken!);
    expect(third.refreshToken).not.toBe(second.refreshToken);
    expect(fake.counts.refresh).toBe(3);
  });

  it('keeps the refresh token when the provider does not rotate', async () => {
    fake.config.rotateRefreshTokens = false;
    const first = await login();
    const second = await refreshTokens(endpoint, first.refreshToken!);
    expect(second.refreshToken).toBe(first.refreshToken);
    expect(second.raw.refresh_token).toBeUndefined();
  });

  it('treats a revoked grant as permanent', async () => {
    const first = await login();
    fake.revokeRefreshTokens();
    expect((await failure(refreshTokens(endpoint, first.refreshToken!))).permanent).toBe(true);
  });

  it('treats 5xx and rate limits as transient, even with an error code', async () => {
    const first = await login();
    fake.failNextToken(503, { error: 'temporarily_unavailable' });
    const unavailable = await failure(refreshTokens(endpoint, first.refreshToken!));
    expect(unavailable).toMatchObject({ permanent: false, details: { status: 503 } });
    expect(unavailable.message).toMatch(/^token refresh failed at 127\.0\.0\.1:\d+: temporarily_unavailable — try again later$/);
    fake.failNextToken(429, { error: 'rate_limit_exceeded' });
    expect((await failure(refreshTokens(endpoint, first.refreshToken!))).permanent).toBe(false);
    // The token survived both failures.
    expect((await refreshTokens(endpoint, first.refreshToken!)).accessToken).toBeTruthy();
  });

  it("reads OpenAI's nested error shape", async () => {
    fake.failNextToken(401, { error: { code: 'refresh_token_reused', message: 'already used' } });
    const error = await failure(refreshTokens(endpoint, 'whatever'));
    expect(error).toMatchObject({ permanent: true, details: { oauthError: 'refresh_token_reused' } });
    expect(error.message).toContain('refresh_token_reused (already used)');
  });

  it('is transient when the endpoint cannot be reached or does not answer in time', async () => {
    const closedPort = await unusedPort();
    const unreachable = await failure(refreshTokens({ ...endpoint, url: `http://127.0.0.1:${closedPort}/token` }, 'rt'));
    expect(unreachable.permanent).toBe(false);
    expect(unreachable.message).toBe(`token refresh could not reach 127.0.0.1:${closedPort} (ECONNREFUSED) — check the network and try again`);

    const silent = await silentServer();
    try {
      const { port } = silent.server.address() as AddressInfo;
      const timedOut = await failure(refreshTokens({ ...endpoint, url: `http://127.0.0.1:${port}/token`, timeoutMs: 50 }, 'rt'));
      expect(timedOut.permanent).toBe(false);
      expect(timedOut.message).toContain('(timed out)');
    } finally {
      silent.close();
    }
  });
});

describe('failure classification', () => {
  it.each([
    [400, 'invalid_grant', true],
    [401, 'invalid_client', true],
    [200, 'bad_refresh_token', true],
    [400, undefined, true],
    [401, undefined, true],
    [400, 'temporarily_unavailable', false],
    [403, undefined, false],
    [200, undefined, false],
    [408, undefined, false],
    [429, 'invalid_grant', false],
    [500, 'invalid_grant', false],
    [502, undefined, false],
  ] as const)('HTTP %i with %s: permanent %s', (status, code, permanent) => {
    expect(isPermanentFailure(status, code)).toBe(permanent);
  });
});

describe('JWT claims and credentials', () => {
  it('decodes claims without verifying, and gives up on anything that is not a JWT', () => {
    const payload = Buffer.from(JSON.stringify({ email: 'a@b.c' })).toString('base64url');
    expect(decodeJwtClaims(`h.${payload}.sig`)).toEqual({ email: 'a@b.c' });
    expect(decodeJwtClaims('opaque-token')).toBeUndefined();
    expect(decodeJwtClaims('h.not-json.sig')).toBeUndefined();
    expect(decodeJwtClaims(`h.${Buffer.from('[1]').toString('base64url')}.sig`)).toBeUndefined();
  });

  it('maps tokens to Credentials so that a refresh merges over the stored ones', () => {
    const stored = toCredentials({ accessToken: 'a1', refreshToken: 'r1', idToken: 'id1', issuedAt: 1, expiresAt: 2, raw: {} }, { accountId: 'x' });
    const refreshed = toCredentials({ accessToken: 'a2', refreshToken: 'r2', issuedAt: 3, raw: {} });
    expect(refreshed).toEqual({ accessToken: 'a2', refreshToken: 'r2', issuedAt: 3 });
    expect({ ...stored, ...refreshed }).toEqual({ accessToken: 'a2', refreshToken: 'r2', idToken: 'id1', issuedAt: 3, expiresAt: 2, extra: { accountId: 'x' } });
  });
});

/** Accepts connections and never answers. */
async function silentServer(): Promise<{ server: Server; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
