// The authorization-code flow end to end: our loopback callback server, the fake provider
// standing in for the browser's consent screen, then the code exchange with PKCE.
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePastedRedirect, readAuthorizationResponse, startCallbackServer, type CallbackServer } from '../../src/auth/callback-server.ts';
import { AuthError } from '../../src/auth/errors.ts';
import { createPkce, randomState, type Pkce } from '../../src/auth/pkce.ts';
import { decodeJwtClaims, exchangeCode } from '../../src/auth/token-client.ts';
import { CliError } from '../../src/cli/output.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { occupiedPort } from '../support/ports.ts';

let fake: FakeOAuthServer;
beforeEach(async () => {
  fake = await startFakeOAuthServer();
});
afterEach(() => fake.close());

interface Login {
  callback: CallbackServer;
  pkce: Pkce;
}

/** Starts the callback server and "opens" the authorize URL, as `llm-mux login` would. */
async function beginLogin(timeoutMs = 5000): Promise<Login> {
  const pkce = createPkce();
  const state = randomState();
  const callback = await startCallbackServer({ port: 0, path: '/auth/callback', state, timeoutMs, redirectHost: '127.0.0.1' });
  const page = await fetch(
    fake.authorizeUrl({
      response_type: 'code',
      client_id: fake.config.clientId,
      redirect_uri: callback.redirectUri,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      state,
    }),
  );
  expect(page.status).toBe(200);
  return { callback, pkce };
}

async function expectPortFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('callback server', () => {
  it('receives the code after approval, serves a self-contained page, closes, and the code exchanges with the PKCE verifier', async () => {
    fake.config.idTokenClaims = { 'https://api.openai.com/auth': { chatgpt_account_id: 'acc-1' } };
    const { callback, pkce } = await beginLogin();
    expect(callback.redirectUri).toBe(`http://127.0.0.1:${callback.port}/auth/callback`);

    const page = await fake.approve();
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain('You can close this tab');
    expect(html).not.toMatch(/\b(?:src|href)=|<script/i);

    const code = await callback.code;
    await expectPortFree(callback.port);

    const tokens = await exchangeCode(
      { url: `${fake.url}/token`, clientId: fake.config.clientId },
      { code, redirectUri: callback.redirectUri, codeVerifier: pkce.verifier },
    );
    expect(fake.tokenRequests[0]?.params).toMatchObject({
      grant_type: 'authorization_code',
      client_id: 'test-client',
      redirect_uri: callback.redirectUri,
      code_verifier: pkce.verifier,
    });
    const claims = decodeJwtClaims(tokens.idToken!);
    expect(claims?.email).toBe('user@example.com');
    expect(claims?.['https://api.openai.com/auth']).toEqual({ chatgpt_account_id: 'acc-1' });
    const userinfo = await fetch(`${fake.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(await userinfo.json()).toMatchObject({ email: 'user@example.com' });
  });

  it('refuses a code exchanged with the wrong verifier (the fake checks S256)', async () => {
    const { callback } = await beginLogin();
    await fake.approve();
    const exchange = exchangeCode(
      { url: `${fake.url}/token`, clientId: fake.config.clientId },
      { code: await callback.code, redirectUri: callback.redirectUri, codeVerifier: createPkce().verifier },
    );
    await expect(exchange).rejects.toMatchObject({ permanent: true, details: { oauthError: 'invalid_grant' } });
  });

  it('rejects a redirect with the wrong state, and the page says so', async () => {
    const { callback } = await beginLogin();
    const page = await fake.sendWrongState();
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('state mismatch');
    await expect(callback.code).rejects.toMatchObject({ code: 'state_mismatch' });
    await expectPortFree(callback.port);
  });

  it('reports denied consent clearly', async () => {
    const { callback } = await beginLogin();
    const page = await fake.deny();
    expect(await page.text()).toContain('access was denied in the browser');
    const error = await callback.code.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'access_denied', message: expect.stringMatching(/denied.*run the login again/) });
  });

  it('times out with a clear message and closes', async () => {
    const { callback } = await beginLogin(50);
    await expect(callback.code).rejects.toThrow(/^no login redirect arrived within 50 ms — run the login again$/);
    await expectPortFree(callback.port);
  });

  it('refuses a taken port with a user error, before any browser is opened', async () => {
    const blocker = await occupiedPort();
    const { port } = blocker;
    try {
      const error = await startCallbackServer({ port, path: '/cb', state: 's' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({
        code: 'port_in_use',
        message: `port ${port}, where the login redirect arrives, is in use (another login running?) — stop what uses it, then run the login again`,
      });
    } finally {
      blocker.close();
    }
  });

  it('ignores other paths and stops on close()', async () => {
    const { callback } = await beginLogin();
    const other = await fetch(`http://127.0.0.1:${callback.port}/favicon.ico`);
    expect(other.status).toBe(404);
    await callback.close();
    await expect(callback.code).rejects.toMatchObject({ code: 'cancelled' });
    await expectPortFree(callback.port);
  });
});

describe('authorization response', () => {
  it('holds error redirects to state only when they carry one', () => {
    const read = (query: string) => () => readAuthorizationResponse(new URLSearchParams(query), 'good');
    expect(read('error=access_denied')).toThrow(expect.objectContaining({ code: 'access_denied' }));
    expect(read('error=access_denied&state=bad')).toThrow(expect.objectContaining({ code: 'state_mismatch' }));
    expect(read('error=server_error&error_description=oops&state=good')).toThrow(
      expect.objectContaining({ code: 'authorization_error', message: 'the provider refused the login: server_error (oops)' }),
    );
    expect(read('code=abc')).toThrow(expect.objectContaining({ code: 'state_mismatch' }));
    expect(read('state=good')).toThrow(expect.objectContaining({ code: 'invalid_redirect' }));
    expect(read('code=abc&state=good')()).toBe('abc');
  });
});

describe('pasted redirect (--no-browser)', () => {
  const state = 'st4te';

  it('takes the full URL, one without scheme, the query, code#state or the bare code', () => {
    expect(parsePastedRedirect(`http://localhost:1455/auth/callback?code=4%2F0Ab&state=${state}`, state)).toBe('4/0Ab');
    expect(parsePastedRedirect(`  localhost:1455/auth/callback?code=abc&state=${state}#_\n`, state)).toBe('abc');
    expect(parsePastedRedirect(`code=abc&state=${state}`, state)).toBe('abc');
    expect(parsePastedRedirect(`abc#${state}`, state)).toBe('abc');
    expect(parsePastedRedirect('abc==', state)).toBe('abc==');
  });

  it('validates state and errors the same way as the callback server', () => {
    expect(() => parsePastedRedirect('http://localhost/cb?code=abc&state=other', state)).toThrow(expect.objectContaining({ code: 'state_mismatch' }));
    expect(() => parsePastedRedirect('abc#other', state)).toThrow(expect.objectContaining({ code: 'state_mismatch' }));
    expect(() => parsePastedRedirect(`http://localhost/cb?error=access_denied&state=${state}`, state)).toThrow(
      expect.objectContaining({ code: 'access_denied' }),
    );
    expect(() => parsePastedRedirect(`http://localhost/cb?state=${state}`, state)).toThrow(expect.objectContaining({ code: 'invalid_redirect' }));
    expect(() => parsePastedRedirect('   ', state)).toThrow(expect.objectContaining({ code: 'invalid_redirect' }));
  });
});
