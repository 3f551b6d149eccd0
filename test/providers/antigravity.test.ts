import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/auth/errors.ts';
import { antigravityProvider, createAntigravityProvider } from '../../src/providers/antigravity/index.ts';
import { subscriptionSettings, type SubscriptionSettings } from '../../src/providers/subscription-defaults.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { startFakeUpstream, type FakeUpstream, type Responder } from '../support/fake-upstream.ts';
import { loadFixture } from '../support/fixtures.ts';
import {
  cloudCodeSetup,
  eventPayloads,
  json,
  scriptedUi,
  textElement,
  wrappedEvents,
  wrapStream,
  type BrowserAction,
  type CloudCodeScript,
} from './code-assist-fakes.ts';
import { unusedPort } from '../support/ports.ts';

const provider = createAntigravityProvider({ pollIntervalMs: 1 });
const STREAM = loadFixture('gemini/gemini-3-pro-function-call-thought-signature.sse');
const ANSWER = JSON.parse(loadFixture('gemini/gemini-3-flash-generatecontent-3-parallel-function-calls.json').body.toString('utf8')) as unknown;
const METADATA = { ideType: 'ANTIGRAVITY', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };
const SSE = { 'content-type': 'text/event-stream' };

let oauth: FakeOAuthServer;
/** Stands in for both hosts unless a test starts a separate daily host. */
let production: FakeUpstream;
let daily: FakeUpstream;
let callbackPort: number;

beforeEach(async () => {
  oauth = await startFakeOAuthServer({ clientId: 'ag-client', clientSecret: 'ag-secret', rotateRefreshTokens: false });
  production = await startFakeUpstream(() => json(500, {}));
  daily = await startFakeUpstream(() => json(500, {}));
  callbackPort = await unusedPort();
});

afterEach(async () => {
  await oauth.close();
  await production.close();
  await daily.close();
});

function settings(overrides: { daily?: string; version?: string } = {}): SubscriptionSettings<'antigravity'> {
  return subscriptionSettings('antigravity', {
    endpoints: {
      authorize: `${oauth.url}/authorize`,
      token: `${oauth.url}/token`,
      userinfo: `${oauth.url}/userinfo`,
      daily: overrides.daily ?? daily.url,
      production: production.url,
    },
    identity: { 'client-id': 'ag-client', 'client-secret': 'ag-secret', 'callback-port': String(callbackPort), version: overrides.version ?? '1.21.9' },
  });
}

function login(script: CloudCodeScript, options: { action?: BrowserAction; timeoutMs?: number } = {}) {
  production.respond(cloudCodeSetup(script));
  const ui = scriptedUi(oauth, options.action ?? 'approve');
  const result = provider.login({ settings: settings(), fetch, ui, noBrowser: false, timeoutMs: options.timeoutMs ?? 10_000 });
  return { ui, result };
}

function setupBody(path: string): Record<string, unknown> | undefined {
  const request = production.requests.find((entry) => entry.url === path);
  return request && (JSON.parse(request.body) as Record<string, unknown>);
}

describe('antigravity login', () => {
  it('logs in on the fixed callback port with PKCE and the client secret, and keeps the account project', async () => {
    const { result } = login({ load: { currentTier: { id: 'free-tier' }, cloudaicompanionProject: 'ag-proj' } });
    const { credentials, email } = await result;

    expect(email).toBe('user@example.com');
    expect(credentials.extra).toEqual({ project: 'ag-proj' });
    expect(credentials.refreshToken).toMatch(/^refresh-/);

    const authorize = oauth.authorizeRequests[0]!;
    expect(authorize.get('redirect_uri')).toBe(`http://localhost:${callbackPort}/oauth-callback`);
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(Object.fromEntries(authorize)).toMatchObject({ client_id: 'ag-client', access_type: 'offline', prompt: 'consent', response_type: 'code' });
    expect(oauth.tokenRequests[0]!.params).toMatchObject({ client_secret: 'ag-secret', code_verifier: expect.any(String) });

    expect(setupBody('/v1internal:loadCodeAssist')).toEqual({ metadata: METADATA });
    const load = production.requests.find((entry) => entry.url === '/v1internal:loadCodeAssist')!;
    expect(load.headers['user-agent']).toBe('antigravity/1.21.9 linux/amd64 google-api-nodejs-client/10.3.0');
    expect(load.headers['x-goog-api-client']).toBe('gl-node/22.21.1');
    expect(daily.requests).toEqual([]);
  });

  it('onboards a new account and polls the operation for its project', async () => {
    const { result } = login({
      load: { allowedTiers: [{ id: 'free-tier', isDefault: true }] },
      onboard: { name: 'operations/ag-1', done: false },
      operations: [{ name: 'operations/ag-1', done: true, response: { cloudaicompanionProject: { id: 'ag-managed' } } }],
    });
    expect((await result).credentials.extra).toEqual({ project: 'ag-managed' });
    expect(setupBody('/v1internal:onboardUser')).toEqual({ tierId: 'free-tier', metadata: METADATA });
    expect(production.requests.filter((request) => request.url === '/v1internal/operations/ag-1')).toHaveLength(1);
  });

  it('asks for --project when the default tier needs one', async () => {
    const { result } = login({ load: { allowedTiers: [{ id: 'standard-tier', isDefault: true }] } });
    await expect(result).rejects.toThrow(/--project/);
  });

  it('says so when the fixed callback port is taken, before opening a browser', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(callbackPort, '127.0.0.1', resolve));
    try {
      const { ui, result } = login({ load: {} });
      await expect(result).rejects.toMatchObject({ code: 'port_in_use' });
      expect((await result.catch((error: unknown) => error)) instanceof AuthError).toBe(true);
      expect(ui.opened).toEqual([]);
      expect(oauth.counts.authorize).toBe(0);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('refuses a redirect with the wrong state', async () => {
    const { result } = login({ load: {} }, { action: 'wrong-state' });
    await expect(result).rejects.toMatchObject({ code: 'state_mismatch' });
  });

  it('gives up when no redirect arrives in time', async () => {
    const { result } = login({ load: {} }, { action: 'nothing', timeoutMs: 50 });
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('antigravity adapter', () => {
  const credential = { secret: 'access-ag', extra: { project: 'ag-proj' } };
  const conversation = {
    contents: [{ role: 'user', parts: [{ text: 'Plan a trip' }] }],
    safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    generationConfig: { temperature: 1 },
  };

  function send(stream: boolean, options: { body?: unknown; settings?: SubscriptionSettings<'antigravity'>; signal?: AbortSignal } = {}) {
    return antigravityProvider.adapter(options.settings ?? settings()).send({
      model: 'gemini-3-pro-high',
      stream,
      body: JSON.stringify(options.body ?? conversation),
      credential,
      fetch,
      signal: options.signal ?? new AbortController().signal,
    });
  }

  function sentBody(upstream: FakeUpstream, index = 0) {
    return JSON.parse(upstream.requests[index]!.body) as { request: Record<string, unknown> } & Record<string, unknown>;
  }

  it('sends the Antigravity envelope and headers to the daily host and unwraps the stream', async () => {
    daily.respond(() => ({ headers: SSE, body: wrapStream(STREAM), chunkSize: 5 }));
    const response = await send(true);

    expect(response.status).toBe(200);
    expect(eventPayloads(await response.text())).toEqual(eventPayloads(STREAM.body));
    const request = daily.requests[0]!;
    expect(request.url).toBe('/v1internal:streamGenerateContent?alt=sse');
    expect(request.headers).toMatchObject({
      authorization: 'Bearer access-ag',
      'user-agent': 'antigravity/1.21.9 linux/amd64',
      'x-goog-api-client': 'gl-node/22.21.1',
    });
    const { safetySettings: _removed, ...kept } = conversation;
    expect(sentBody(daily)).toEqual({
      project: 'ag-proj',
      model: 'gemini-3-pro-high',
      userAgent: 'antigravity',
      requestType: 'agent',
      requestId: expect.stringMatching(/^agent-[0-9a-f-]{36}$/),
      request: { ...kept, sessionId: expect.any(String) },
    });
    expect(production.requests).toEqual([]);
  });

  it('keeps one session id per conversation and a fresh request id per request', async () => {
    daily.respond(() => json(200, { response: ANSWER }));
    const nextTurn = {
      ...conversation,
      contents: [...conversation.contents, { role: 'model', parts: [{ text: 'Where to?' }] }, { role: 'user', parts: [{ text: 'Rome' }] }],
    };
    const other = { contents: [{ role: 'user', parts: [{ text: 'Something else' }] }] };
    for (const body of [conversation, nextTurn, other]) await (await send(false, { body })).text();

    const [first, second, third] = [0, 1, 2].map((index) => sentBody(daily, index));
    expect(second!.request.sessionId).toBe(first!.request.sessionId);
    expect(third!.request.sessionId).not.toBe(first!.request.sessionId);
    expect(new Set([first!.requestId, second!.requestId, third!.requestId]).size).toBe(3);
  });

  it('unwraps a JSON answer', async () => {
    daily.respond(() => json(200, { response: ANSWER, traceId: 't' }));
    const response = await send(false);
    expect(daily.requests[0]!.url).toBe('/v1internal:generateContent');
    expect(await response.json()).toEqual(ANSWER);
  });

  it.each([
    ['503', () => json(503, { error: { code: 503, message: 'unavailable', status: 'UNAVAILABLE' } })],
    ['404', () => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<html>Not Found</html>' })],
  ] as Array<[string, Responder]>)('moves on to production when the daily host answers %s', async (_status, responder) => {
    daily.respond(responder);
    production.respond(() => json(200, { response: ANSWER }));
    const response = await send(false);

    expect(await response.json()).toEqual(ANSWER);
    expect(daily.requests).toHaveLength(1);
    expect(production.requests[0]!.body).toBe(daily.requests[0]!.body);
  });

  it('moves on to production when the daily host is unreachable', async () => {
    production.respond(() => ({ headers: SSE, body: wrapStream(STREAM) }));
    const response = await send(true, { settings: settings({ daily: `http://127.0.0.1:${await unusedPort()}` }) });
    expect(eventPayloads(await response.text())).toEqual(eventPayloads(STREAM.body));
  });

  it("returns the last host's error, and stays on a host whose error is about the request", async () => {
    const quota = { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } };
    daily.respond(() => json(429, quota));
    const limited = await send(false);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual(quota);
    expect(production.requests).toEqual([]);

    daily.respond(() => json(503, {}));
    production.respond(() => json(500, { error: { code: 500, message: 'internal', status: 'INTERNAL' } }));
    const failed = await send(false);
    expect(failed.status).toBe(500);
  });

  it('throws when no host can be reached', async () => {
    const nowhere = `http://127.0.0.1:${await unusedPort()}`;
    const unreachable = subscriptionSettings('antigravity', { endpoints: { daily: nowhere, production: nowhere } });
    await expect(send(false, { settings: unreachable })).rejects.toThrow();
  });

  describe('the "no longer supported" answer', () => {
    const notice = 'This version of Antigravity is no longer supported. Please upgrade to receive the latest features.';

    async function expectOutdatedError(response: Response) {
      expect(response.status).toBe(502);
      const body = (await response.json()) as { error: { code: number; message: string; status: string } };
      expect(body.error.code).toBe(502);
      expect(body.error.message).toContain('providers.antigravity.identity.version');
      expect(body.error.message).toContain('1.0.0');
    }

    it('turns a stream that says so into an error, even when the notice is split across events and chunks', async () => {
      daily.respond(() => ({ headers: SSE, body: wrappedEvents([textElement('This version of Anti'), textElement(notice.slice(20))]), chunkSize: 9 }));
      await expectOutdatedError(await send(true, { settings: settings({ version: '1.0.0' }) }));
    });

    it('turns a JSON answer that says so into an error', async () => {
      daily.respond(() => json(200, { response: textElement('This version of Antigravity is no longer supported. Please update to receive the latest features!') }));
      await expectOutdatedError(await send(false, { settings: settings({ version: '1.0.0' }) }));
    });

    it('passes on an answer that only starts like the notice, from its first byte', async () => {
      const elements = [textElement('This version'), textElement(' of the plan is final.'), textElement(' Enjoy Rome.')];
      daily.respond(() => ({ headers: SSE, body: wrappedEvents(elements), chunkSize: 4 }));
      const response = await send(true);
      expect(response.status).toBe(200);
      expect(eventPayloads(await response.text())).toEqual(elements);
    });
  });
});

describe('antigravity listModels', () => {
  it('lists the models fetchAvailableModels names for the account project (internal agent ids left out), falling back to production', async () => {
    daily.respond(() => json(503, {}));
    production.respond(() => json(200, { models: { 'gemini-3-pro-high': { displayName: 'Gemini 3 Pro' }, chat_20706: {}, 'gemini-2.5-flash': {} } }));
    const models = await antigravityProvider.listModels!(settings(), { accessToken: 'access-ag', extra: { project: 'ag-proj' } }, fetch);

    expect(models).toEqual(['gemini-3-pro-high', 'gemini-2.5-flash']);
    const request = production.requests[0]!;
    expect(request.url).toBe('/v1internal:fetchAvailableModels');
    expect(JSON.parse(request.body)).toEqual({ project: 'ag-proj' });
    expect(request.headers.authorization).toBe('Bearer access-ag');
  });

  it('fails on an error answer, so the catalogue is used', async () => {
    daily.respond(() => json(403, { error: { code: 403, message: 'denied', status: 'PERMISSION_DENIED' } }));
    await expect(antigravityProvider.listModels!(settings(), { accessToken: 'a', extra: { project: 'p' } }, fetch)).rejects.toThrow(/HTTP 403/);
  });
});
