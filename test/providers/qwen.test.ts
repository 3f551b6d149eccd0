// The qwen provider against the fake OAuth server (RFC 8628 device flow with PKCE, form
// bodies) and a fake upstream standing in for the DashScope-compatible chat API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../../src/accounts/types.ts';
import { AuthError, TokenError } from '../../src/auth/errors.ts';
import { qwenApiBase, qwenProvider } from '../../src/providers/qwen/index.ts';
import { subscriptionSettings, type SubscriptionSettings } from '../../src/providers/subscription-defaults.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { scriptedLoginUi } from '../support/scripted-login-ui.ts';

const USER_AGENT = 'QwenCode/0.24.4 (linux; x64)';

let oauth: FakeOAuthServer;
let chat: FakeUpstream;
let settings: SubscriptionSettings<'qwen'>;

beforeEach(async () => {
  oauth = await startFakeOAuthServer({ clientId: 'qwen-test', tokenEncoding: 'form', deviceInterval: 0.001 });
  chat = await startFakeUpstream(() => ({ body: JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [] }) }));
  settings = subscriptionSettings('qwen', {
    endpoints: { 'device-code': `${oauth.url}/device/code`, token: `${oauth.url}/token`, api: `${chat.url}/fallback/v1` },
    identity: { 'client-id': 'qwen-test' },
  });
});
afterEach(async () => {
  await oauth.close();
  await chat.close();
});

function login(noBrowser = false) {
  const ui = scriptedLoginUi();
  return { ui, result: qwenProvider.login({ settings, fetch, ui, noBrowser }) };
}

function send(credentials: Credentials) {
  return qwenProvider.adapter(settings).send({
    model: 'qwen3-coder-plus',
    stream: true,
    body: JSON.stringify({ model: 'qwen3-coder-plus', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    credential: { secret: credentials.accessToken ?? '', extra: credentials.extra ?? {} },
    fetch,
    signal: new AbortController().signal,
  });
}

describe('qwen login', () => {
  it('runs the device flow with PKCE and a user agent, and takes the API host from resource_url', async () => {
    oauth.config.devicePolls = ['authorization_pending'];
    oauth.config.extraTokenFields = { resource_url: chat.url };
    const { ui, result } = login();
    const { credentials, email } = await result;

    expect(ui.printed).toEqual([`Open ${oauth.url}/device?user_code=ABCD-1234 and check that it shows the code ABCD-1234 (expires in 15 minutes).`]);
    expect(ui.opened).toEqual([`${oauth.url}/device?user_code=ABCD-1234`]);
    expect(ui.spinnerEvents.at(-1)).toBe('succeed: Login approved');
    expect(oauth.deviceCodeRequests[0]).toEqual({
      client_id: 'qwen-test',
      scope: 'openid profile email model.completion',
      code_challenge: expect.any(String),
      code_challenge_method: 'S256',
    });
    // The fake checks each poll's code_verifier against the challenge.
    expect(oauth.tokenRequests.map((request) => [request.encoding, request.params.code_verifier !== undefined, request.headers['user-agent']])).toEqual([
      ['form', true, USER_AGENT],
      ['form', true, USER_AGENT],
    ]);

    expect(email).toBeUndefined();
    expect(credentials).toMatchObject({
      accessToken: expect.stringMatching(/^access-/),
      refreshToken: expect.stringMatching(/^refresh-/),
      expiresAt: credentials.issuedAt! + 3_600_000,
      extra: { apiBase: `${chat.url}/v1` },
    });

    expect((await send(credentials)).status).toBe(200);
    expect(chat.requests[0]?.url).toBe('/v1/chat/completions');
  });

  it('with --no-browser only prints the code and the page', async () => {
    const { ui, result } = login(true);
    await result;
    expect(ui.opened).toEqual([]);
    expect(ui.printed[0]).toContain('ABCD-1234');
  });

  it('says the device code expired', async () => {
    oauth.config.devicePolls = ['expired_token'];
    const { ui, result } = login();
    const error = await result.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'expired_token', message: expect.stringContaining('device code expired') });
    expect(ui.spinnerEvents.at(-1)).toBe('fail: Login failed');
  });

  it('says the login was denied', async () => {
    oauth.config.devicePolls = ['authorization_pending', 'access_denied'];
    await expect(login().result).rejects.toMatchObject({ code: 'access_denied', message: expect.stringContaining('denied in the browser') });
  });

  it('stores no API host when the token names none, so requests go to the configured one', async () => {
    const { credentials } = await login().result;
    expect(credentials.extra).toBeUndefined();
    await send(credentials);
    expect(chat.requests[0]?.url).toBe('/fallback/v1/chat/completions');
  });
});

describe('qwen resource_url', () => {
  it.each([
    ['portal.qwen.ai', 'https://portal.qwen.ai/v1'],
    ['portal.qwen.ai/', 'https://portal.qwen.ai/v1'],
    ['https://portal.qwen.ai/v1', 'https://portal.qwen.ai/v1'],
    ['https://dashscope.aliyuncs.com/compatible-mode', 'https://dashscope.aliyuncs.com/compatible-mode/v1'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/v1'],
  ])('%s → %s', (resourceUrl, apiBase) => {
    expect(qwenApiBase(resourceUrl)).toBe(apiBase);
  });
});

describe('qwen token refresh', () => {
  async function loggedIn(): Promise<Credentials> {
    oauth.config.extraTokenFields = { resource_url: 'portal.qwen.ai' };
    return (await login().result).credentials;
  }
  const refresh = (credentials: Credentials) => qwenProvider.refresher(settings, fetch)(credentials);

  it('keeps the old refresh token when none comes back', async () => {
    const stored = await loggedIn();
    oauth.config.rotateRefreshTokens = false;
    const fresh = await refresh(stored);
    expect(fresh.accessToken).not.toBe(stored.accessToken);
    expect(fresh.refreshToken).toBe(stored.refreshToken);
    expect(oauth.tokenRequests.at(-1)).toMatchObject({
      encoding: 'form',
      params: { grant_type: 'refresh_token', refresh_token: stored.refreshToken, client_id: 'qwen-test' },
      headers: { 'user-agent': USER_AGENT },
    });
  });

  it('takes a rotated refresh token and a new resource_url', async () => {
    const stored = await loggedIn();
    oauth.config.extraTokenFields = { resource_url: 'https://portal2.qwen.ai' };
    const fresh = await refresh(stored);
    expect(fresh.refreshToken).toMatch(/^refresh-/);
    expect(fresh.refreshToken).not.toBe(stored.refreshToken);
    expect(fresh.extra).toEqual({ apiBase: 'https://portal2.qwen.ai/v1' });
  });

  it('leaves the API host alone when the refresh names none', async () => {
    const stored = await loggedIn();
    oauth.config.extraTokenFields = {};
    expect((await refresh(stored)).extra).toBeUndefined();
  });

  it('needs a new login when the refresh token is refused', async () => {
    const stored = await loggedIn();
    oauth.revokeRefreshTokens();
    const error = await refresh(stored).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenError);
    expect(error).toMatchObject({ permanent: true, details: { oauthError: 'invalid_grant' } });
  });
});

describe('qwen API', () => {
  it("posts OpenAI Chat to the token's host with DashScope's headers", async () => {
    const response = await send({ accessToken: 'qwen-token', extra: { apiBase: `${chat.url}/v1` } });
    expect(response.status).toBe(200);
    const [request] = chat.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/chat/completions');
    expect(JSON.parse(request?.body ?? '')).toMatchObject({ model: 'qwen3-coder-plus', stream: true });
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer qwen-token',
      'user-agent': USER_AGENT,
      'x-dashscope-useragent': USER_AGENT,
      'x-dashscope-authtype': 'qwen-oauth',
      'x-dashscope-cachecontrol': 'enable',
      accept: expect.stringContaining('text/event-stream'),
    });
  });
});
