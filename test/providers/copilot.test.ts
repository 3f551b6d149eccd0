// The copilot provider against a fake GitHub: the fake OAuth server answers the device
// flow (GitHub-style, errors with status 200), a fake upstream stands in for
// api.github.com (Copilot token, user) and for the Copilot API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, TokenError } from '../../src/auth/errors.ts';
import { copilotProvider } from '../../src/providers/copilot/index.ts';
import { subscriptionSettings, type SubscriptionSettings } from '../../src/providers/subscription-defaults.ts';
import type { UpstreamCall } from '../../src/providers/upstream.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { startFakeUpstream, type CannedResponse, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.ts';
import { scriptedLoginUi } from '../support/scripted-login-ui.ts';

let oauth: FakeOAuthServer;
let github: FakeUpstream;
let settings: SubscriptionSettings<'copilot'>;
/** What the Copilot token endpoint answers next; undefined: a fresh token. */
let copilotTokenAnswer: CannedResponse | undefined;
let copilotTokens: number;
const expiresAtSeconds = Math.floor(Date.now() / 1000) + 1800;

function json(body: unknown, status = 200): CannedResponse {
  return { status, body: JSON.stringify(body) };
}

function answerGithub(request: RecordedRequest): CannedResponse {
  const path = new URL(request.url, github.url).pathname;
  if (path === '/copilot_internal/v2/token') {
    return copilotTokenAnswer ?? json({ token: `copilot-${++copilotTokens}`, expires_at: expiresAtSeconds, refresh_in: 1500, endpoints: { api: `${github.url}/api` } });
  }
  if (path === '/user') return json({ login: 'octocat', id: 1 });
  if (path === '/api/models') return json({ data: [{ id: 'gpt-4.1', object: 'model' }, { id: 'claude-sonnet-4', object: 'model' }], object: 'list' });
  if (path === '/api/chat/completions') return json({ id: 'chatcmpl-1', object: 'chat.completion', choices: [] });
  return json({ message: 'Not Found' }, 404);
}

function requestsTo(path: string): RecordedRequest[] {
  return github.requests.filter((request) => new URL(request.url, github.url).pathname === path);
}

beforeEach(async () => {
  oauth = await startFakeOAuthServer({ clientId: 'Iv1.test', deviceErrorStatus: 200, deviceInterval: 0.001 });
  github = await startFakeUpstream(answerGithub);
  copilotTokenAnswer = undefined;
  copilotTokens = 0;
  settings = subscriptionSettings('copilot', {
    endpoints: {
      'device-code': `${oauth.url}/device/code`,
      token: `${oauth.url}/token`,
      'copilot-token': `${github.url}/copilot_internal/v2/token`,
      user: `${github.url}/user`,
      api: `${github.url}/fallback`,
    },
    identity: { 'client-id': 'Iv1.test' },
  });
});
afterEach(async () => {
  await oauth.close();
  await github.close();
});

function login(noBrowser = false) {
  const ui = scriptedLoginUi();
  return { ui, result: copilotProvider.login({ settings, fetch, ui, noBrowser }) };
}

describe('copilot login', () => {
  it('shows the device code, opens the page, waits for approval, then trades the GitHub token for a Copilot token', async () => {
    oauth.config.devicePolls = ['authorization_pending', 'authorization_pending'];
    const before = Date.now();
    const { ui, result } = login();
    const { credentials, email } = await result;

    expect(ui.printed).toEqual([expect.stringContaining('the code ABCD-1234')]);
    expect(ui.opened).toEqual([`${oauth.url}/device?user_code=ABCD-1234`]);
    expect(ui.spinnerEvents.at(-1)).toBe('succeed: Login approved');
    expect(oauth.deviceCodeRequests).toEqual([{ client_id: 'Iv1.test', scope: 'read:user' }]);
    expect(oauth.counts.devicePoll).toBe(3);
    expect(oauth.tokenRequests[0]?.headers.accept).toBe('application/json');

    expect(email).toBe('octocat');
    expect(credentials).toEqual({
      accessToken: 'copilot-1',
      refreshToken: expect.stringMatching(/^access-/),
      expiresAt: expiresAtSeconds * 1000,
      issuedAt: expect.any(Number),
      extra: { apiBase: `${github.url}/api` },
    });
    expect(credentials.issuedAt).toBeGreaterThanOrEqual(before);

    const [exchange] = requestsTo('/copilot_internal/v2/token');
    expect(exchange?.headers).toMatchObject({
      authorization: `token ${credentials.refreshToken}`,
      'editor-version': 'vscode/1.100.0',
      'editor-plugin-version': 'copilot-chat/0.29.0',
      'user-agent': 'GitHubCopilotChat/0.29.0',
    });
    expect(requestsTo('/user')[0]?.headers.authorization).toBe(`token ${credentials.refreshToken}`);
  });

  it('with --no-browser only prints the code and the page', async () => {
    const { ui, result } = login(true);
    await result;
    expect(ui.opened).toEqual([]);
    expect(ui.printed[0]).toContain(`${oauth.url}/device?user_code=ABCD-1234`);
  });

  it('says the device code expired, and asks GitHub for nothing more', async () => {
    oauth.config.devicePolls = ['authorization_pending', 'expired_token'];
    const { ui, result } = login();
    const error = await result.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'expired_token', message: expect.stringMatching(/device code expired.*run the login again/) });
    expect(ui.spinnerEvents.at(-1)).toBe('fail: Login failed');
    expect(github.requests).toEqual([]);
  });

  it('says --timeout ran out, not that the code expired, when the wait ends before the code does', async () => {
    oauth.config.devicePolls = Array.from({ length: 1000 }, () => 'authorization_pending' as const);
    const ui = scriptedLoginUi();
    const error = await copilotProvider.login({ settings, fetch, ui, noBrowser: true, timeoutMs: 50 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'timeout', message: 'the login was not approved within 50 ms — run the login again' });
    expect(github.requests).toEqual([]);
  });

  it('says the login was denied', async () => {
    oauth.config.devicePolls = ['access_denied'];
    await expect(login().result).rejects.toMatchObject({ code: 'access_denied', message: expect.stringContaining('denied in the browser') });
  });

  it('refuses an account without Copilot with a clear message', async () => {
    copilotTokenAnswer = json({ error_details: { message: 'No access to GitHub Copilot found.' }, message: 'Resource not accessible by integration' }, 403);
    const error = await login().result.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenError);
    expect(error).toMatchObject({ permanent: true, details: { status: 403 } });
    expect((error as Error).message).toMatch(/this GitHub account has no Copilot subscription \(HTTP 403: No access to GitHub Copilot found\.\)/);
  });
});

describe('copilot token refresh', () => {
  const stored = { accessToken: 'copilot-old', refreshToken: 'gho_github-token', expiresAt: 1, issuedAt: 0, extra: { apiBase: 'https://old.example' } };
  const refresh = () => copilotProvider.refresher(settings, fetch)(stored);

  it('trades the stored GitHub token for a new Copilot token and its API host', async () => {
    const fresh = await refresh();
    expect(fresh).toMatchObject({ accessToken: 'copilot-1', refreshToken: 'gho_github-token', expiresAt: expiresAtSeconds * 1000, extra: { apiBase: `${github.url}/api` } });
    expect(requestsTo('/copilot_internal/v2/token')[0]?.headers.authorization).toBe('token gho_github-token');
  });

  it('falls back to the configured API host when the token names none', async () => {
    copilotTokenAnswer = json({ token: 'copilot-x', expires_at: expiresAtSeconds, refresh_in: 1500 });
    expect((await refresh()).extra).toEqual({ apiBase: `${github.url}/fallback` });
  });

  it('takes a refused GitHub token (401) as a dead grant, without echoing the token', async () => {
    copilotTokenAnswer = json({ message: 'Bad credentials' }, 401);
    const error = await refresh().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenError);
    expect(error).toMatchObject({ permanent: true, details: { status: 401 } });
    expect((error as Error).message).toMatch(/revoked or has expired.*run the login again/);
    expect((error as Error).message).not.toContain('gho_github-token');
  });

  it('takes a missing Copilot entitlement (404) as permanent too', async () => {
    copilotTokenAnswer = json({ message: 'Not Found' }, 404);
    await expect(refresh()).rejects.toMatchObject({ permanent: true, message: expect.stringContaining('no Copilot subscription') });
  });

  it('retries later on server errors and unreachable hosts', async () => {
    copilotTokenAnswer = json({ message: 'Service unavailable' }, 503);
    await expect(refresh()).rejects.toMatchObject({ permanent: false, message: expect.stringContaining('try again later') });

    const unreachable = subscriptionSettings('copilot', { endpoints: { 'copilot-token': 'http://127.0.0.1:1/copilot_internal/v2/token' } });
    await expect(copilotProvider.refresher(unreachable, fetch)(stored)).rejects.toMatchObject({ permanent: false, message: expect.stringContaining('could not reach') });
  });

  it('needs a new login when no GitHub token is stored', async () => {
    await expect(copilotProvider.refresher(settings, fetch)({ accessToken: 'copilot-old' })).rejects.toMatchObject({ permanent: true });
  });
});

describe('copilot API', () => {
  const credential = () => ({ secret: 'copilot-token', extra: { apiBase: `${github.url}/api` } });
  const send = (messages: unknown[]) => {
    const call: UpstreamCall = {
      model: 'gpt-4.1',
      stream: false,
      body: JSON.stringify({ model: 'gpt-4.1', messages }),
      credential: credential(),
      fetch,
      signal: new AbortController().signal,
    };
    return copilotProvider.adapter(settings).send(call);
  };
  const lastChat = () => requestsTo('/api/chat/completions').at(-1)!;

  it("posts OpenAI Chat to the token's API host with the editor headers; a fresh conversation is the user's", async () => {
    const response = await send([{ role: 'user', content: 'hi' }]);
    expect(response.status).toBe(200);
    const request = lastChat();
    expect(request.method).toBe('POST');
    expect(JSON.parse(request.body)).toMatchObject({ model: 'gpt-4.1' });
    expect(request.headers).toMatchObject({
      authorization: 'Bearer copilot-token',
      'editor-version': 'vscode/1.100.0',
      'editor-plugin-version': 'copilot-chat/0.29.0',
      'user-agent': 'GitHubCopilotChat/0.29.0',
      'copilot-integration-id': 'vscode-chat',
      'x-github-api-version': '2025-05-01',
      'openai-intent': 'conversation-panel',
      'x-request-id': expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      'x-initiator': 'user',
    });
    expect(request.headers['copilot-vision-request']).toBeUndefined();
  });

  it('marks turns after an assistant or tool message as the agent’s', async () => {
    await send([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'more' }]);
    expect(lastChat().headers['x-initiator']).toBe('agent');
    await send([{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'c1', content: '42' }]);
    expect(lastChat().headers['x-initiator']).toBe('agent');
  });

  it('flags requests with images', async () => {
    await send([{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }]);
    expect(lastChat().headers['copilot-vision-request']).toBe('true');
  });

  it("lists the account's models from the token's API host", async () => {
    const models = await copilotProvider.listModels!(settings, { accessToken: 'copilot-token', extra: { apiBase: `${github.url}/api` } }, fetch);
    expect(models).toEqual(['gpt-4.1', 'claude-sonnet-4']);
    expect(requestsTo('/api/models')[0]?.headers).toMatchObject({ authorization: 'Bearer copilot-token', 'copilot-integration-id': 'vscode-chat' });
  });

  it('fails the model list on an error answer, so the catalogue is used', async () => {
    const models = copilotProvider.listModels!(settings, { accessToken: 'copilot-token', extra: { apiBase: `${github.url}/nowhere` } }, fetch);
    await expect(models).rejects.toThrow(/HTTP 404/);
  });
});
