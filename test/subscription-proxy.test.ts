// Subscription (OAuth) accounts through the real server: the official SDKs talk to llm-mux,
// llm-mux talks to fake upstreams and a fake OAuth server on loopback, every endpoint set
// in config.yaml (`providers.<id>.endpoints`). Checked on the wire: what each provider's
// upstream receives (path, headers, envelope), what the client gets back, token refresh
// before and after a 401, single-flight refresh, dead grants, rotation and cooldowns.
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from './support/cleanups.ts';
import { SUBSCRIPTION_DEFAULTS } from '../src/providers/subscription-defaults.ts';
import { json, textElement, wrappedEvents, wrapStream } from './providers/code-assist-fakes.ts';
import { fileAccountStore, seedAccounts, type SeedAccount } from './support/accounts.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from './support/fake-oauth-server.ts';
import { startFakeUpstream, type CannedResponse, type FakeUpstream, type RecordedRequest, type Responder } from './support/fake-upstream.ts';
import { loadFixture, sseEvents, type Fixture } from './support/fixtures.ts';
import { startProxy, type TestProxy } from './support/llm-mux.ts';

const CLIENT_ID = 'test-client';
const CLIENT_TIMEOUT_MS = 10_000;
const CLAUDE_MODEL = 'claude-haiku-4-5';
const CODEX_MODEL = 'gpt-5';
const GEMINI_MODEL = 'gemini-2.5-flash';

const ANTHROPIC_STREAM = loadFixture('anthropic/haiku-4.5-text.sse');
const RESPONSES_STREAM = loadFixture('openai-responses/gpt-4o-text.sse');
const GEMINI_STREAM = loadFixture('gemini/gemini-2.0-flash-text.sse');
const CHAT_STREAM = loadFixture('openai-chat/gpt-4o-text-with-usage.sse');

const onCleanup = cleanupAfterEach();

async function fakeUpstream(responder: Responder): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(responder);
  onCleanup(() => upstream.close());
  return upstream;
}

/** The provider's token endpoint, with the client id every test config gives the providers. */
async function fakeOAuth(overrides: Parameters<typeof startFakeOAuthServer>[0] = {}): Promise<FakeOAuthServer> {
  const oauth = await startFakeOAuthServer({ clientId: CLIENT_ID, ...overrides });
  onCleanup(() => oauth.close());
  return oauth;
}

interface ProviderSetup {
  endpoints: Record<string, string>;
  models: string[];
}

/** config.yaml with subscription providers whose endpoints are the loopback fakes. */
function subscriptionConfig(providers: Record<string, ProviderSetup>): string {
  const lines = ['credential-store: file', 'providers:'];
  for (const [id, { endpoints, models }] of Object.entries(providers)) {
    lines.push(`  ${id}:`, `    endpoints: ${JSON.stringify(endpoints)}`, `    identity: {"client-id": "${CLIENT_ID}"}`, `    models: ${JSON.stringify(models)}`);
  }
  return lines.join('\n');
}

async function proxy(config: string, accounts: SeedAccount[], managementKey = false): Promise<TestProxy> {
  const started = await startProxy(config, { managementKey, beforeStart: (dir) => seedAccounts(dir, accounts) });
  onCleanup(() => started.close());
  return started;
}

type OAuthTokens = NonNullable<SeedAccount['oauth']>;

/** Tokens as a login an hour ago left them: good for a while, nothing due. */
function freshTokens(accessToken: string, extra?: Record<string, string>): OAuthTokens {
  const now = Date.now();
  return { accessToken, refreshToken: `${accessToken}-refresh`, issuedAt: now, expiresAt: now + 3_600_000, ...(extra ? { extra } : {}) };
}

/** An access token that expired a minute ago, with a refresh token the fake OAuth server honours. */
async function expiredTokens(oauth: FakeOAuthServer, extra?: Record<string, string>): Promise<OAuthTokens> {
  const now = Date.now();
  return { accessToken: 'expired-access', refreshToken: await issuedRefreshToken(oauth), issuedAt: now - 3_660_000, expiresAt: now - 60_000, ...(extra ? { extra } : {}) };
}

/** A refresh token the fake server issued: a device grant the "user" approves at once. */
async function issuedRefreshToken(oauth: FakeOAuthServer): Promise<string> {
  const post = async (path: string, params: Record<string, string>) =>
    (await (await fetch(`${oauth.url}${path}`, { method: 'POST', body: new URLSearchParams({ client_id: CLIENT_ID, ...params }) })).json()) as Record<string, string>;
  const { device_code } = await post('/device/code', {});
  const tokens = await post('/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device_code! });
  return tokens.refresh_token!;
}

function tokenOf(request: RecordedRequest): string {
  return (request.headers.authorization ?? '').replace(/^Bearer /, '');
}

function tokensSeen(upstream: FakeUpstream): string[] {
  return upstream.requests.map(tokenOf);
}

function bodyOf(request: RecordedRequest): any {
  return JSON.parse(request.body);
}

function sse(body: Buffer | string): CannedResponse {
  return { headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body };
}

/** The answer text a recorded stream carries, read with the test's own SSE parser. */
function recordedText(fixture: Fixture): string {
  const textOf: Record<string, (event: any) => string | undefined> = {
    anthropic: (event) => (event.delta?.type === 'text_delta' ? event.delta.text : undefined),
    'openai-responses': (event) => (event.type === 'response.output_text.delta' ? event.delta : undefined),
    'openai-chat': (event) => event.choices?.[0]?.delta?.content,
    gemini: (event) => event.candidates?.[0]?.content?.parts?.map((part: { text?: string }) => part.text ?? '').join(''),
  };
  return sseEvents(fixture.body)
    .filter(({ data }) => data !== '[DONE]')
    .map(({ data }) => textOf[fixture.format]!(JSON.parse(data)) ?? '')
    .join('');
}

const anthropicClient = (p: TestProxy) => new Anthropic({ baseURL: p.url, apiKey: 'sk-client', maxRetries: 0, timeout: CLIENT_TIMEOUT_MS });
const openaiClient = (p: TestProxy) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: CLIENT_TIMEOUT_MS });
const geminiClient = (p: TestProxy) => new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: p.url, timeout: CLIENT_TIMEOUT_MS } });

async function claudeAnswer(p: TestProxy): Promise<string> {
  const message = await anthropicClient(p).messages.stream({ model: CLAUDE_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
  return message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
}

async function chatStreamText(p: TestProxy, model: string, messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }]): Promise<string> {
  let text = '';
  for await (const chunk of await openaiClient(p).chat.completions.create({ model, messages, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

async function responsesStreamText(p: TestProxy): Promise<string> {
  let text = '';
  for await (const event of await openaiClient(p).responses.create({ model: CODEX_MODEL, input: 'hi', stream: true })) {
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  return text;
}

async function geminiStreamText(p: TestProxy, contents = 'What is the capital of France?'): Promise<string> {
  let text = '';
  for await (const chunk of await geminiClient(p).models.generateContentStream({ model: GEMINI_MODEL, contents })) text += chunk.text ?? '';
  return text;
}

/** What `GET /v0/management/accounts` says about one account. */
async function accountView(p: TestProxy, id: string): Promise<any> {
  const response = await fetch(`${p.url}/v0/management/accounts`, { headers: { 'x-management-key': p.managementKey! } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accounts: Array<{ id: string }> }).accounts.find((account) => account.id === id);
}

/** The error an SDK call rejects with. */
async function failure<T extends Error>(call: Promise<unknown>): Promise<T> {
  return call.then(
    () => expect.fail('the call succeeded'),
    (error: T) => error,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

// --- Claude -------------------------------------------------------------------------------

const CLAUDE_IDENTITY = SUBSCRIPTION_DEFAULTS.claude.identity;

/** Claude with the Messages API on `upstream` and its token endpoint on `oauth`. */
function claudeConfig(upstream: FakeUpstream, oauth?: FakeOAuthServer): string {
  return subscriptionConfig({
    claude: { endpoints: { api: `${upstream.url}/v1`, ...(oauth ? { token: `${oauth.url}/token` } : {}) }, models: [CLAUDE_MODEL] },
  });
}

function claudeAccount(id: string, oauth: OAuthTokens): SeedAccount {
  return { id, provider: 'claude', label: id, oauth };
}

const claudeAnswers: Responder = () => sse(ANTHROPIC_STREAM.body);

describe('claude through the proxy', () => {
  it('Anthropic client: bearer token, OAuth beta, ?beta=true, the Claude Code system block first; the recorded stream reaches the client', async () => {
    const up = await fakeUpstream(claudeAnswers);
    const p = await proxy(claudeConfig(up), [claudeAccount('claude-a', freshTokens('claude-token'))]);

    const message = await anthropicClient(p)
      .messages.stream({ model: CLAUDE_MODEL, max_tokens: 64, system: 'Be terse.', messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    expect(message.content.map((block) => (block.type === 'text' ? block.text : block.type))).toEqual([recordedText(ANTHROPIC_STREAM)]);

    const [request] = up.requests;
    expect(request!.url).toBe('/v1/messages?beta=true');
    expect(request!.headers.authorization).toBe('Bearer claude-token');
    expect(request!.headers['x-api-key']).toBeUndefined();
    expect(String(request!.headers['anthropic-beta']).split(',')).toContain('oauth-2025-04-20');
    expect(request!.headers['user-agent']).toBe(CLAUDE_IDENTITY['user-agent']);
    const body = bodyOf(request!);
    expect(body.system).toEqual([
      { type: 'text', text: CLAUDE_IDENTITY['system-prompt'] },
      { type: 'text', text: 'Be terse.' },
    ]);
    expect(body).toMatchObject({ model: CLAUDE_MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  });

  it('OpenAI client: translated to Messages with the same identity, the answer translated back', async () => {
    const up = await fakeUpstream(claudeAnswers);
    const p = await proxy(claudeConfig(up), [claudeAccount('claude-a', freshTokens('claude-token'))]);

    const text = await chatStreamText(p, CLAUDE_MODEL, [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(text).toBe(recordedText(ANTHROPIC_STREAM));

    const [request] = up.requests;
    expect(request!.url).toBe('/v1/messages?beta=true');
    expect(request!.headers.authorization).toBe('Bearer claude-token');
    expect(String(request!.headers['anthropic-beta']).split(',')).toContain('oauth-2025-04-20');
    const body = bodyOf(request!);
    expect(body.system[0]).toEqual({ type: 'text', text: CLAUDE_IDENTITY['system-prompt'] });
    expect(body.system.slice(1).map((block: { text: string }) => block.text)).toEqual(['Be terse.']);
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0].role).toBe('user');
    expect(JSON.stringify(body.messages[0].content)).toContain('hi');
  });
});

// --- Codex --------------------------------------------------------------------------------

const CODEX_API_PATH = '/backend-api/codex';

function codexConfig(upstream: FakeUpstream): string {
  return subscriptionConfig({ codex: { endpoints: { api: `${upstream.url}${CODEX_API_PATH}` }, models: [CODEX_MODEL] } });
}

/** ChatGPT accounts `codex-<name>` with token `token-<name>` and ChatGPT account id `acct-<name>`. */
function codexAccounts(...names: string[]): SeedAccount[] {
  return names.map((name) => ({ id: `codex-${name}`, provider: 'codex', label: name, oauth: freshTokens(`token-${name}`, { accountId: `acct-${name}` }) }));
}

/** ChatGPT's answer when the plan's window is used up. */
function usageLimitReached(resetsInSeconds: number): CannedResponse {
  return json(429, { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_in_seconds: resetsInSeconds } });
}

/** Only the stream's first event (response.created), then the connection closes. */
const RESPONSES_PREAMBLE = `${RESPONSES_STREAM.body.toString('utf8').split('\n\n')[0]}\n\n`;

describe('codex through the proxy', () => {
  it('streaming Responses client: account headers, store false, stream true; the recorded stream reaches the client', async () => {
    const up = await fakeUpstream(() => sse(RESPONSES_STREAM.body));
    const p = await proxy(codexConfig(up), codexAccounts('a'));

    expect(await responsesStreamText(p)).toBe(recordedText(RESPONSES_STREAM));
    const [request] = up.requests;
    expect(request!.url).toBe(`${CODEX_API_PATH}/responses`);
    expect(request!.headers).toMatchObject({ authorization: 'Bearer token-a', 'chatgpt-account-id': 'acct-a', originator: SUBSCRIPTION_DEFAULTS.codex.identity.originator });
    expect(bodyOf(request!)).toMatchObject({ model: CODEX_MODEL, input: 'hi', store: false, stream: true });
  });

  it('non-streaming client: the always-streaming upstream is aggregated into one whole answer', async () => {
    const up = await fakeUpstream(() => sse(RESPONSES_STREAM.body));
    const p = await proxy(codexConfig(up), codexAccounts('a'));

    const response = await openaiClient(p).responses.create({ model: CODEX_MODEL, input: 'hi' });
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(recordedText(RESPONSES_STREAM));
    expect(response.usage).toMatchObject({ input_tokens: 278, output_tokens: 9 });
    expect(bodyOf(up.requests[0]!)).toMatchObject({ store: false, stream: true });
    expect(up.requests[0]!.headers['chatgpt-account-id']).toBe('acct-a');
  });

  it('a stream that closes before its first event on account A is retried on B; the client never notices', async () => {
    const up = await fakeUpstream((request) => sse(tokenOf(request) === 'token-a' ? RESPONSES_PREAMBLE : RESPONSES_STREAM.body));
    const p = await proxy(codexConfig(up), codexAccounts('a', 'b'));

    expect(await responsesStreamText(p)).toBe(recordedText(RESPONSES_STREAM));
    expect(tokensSeen(up)).toEqual(['token-a', 'token-b']);
    expect(up.requests[1]!.body).toBe(up.requests[0]!.body);
    expect(up.requests[1]!.headers['chatgpt-account-id']).toBe('acct-b');
  });
});

// --- Gemini CLI (Code Assist) -------------------------------------------------------------

function geminiCliConfig(upstream: FakeUpstream, oauth?: FakeOAuthServer): string {
  return subscriptionConfig({
    'gemini-cli': { endpoints: { api: upstream.url, ...(oauth ? { token: `${oauth.url}/token` } : {}) }, models: [GEMINI_MODEL] },
  });
}

function geminiAccounts(...names: string[]): SeedAccount[] {
  return names.map((name) => ({ id: `gemini-${name}`, provider: 'gemini-cli', label: name, oauth: freshTokens(`token-${name}`, { project: `project-${name}` }) }));
}

const codeAssistAnswers: Responder = () => sse(wrapStream(GEMINI_STREAM));

describe('gemini-cli through the proxy', () => {
  it('Gemini client: the {model, project, request} envelope to :streamGenerateContent?alt=sse, the {response} envelope removed', async () => {
    const up = await fakeUpstream(codeAssistAnswers);
    const p = await proxy(geminiCliConfig(up), geminiAccounts('a'));

    expect(await geminiStreamText(p, 'What is the capital of France?')).toBe(recordedText(GEMINI_STREAM));
    const [request] = up.requests;
    expect(request!.url).toBe('/v1internal:streamGenerateContent?alt=sse');
    expect(request!.headers.authorization).toBe('Bearer token-a');
    expect(request!.headers['user-agent']).toContain(GEMINI_MODEL);
    const body = bodyOf(request!);
    expect(body).toMatchObject({ model: GEMINI_MODEL, project: 'project-a', request: { contents: [{ role: 'user', parts: [{ text: 'What is the capital of France?' }] }] } });
    expect(typeof body.user_prompt_id).toBe('string');
  });

  it('OpenAI client: translated to Gemini inside the same envelope, the answer translated back', async () => {
    const up = await fakeUpstream(codeAssistAnswers);
    const p = await proxy(geminiCliConfig(up), geminiAccounts('a'));

    expect(await chatStreamText(p, GEMINI_MODEL, [{ role: 'user', content: 'What is the capital of France?' }])).toBe(recordedText(GEMINI_STREAM));
    const [request] = up.requests;
    expect(request!.url).toBe('/v1internal:streamGenerateContent?alt=sse');
    expect(bodyOf(request!)).toMatchObject({
      model: GEMINI_MODEL,
      project: 'project-a',
      request: { contents: [{ role: 'user', parts: [{ text: 'What is the capital of France?' }] }] },
    });
  });
});

// --- Antigravity --------------------------------------------------------------------------

const OUTDATED_NOTICE = 'This version of Antigravity is no longer supported. Please update to receive the latest features.';

async function antigravityProxy(daily: FakeUpstream, production: FakeUpstream): Promise<TestProxy> {
  const config = subscriptionConfig({ antigravity: { endpoints: { daily: daily.url, production: production.url }, models: [GEMINI_MODEL] } });
  return proxy(config, [{ id: 'antigravity-a', provider: 'antigravity', label: 'a', oauth: freshTokens('token-a', { project: 'ag-project' }) }]);
}

describe('antigravity through the proxy', () => {
  it('the daily host answering 503 moves the request to production, which serves it', async () => {
    const daily = await fakeUpstream(() => json(503, { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } }));
    const production = await fakeUpstream(codeAssistAnswers);
    const p = await antigravityProxy(daily, production);

    expect(await geminiStreamText(p)).toBe(recordedText(GEMINI_STREAM));
    expect(daily.requests.map((request) => request.url)).toEqual(['/v1internal:streamGenerateContent?alt=sse']);
    expect(production.requests.map((request) => request.url)).toEqual(['/v1internal:streamGenerateContent?alt=sse']);
    expect(production.requests[0]!.headers.authorization).toBe('Bearer token-a');
    expect(bodyOf(production.requests[0]!)).toMatchObject({ model: GEMINI_MODEL, project: 'ag-project', userAgent: 'antigravity', requestType: 'agent' });
  });

  it('a 200 "no longer supported" answer reaches the client as an error, not as the model text', async () => {
    const daily = await fakeUpstream(() => sse(wrappedEvents([textElement(OUTDATED_NOTICE.slice(0, 20)), textElement(OUTDATED_NOTICE.slice(20))])));
    const production = await fakeUpstream(codeAssistAnswers);
    const p = await antigravityProxy(daily, production);

    const error = await failure<Error & { status?: number }>(geminiStreamText(p));
    expect(error.status).toBe(502);
    expect(error.message).toContain('providers.antigravity.identity.version');
    expect(daily.requests.length).toBeGreaterThan(0);
    expect(production.requests).toHaveLength(0);
  });
});

// --- Copilot and Qwen ---------------------------------------------------------------------

describe('copilot and qwen through the proxy', () => {
  it('copilot: OpenAI chat with the editor headers, x-initiator user for a new turn and agent once the model has spoken', async () => {
    const up = await fakeUpstream(() => sse(CHAT_STREAM.body));
    const p = await proxy(subscriptionConfig({ copilot: { endpoints: { api: up.url }, models: ['gpt-4.1'] } }), [
      { id: 'copilot-a', provider: 'copilot', label: 'a', oauth: freshTokens('copilot-token') },
    ]);

    expect(await chatStreamText(p, 'gpt-4.1')).toBe(recordedText(CHAT_STREAM));
    const followUp: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'more' },
    ];
    expect(await chatStreamText(p, 'gpt-4.1', followUp)).toBe(recordedText(CHAT_STREAM));

    const identity = SUBSCRIPTION_DEFAULTS.copilot.identity;
    for (const request of up.requests) {
      expect(request.url).toBe('/chat/completions');
      expect(request.headers).toMatchObject({
        authorization: 'Bearer copilot-token',
        'editor-version': identity['editor-version'],
        'editor-plugin-version': identity['editor-plugin-version'],
        'copilot-integration-id': identity['copilot-integration-id'],
      });
    }
    expect(up.requests.map((request) => request.headers['x-initiator'])).toEqual(['user', 'agent']);
  });

  it("qwen: DashScope headers, at the host of the account's resource_url (from its token refresh), not the default API", async () => {
    const resource = await fakeUpstream(() => sse(CHAT_STREAM.body));
    const defaultApi = await fakeUpstream(() => json(500, { error: { message: 'not this host' } }));
    const oauth = await fakeOAuth({ extraTokenFields: { resource_url: resource.url } });
    const config = subscriptionConfig({ qwen: { endpoints: { api: `${defaultApi.url}/v1`, token: `${oauth.url}/token` }, models: ['qwen3-coder-plus'] } });
    const p = await proxy(config, [{ id: 'qwen-a', provider: 'qwen', label: 'a', oauth: await expiredTokens(oauth) }]);

    expect(await chatStreamText(p, 'qwen3-coder-plus')).toBe(recordedText(CHAT_STREAM));
    expect(defaultApi.requests).toHaveLength(0);
    const [request] = resource.requests;
    const userAgent = SUBSCRIPTION_DEFAULTS.qwen.identity['user-agent'];
    expect(request!.url).toBe('/v1/chat/completions');
    expect(request!.headers).toMatchObject({ 'user-agent': userAgent, 'x-dashscope-useragent': userAgent, 'x-dashscope-authtype': 'qwen-oauth' });
    expect(tokenOf(request!)).toMatch(/^access-/);
    expect(oauth.counts.refresh).toBe(1);
  });
});

// --- Token lifecycle ----------------------------------------------------------------------

describe('token lifecycle through the proxy', () => {
  it('an expired access token is refreshed before the request goes out; the rotated refresh token is saved', async () => {
    const up = await fakeUpstream(claudeAnswers);
    const oauth = await fakeOAuth();
    const tokens = await expiredTokens(oauth);
    const p = await proxy(claudeConfig(up, oauth), [claudeAccount('claude-a', tokens)]);

    expect(await claudeAnswer(p)).toBe(recordedText(ANTHROPIC_STREAM));
    expect(oauth.counts.refresh).toBe(1);
    expect(oauth.tokenRequests.at(-1)!.params).toMatchObject({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken });

    const store = fileAccountStore(join(p.configPath, '..'));
    const stored = (await store.credentials('claude-a'))!;
    expect(tokensSeen(up)).toEqual([stored.accessToken]);
    expect(stored.accessToken).not.toBe('expired-access');
    expect(stored.refreshToken).not.toBe(tokens.refreshToken);
    expect(stored.expiresAt).toBeGreaterThan(Date.now());
    const record = (await store.get('claude-a'))!;
    expect(record).toMatchObject({ state: 'active', expiresAt: new Date(stored.expiresAt!).toISOString() });

    // The old refresh token is spent; the saved one is what the next refresh uses.
    const replay = await fetch(`${oauth.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: tokens.refreshToken! }),
    });
    expect(replay.status).toBe(400);
  });

  it('a 401 from the upstream triggers exactly one refresh and the request is retried with the new token', async () => {
    let refuseEverything = false;
    const up = await fakeUpstream((request) =>
      refuseEverything || tokenOf(request) === 'stale-access'
        ? json(401, { type: 'error', error: { type: 'authentication_error', message: 'OAuth token has expired.' } })
        : claudeAnswers(request),
    );
    const oauth = await fakeOAuth();
    const tokens = { ...freshTokens('stale-access'), refreshToken: await issuedRefreshToken(oauth) };
    const p = await proxy(claudeConfig(up, oauth), [claudeAccount('claude-a', tokens)]);

    expect(await claudeAnswer(p)).toBe(recordedText(ANTHROPIC_STREAM));
    expect(oauth.counts.refresh).toBe(1);
    const [refused, retried] = tokensSeen(up);
    expect(refused).toBe('stale-access');
    expect(retried).toMatch(/^access-/);
    expect(up.requests).toHaveLength(2);

    // A token the upstream refuses even fresh: one more refresh, then the 401 goes to the client (no loop).
    refuseEverything = true;
    const error = await failure<InstanceType<typeof Anthropic.APIError>>(claudeAnswer(p));
    expect(error.status).toBe(401);
    expect(oauth.counts.refresh).toBe(2);
    expect(up.requests).toHaveLength(4);
  });

  it('100 concurrent requests with an expired token cause exactly one refresh', async () => {
    const up = await fakeUpstream(claudeAnswers);
    const oauth = await fakeOAuth();
    const p = await proxy(claudeConfig(up, oauth), [claudeAccount('claude-a', await expiredTokens(oauth))]);

    const answers = await Promise.all(Array.from({ length: 100 }, () => claudeAnswer(p)));
    expect(new Set(answers)).toEqual(new Set([recordedText(ANTHROPIC_STREAM)]));
    expect(oauth.counts.refresh).toBe(1);
    expect(up.requests).toHaveLength(100);
    expect(new Set(tokensSeen(up)).size).toBe(1);
    expect(tokensSeen(up)[0]).toMatch(/^access-/);
  });

  it('a revoked grant marks the account needs-login: a 503 in the client protocol naming the login, and the management API says so', async () => {
    const up = await fakeUpstream(claudeAnswers);
    const oauth = await fakeOAuth();
    const tokens = await expiredTokens(oauth);
    oauth.revokeRefreshTokens();
    const p = await proxy(claudeConfig(up, oauth), [claudeAccount('claude-a', tokens)], true);
    // As under `serve`: the daemon follows accounts.json, where the refresh recorded the state.
    const stop = p.runtime.watchAccounts();
    onCleanup(async () => stop());

    const anthropicError = await failure<InstanceType<typeof Anthropic.APIError>>(claudeAnswer(p));
    expect(anthropicError.status).toBe(503);
    expect(anthropicError.error).toMatchObject({ type: 'error', error: { message: expect.stringContaining('llm-mux login claude') } });
    expect(oauth.counts.refresh).toBe(1);

    const openaiError = await failure<InstanceType<typeof OpenAI.APIError>>(chatStreamText(p, CLAUDE_MODEL));
    expect(openaiError.status).toBe(503);
    expect(openaiError.message).toContain('llm-mux login claude');
    // The dead grant is not asked again.
    expect(oauth.counts.refresh).toBe(1);
    expect(up.requests).toHaveLength(0);

    await until(async () => (await accountView(p, 'claude-a'))?.state === 'needs-login', 'account shown as needs-login');
    const view = await accountView(p, 'claude-a');
    expect(view.lastError).toContain('llm-mux login claude');
    expect(JSON.stringify(view)).not.toContain(tokens.refreshToken!);
  });
});

// --- Several accounts per provider --------------------------------------------------------

describe('several OAuth accounts per provider', () => {
  it('round-robin across two Claude accounts and three ChatGPT accounts', async () => {
    const claudeUp = await fakeUpstream(claudeAnswers);
    const claude = await proxy(claudeConfig(claudeUp), [claudeAccount('claude-a', freshTokens('token-a')), claudeAccount('claude-b', freshTokens('token-b'))]);
    for (let i = 0; i < 4; i++) expect(await claudeAnswer(claude)).toBe(recordedText(ANTHROPIC_STREAM));
    expect(tokensSeen(claudeUp)).toEqual(['token-a', 'token-b', 'token-a', 'token-b']);

    const codexUp = await fakeUpstream(() => sse(RESPONSES_STREAM.body));
    const codex = await proxy(codexConfig(codexUp), codexAccounts('a', 'b', 'c'));
    for (let i = 0; i < 6; i++) expect(await responsesStreamText(codex)).toBe(recordedText(RESPONSES_STREAM));
    expect(tokensSeen(codexUp)).toEqual(['token-a', 'token-b', 'token-c', 'token-a', 'token-b', 'token-c']);
    expect(codexUp.requests.map((request) => request.headers['chatgpt-account-id'])).toEqual(['acct-a', 'acct-b', 'acct-c', 'acct-a', 'acct-b', 'acct-c']);
  });

  it('codex usage_limit_reached (resets_in_seconds): that account rests and the same request is served by the next one', async () => {
    const up = await fakeUpstream((request) => (tokenOf(request) === 'token-a' ? usageLimitReached(3_600) : sse(RESPONSES_STREAM.body)));
    const p = await proxy(codexConfig(up), codexAccounts('a', 'b', 'c'), true);

    expect(await responsesStreamText(p)).toBe(recordedText(RESPONSES_STREAM));
    expect(tokensSeen(up)).toEqual(['token-a', 'token-b']);
    expect(up.requests[1]!.body).toBe(up.requests[0]!.body);
    for (let i = 0; i < 2; i++) expect(await responsesStreamText(p)).toBe(recordedText(RESPONSES_STREAM));
    expect(tokensSeen(up).slice(2).sort()).toEqual(['token-b', 'token-c']);

    const [cooldown] = (await accountView(p, 'codex-a')).cooldowns;
    expect(cooldown.family).toBe(CODEX_MODEL);
    expect(cooldown.retryAfterSeconds).toBeGreaterThan(3_590);
    expect(cooldown.retryAfterSeconds).toBeLessThanOrEqual(3_600);
  });

  it('Anthropic unified reset header: the Claude account rests until then, the next account serves', async () => {
    const reset = Math.floor(Date.now() / 1000) + 900;
    const up = await fakeUpstream((request) =>
      tokenOf(request) === 'token-a'
        ? {
            status: 429,
            headers: { 'content-type': 'application/json', 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-reset': String(reset) },
            body: JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }),
          }
        : claudeAnswers(request),
    );
    const p = await proxy(claudeConfig(up), [claudeAccount('claude-a', freshTokens('token-a')), claudeAccount('claude-b', freshTokens('token-b'))], true);

    for (let i = 0; i < 3; i++) expect(await claudeAnswer(p)).toBe(recordedText(ANTHROPIC_STREAM));
    expect(tokensSeen(up)).toEqual(['token-a', 'token-b', 'token-b', 'token-b']);
    expect((await accountView(p, 'claude-a')).cooldowns).toEqual([expect.objectContaining({ family: 'claude-haiku', until: new Date(reset * 1000).toISOString() })]);
  });

  it('Google retryDelay: the Code Assist account rests, the next account serves the same request', async () => {
    const quota = loadFixture('gemini/error-429-resource-exhausted-retryinfo.json');
    const up = await fakeUpstream((request) => (tokenOf(request) === 'token-a' ? { status: 429, body: quota.body } : codeAssistAnswers(request)));
    const p = await proxy(geminiCliConfig(up), geminiAccounts('a', 'b'), true);

    expect(await geminiStreamText(p)).toBe(recordedText(GEMINI_STREAM));
    expect(tokensSeen(up)).toEqual(['token-a', 'token-b']);
    expect(bodyOf(up.requests[1]!).request).toEqual(bodyOf(up.requests[0]!).request);
    expect(bodyOf(up.requests[1]!).project).toBe('project-b');

    const [cooldown] = (await accountView(p, 'gemini-a')).cooldowns;
    expect(cooldown.family).toBe(GEMINI_MODEL);
    // retryDelay "34.4s".
    expect(cooldown.retryAfterSeconds).toBeGreaterThanOrEqual(34);
    expect(cooldown.retryAfterSeconds).toBeLessThanOrEqual(35);
  });

  it('every account resting: a 429 whose Retry-After is the earliest reset, then answered without asking the upstream', async () => {
    const resets: Record<string, number> = { 'token-a': 300, 'token-b': 120, 'token-c': 600 };
    const up = await fakeUpstream((request) => usageLimitReached(resets[tokenOf(request)]!));
    const p = await proxy(codexConfig(up), codexAccounts('a', 'b', 'c'));

    const first = await failure<InstanceType<typeof OpenAI.APIError>>(responsesStreamText(p));
    expect(first.status).toBe(429);
    expect(first.headers?.get('retry-after')).toBe('120');
    expect(tokensSeen(up)).toEqual(['token-a', 'token-b', 'token-c']);

    const second = await failure<InstanceType<typeof OpenAI.APIError>>(responsesStreamText(p));
    expect(second.status).toBe(429);
    expect(Number(second.headers?.get('retry-after'))).toBeGreaterThanOrEqual(119);
    expect(Number(second.headers?.get('retry-after'))).toBeLessThanOrEqual(120);
    expect(up.requests).toHaveLength(3);
  });
});
