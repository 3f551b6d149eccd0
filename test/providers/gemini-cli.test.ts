import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, TokenError } from '../../src/auth/errors.ts';
import { unwrapEventStream } from '../../src/providers/code-assist/unwrap.ts';
import { createGeminiCliProvider, geminiCliProvider } from '../../src/providers/gemini-cli/index.ts';
import { subscriptionSettings, type SubscriptionSettings } from '../../src/providers/subscription-defaults.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { loadFixture } from '../support/fixtures.ts';
import {
  cloudCodeSetup,
  eventPayloads,
  json,
  randomChunks,
  scriptedUi,
  wrapStream,
  type BrowserAction,
  type CloudCodeScript,
} from './code-assist-fakes.ts';

const provider = createGeminiCliProvider({ pollIntervalMs: 1 });
const STREAM = loadFixture('gemini/gemini-2.5-pro-thought-parts.sse');
const ANSWER = loadFixture('gemini/gemini-3-flash-generatecontent-3-parallel-function-calls.json');
const REQUEST = { contents: [{ role: 'user', parts: [{ text: 'How do I cross the street?' }] }], generationConfig: { temperature: 0.2 } };

let oauth: FakeOAuthServer;
let cloud: FakeUpstream;

beforeEach(async () => {
  oauth = await startFakeOAuthServer({ clientId: 'gemini-client', clientSecret: 'gemini-secret', rotateRefreshTokens: false });
  cloud = await startFakeUpstream(() => json(500, {}));
});

afterEach(async () => {
  await oauth.close();
  await cloud.close();
});

function settings(project?: string): SubscriptionSettings<'gemini-cli'> {
  return subscriptionSettings('gemini-cli', {
    endpoints: { authorize: `${oauth.url}/authorize`, token: `${oauth.url}/token`, userinfo: `${oauth.url}/userinfo`, api: cloud.url },
    identity: { 'client-id': 'gemini-client', 'client-secret': 'gemini-secret' },
    ...(project ? { project } : {}),
  });
}

function login(script: CloudCodeScript, options: { action?: BrowserAction; project?: string; configProject?: string; timeoutMs?: number } = {}) {
  cloud.respond(cloudCodeSetup(script));
  const ui = scriptedUi(oauth, options.action ?? 'approve');
  const result = provider.login({
    settings: settings(options.configProject),
    fetch,
    ui,
    noBrowser: false,
    ...(options.project ? { project: options.project } : {}),
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  return { ui, result };
}

function setupRequest(path: string) {
  const request = cloud.requests.find((entry) => entry.url === path);
  return request && { headers: request.headers, body: JSON.parse(request.body) as Record<string, unknown> };
}

describe('gemini-cli login', () => {
  it('logs in through the browser and keeps the project of an account that is set up', async () => {
    const { ui, result } = login({ load: { currentTier: { id: 'standard-tier' }, cloudaicompanionProject: 'proj-1' } });
    const { credentials, email } = await result;

    expect(email).toBe('user@example.com');
    expect(credentials.extra).toEqual({ project: 'proj-1' });
    expect(credentials.accessToken).toMatch(/^access-/);
    expect(credentials.refreshToken).toMatch(/^refresh-/);
    expect(credentials.expiresAt).toBeGreaterThan(Date.now());

    const authorize = oauth.authorizeRequests[0]!;
    expect(Object.fromEntries(authorize)).toMatchObject({
      client_id: 'gemini-client',
      response_type: 'code',
      access_type: 'offline',
      prompt: 'consent',
      scope: settings().identity.scopes,
    });
    expect(authorize.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2callback$/);
    expect(authorize.has('code_challenge')).toBe(false);
    expect(ui.opened[0]).toContain(`${oauth.url}/authorize?`);
    expect(oauth.tokenRequests[0]!.params).toMatchObject({ grant_type: 'authorization_code', client_secret: 'gemini-secret' });
    expect(oauth.counts.userinfo).toBe(1);

    const load = setupRequest('/v1internal:loadCodeAssist')!;
    expect(load.body).toEqual({ metadata: { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' } });
    expect(load.headers.authorization).toBe(`Bearer ${credentials.accessToken}`);
    expect(load.headers['user-agent']).toBe('GeminiCLI/0.34.0/gemini-2.5-pro (linux; x64; terminal)');
    expect(setupRequest('/v1internal:onboardUser')).toBeUndefined();
    expect(ui.spinners).toContain('✔ Project proj-1 (standard-tier)');
  });

  it('onboards a new account into the free tier and polls the operation until it names the project', async () => {
    const { result } = login({
      load: { allowedTiers: [{ id: 'legacy-tier' }, { id: 'free-tier', isDefault: true }] },
      onboard: { name: 'operations/op-1', done: false },
      operations: [
        { name: 'operations/op-1', done: false },
        { name: 'operations/op-1', done: true, response: { cloudaicompanionProject: { id: 'managed-7', name: 'Managed' } } },
      ],
    });
    const { credentials } = await result;

    expect(credentials.extra).toEqual({ project: 'managed-7' });
    // The free tier brings its own project: none may be sent.
    expect(setupRequest('/v1internal:onboardUser')!.body).toEqual({
      tierId: 'free-tier',
      metadata: { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' },
    });
    expect(cloud.requests.filter((request) => request.url === '/v1internal/operations/op-1').map((request) => request.method)).toEqual(['GET', 'GET']);
  });

  it('uses --project for loadCodeAssist and onboarding into a paid tier', async () => {
    const { result } = login(
      {
        load: { allowedTiers: [{ id: 'standard-tier', isDefault: true }] },
        onboard: { name: 'operations/op-2', done: true, response: { cloudaicompanionProject: { id: 'my-proj' } } },
      },
      { project: 'my-proj', configProject: 'config-proj' },
    );
    expect((await result).credentials.extra).toEqual({ project: 'my-proj' });

    const metadata = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI', duetProject: 'my-proj' };
    expect(setupRequest('/v1internal:loadCodeAssist')!.body).toEqual({ cloudaicompanionProject: 'my-proj', metadata });
    expect(setupRequest('/v1internal:onboardUser')!.body).toEqual({ tierId: 'standard-tier', cloudaicompanionProject: 'my-proj', metadata });
  });

  it("takes config's project when the account is set up but names none", async () => {
    const { result } = login({ load: { currentTier: { id: 'standard-tier' }, paidTier: { id: 'g1-pro-tier' } } }, { configProject: 'config-proj' });
    expect((await result).credentials.extra).toEqual({ project: 'config-proj' });
  });

  it('asks for --project when the account has no project and gave none', async () => {
    const { ui, result } = login({ load: { allowedTiers: [{ id: 'standard-tier', isDefault: true }] } });
    const error = await result.catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toContain('--project');
    expect(setupRequest('/v1internal:onboardUser')).toBeUndefined();
    expect(ui.spinners).toContain('✖ No Gemini Code Assist project');
  });

  it('shows the validation URL of an account Google wants verified', async () => {
    const { result } = login({
      load: {
        allowedTiers: [{ id: 'free-tier', isDefault: true }],
        ineligibleTiers: [
          { reasonCode: 'VALIDATION_REQUIRED', reasonMessage: 'Verify your account to continue.', validationUrl: 'https://accounts.google.com/verify?id=9' },
        ],
      },
    });
    await expect(result).rejects.toThrow(/Verify your account to continue\..*https:\/\/accounts\.google\.com\/verify\?id=9/);
    expect(setupRequest('/v1internal:onboardUser')).toBeUndefined();
  });

  it('says why the tiers are refused when no project can be had', async () => {
    const { result } = login({
      load: {
        allowedTiers: [{ id: 'standard-tier', isDefault: true }],
        ineligibleTiers: [{ reasonCode: 'INELIGIBLE_ACCOUNT', reasonMessage: 'Your account is not eligible for the free tier.' }],
      },
    });
    await expect(result).rejects.toThrow('this account cannot use Gemini Code Assist: Your account is not eligible for the free tier.');
  });

  it('passes on the error of a failed loadCodeAssist', async () => {
    cloud.respond(() => json(403, { error: { code: 403, message: 'The caller does not have permission', status: 'PERMISSION_DENIED' } }));
    const ui = scriptedUi(oauth, 'approve');
    const result = provider.login({ settings: settings(), fetch, ui, noBrowser: false, timeoutMs: 10_000 });
    await expect(result).rejects.toThrow(/loadCodeAssist failed at 127\.0\.0\.1:\d+: HTTP 403: The caller does not have permission/);
  });

  it('refuses a redirect with the wrong state', async () => {
    const { result } = login({ load: {} }, { action: 'wrong-state' });
    await expect(result).rejects.toMatchObject({ code: 'state_mismatch' });
    expect(oauth.counts.authorizationCode).toBe(0);
  });

  it('gives up when no redirect arrives in time', async () => {
    const { result } = login({ load: {} }, { action: 'nothing', timeoutMs: 50 });
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('gemini-cli refresher', () => {
  it('refreshes with the client secret and keeps the refresh token Google does not rotate', async () => {
    const { result } = login({ load: { currentTier: { id: 'free-tier' }, cloudaicompanionProject: 'proj-1' } });
    const { credentials } = await result;
    const refresh = geminiCliProvider.refresher(settings(), fetch);

    const renewed = await refresh(credentials);
    expect(renewed.accessToken).not.toBe(credentials.accessToken);
    expect(renewed.refreshToken).toBe(credentials.refreshToken);
    expect(oauth.tokenRequests.at(-1)!.params).toMatchObject({ grant_type: 'refresh_token', client_id: 'gemini-client', client_secret: 'gemini-secret' });

    oauth.revokeRefreshTokens();
    await expect(refresh(credentials)).rejects.toSatisfy((error) => error instanceof TokenError && error.permanent);
  });
});

describe('gemini-cli adapter', () => {
  const credential = { secret: 'access-xyz', extra: { project: 'proj-1' } };

  function send(stream: boolean) {
    return geminiCliProvider.adapter(settings()).send({
      model: 'gemini-2.5-pro',
      stream,
      body: JSON.stringify(REQUEST),
      credential,
      fetch,
      signal: new AbortController().signal,
    });
  }

  it('streams: envelope and headers out, each `{response}` unwrapped as it comes', async () => {
    cloud.respond(() => ({ headers: { 'content-type': 'text/event-stream' }, body: wrapStream(STREAM), chunkSize: 7 }));
    const response = await send(true);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(eventPayloads(await response.text())).toEqual(eventPayloads(STREAM.body));

    const request = cloud.requests[0]!;
    expect(request.url).toBe('/v1internal:streamGenerateContent?alt=sse');
    expect(request.headers).toMatchObject({
      authorization: 'Bearer access-xyz',
      'user-agent': 'GeminiCLI/0.34.0/gemini-2.5-pro (linux; x64; terminal)',
      'x-goog-api-client': 'google-genai-sdk/1.41.0 gl-node/v22.19.0',
      'content-type': 'application/json',
    });
    const envelope = JSON.parse(request.body) as Record<string, unknown>;
    expect(envelope).toEqual({ model: 'gemini-2.5-pro', project: 'proj-1', user_prompt_id: expect.any(String), request: REQUEST });
  });

  it('gives each request its own user_prompt_id', async () => {
    cloud.respond(() => json(200, { response: JSON.parse(ANSWER.body.toString('utf8')) }));
    await (await send(false)).text();
    await (await send(false)).text();
    const ids = cloud.requests.map((request) => (JSON.parse(request.body) as { user_prompt_id: string }).user_prompt_id);
    expect(new Set(ids).size).toBe(2);
  });

  it('unwraps a JSON answer whole', async () => {
    cloud.respond(() => json(200, { response: JSON.parse(ANSWER.body.toString('utf8')), traceId: 'trace-1' }));
    const response = await send(false);

    expect(cloud.requests[0]!.url).toBe('/v1internal:generateContent');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(ANSWER.body.toString('utf8')));
  });

  it('returns an upstream error untouched', async () => {
    const error = loadFixture('gemini/error-429-resource-exhausted-retryinfo.json');
    cloud.respond(() => ({ status: 429, headers: { 'content-type': 'application/json' }, body: error.body }));
    const response = await send(true);

    expect(response.status).toBe(429);
    expect(await response.text()).toBe(error.body.toString('utf8'));
  });
});

describe('unwrapEventStream', () => {
  it('unwraps events split at any chunk boundary', async () => {
    const wrapped = new TextEncoder().encode(wrapStream(STREAM));
    for (const seed of [1, 7, 42, 1234]) {
      const chunks = randomChunks(wrapped, seed);
      const upstream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
      const output = await new Response(upstream.pipeThrough(unwrapEventStream())).text();
      expect(eventPayloads(output)).toEqual(eventPayloads(STREAM.body));
    }
  });

  it('passes an event on before the next one has arrived', async () => {
    const { writable, readable } = unwrapEventStream();
    const writer = writable.getWriter();
    const reader = readable.getReader();
    void writer.write(new TextEncoder().encode('data: {"response": {"candidates": []}}\n\ndata: {"resp'));
    const first = await reader.read();

    expect(new TextDecoder().decode(first.value)).toBe('data: {"candidates":[]}\r\n\r\n');
    await writer.abort();
  });
});
