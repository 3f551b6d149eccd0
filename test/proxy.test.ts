// End-to-end behaviour of the proxy: the real server in-process on a loopback port, real
// HTTP to fake upstreams, the official OpenAI SDK as the client where a client is natural
// and plain fetch / node:http where the raw status, headers or body are the point.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AuthenticationError, NotFoundError } from 'openai';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from './support/cleanups.ts';
import { ConfigError } from '../src/config/load.ts';
import { Runtime } from '../src/server/runtime.ts';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest, type Responder } from './support/fake-upstream.ts';
import { loadFixture } from './support/fixtures.ts';
import { fakeProviderConfig, startProxy, type TestProxy } from './support/llm-mux.ts';
import { unusedPort } from './support/ports.ts';

const MESSAGES = [{ role: 'user' as const, content: 'hi' }];
const UPSTREAM_KEY = 'sk-fake-upstream-key';
const CLIENT_KEY = 'sk-client-key-1';

interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

// ---------------------------------------------------------------------------------------
// Resources: every upstream, proxy and temp dir a test starts is closed after it.

const onCleanup = cleanupAfterEach();

async function upstream(responder: Responder = completionResponder()): Promise<FakeUpstream> {
  const fake = await startFakeUpstream(responder);
  onCleanup(() => fake.close());
  return fake;
}

async function proxy(configYaml: string): Promise<TestProxy> {
  const started = await startProxy(configYaml);
  onCleanup(() => started.close());
  return started;
}

function client(target: TestProxy, apiKey = 'sk-whatever-the-client-has'): OpenAI {
  return new OpenAI({ baseURL: `${target.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
}

// ---------------------------------------------------------------------------------------
// Config and upstream bodies.

interface ProviderOptions {
  name: string;
  url: string;
  keys?: string[];
  models?: string;
}

function compatibleProviders(...providers: ProviderOptions[]): string {
  const lines = ['providers:', '  openai-compatible:'];
  for (const provider of providers) {
    lines.push(
      `    - name: ${provider.name}`,
      `      base-url: ${provider.url}/v1`,
      `      api-keys: ${JSON.stringify(provider.keys ?? [UPSTREAM_KEY])}`,
      `      models: ${provider.models ?? '[fake-model]'}`,
    );
  }
  return lines.join('\n');
}

function completion(model: string, usage: object = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: `reply from ${model}`, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage,
  };
}

/** Answers every request with a chat.completion echoing the model the upstream received. */
function completionResponder(usage?: object): Responder {
  return (request) => ({ body: JSON.stringify(completion(upstreamBody(request).model, usage)) });
}

function upstreamBody(request: RecordedRequest): { model: string; [key: string]: unknown } {
  return JSON.parse(request.body) as { model: string };
}

function openAIError(message: string, type: string, code: string | null = null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

/**
 * SSE events carrying one content delta each, padded (JSON allows trailing spaces) to one
 * length so that the fake upstream's fixed `chunkSize` sends exactly one event per write.
 */
function equalSizedEvents(count: number): { body: string; eventSize: number } {
  const payloads = Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      id: 'chatcmpl-stream',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'fake-model',
      choices: [{ index: 0, delta: { content: `part-${String(index).padStart(4, '0')}` }, finish_reason: index === count - 1 ? 'stop' : null }],
    }),
  );
  const width = Math.max(...payloads.map((payload) => payload.length));
  const events = payloads.map((payload) => `data: ${payload.padEnd(width)}\n\n`);
  return { body: events.join(''), eventSize: events[0]!.length };
}

const SSE = { 'content-type': 'text/event-stream' };

// ---------------------------------------------------------------------------------------
// Raw HTTP.

function postChat(target: TestProxy, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** Asserts the OpenAI error shape `{"error":{"message","type","param","code"}}` and returns the inner object. */
async function errorObject(response: Response): Promise<OpenAIErrorObject> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: OpenAIErrorObject };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.type).toBe('string');
  return body.error;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** node:http, because fetch will not send a Host header of our choosing. */
function rawRequest(target: TestProxy, options: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<RawResponse> {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * An upstream that accepts a request and never answers, not even headers (a model still
 * thinking on a non-streaming request); `closed` resolves when the proxy hangs up.
 */
async function hangingUpstream(): Promise<{ url: string; received: Promise<void>; closed: Promise<void> }> {
  let markReceived!: () => void;
  let markClosed!: () => void;
  const received = new Promise<void>((resolve) => (markReceived = resolve));
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const server = createServer((req, res) => {
    res.on('close', markClosed);
    req.resume().on('end', markReceived);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, closed };
}

// =======================================================================================

describe('basic endpoints', () => {
  it('GET /health answers ok', async () => {
    const p = await proxy(fakeProviderConfig((await upstream()).url));
    const response = await fetch(`${p.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /v1/models lists configured models, aliases by alias name, owned by the provider', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));

    const raw = await fetch(`${p.url}/v1/models`);
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({
      object: 'list',
      data: [
        { id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' },
        { id: 'aliased-model', object: 'model', created: 0, owned_by: 'fake' },
      ],
    });

    const page = await client(p).models.list();
    expect(page.data.map((model) => [model.id, model.owned_by])).toEqual([
      ['fake-model', 'fake'],
      ['aliased-model', 'fake'],
    ]);
    expect(up.requests).toHaveLength(0);
  });

  it('lists the models of every provider with its own owned_by', async () => {
    const one = await upstream();
    const two = await upstream();
    const p = await proxy(
      compatibleProviders({ name: 'alpha', url: one.url, models: '[model-a]' }, { name: 'beta', url: two.url, models: '[model-b]' }),
    );
    const page = await client(p).models.list();
    expect(page.data.map((model) => [model.id, model.owned_by])).toEqual([
      ['model-a', 'alpha'],
      ['model-b', 'beta'],
    ]);
  });
});

describe('routing', () => {
  it('sends an exact model name upstream, with the client body untouched', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const body = JSON.stringify({ model: 'fake-model', messages: MESSAGES, temperature: 0.25, vendor_extension: { keep: true } });

    const response = await postChat(p, body);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model: string }).model).toBe('fake-model');

    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.method).toBe('POST');
    expect(up.requests[0]!.url).toBe('/v1/chat/completions');
    expect(up.requests[0]!.body).toBe(body);
  });

  it('works through the OpenAI SDK', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const result = await client(p).chat.completions.create({ model: 'fake-model', messages: MESSAGES });
    expect(result.choices[0]?.message.content).toBe('reply from fake-model');
    expect(result.usage?.total_tokens).toBe(7);
  });

  it('maps an alias to its upstream name in the JSON body', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    await client(p).chat.completions.create({ model: 'aliased-model', messages: MESSAGES, temperature: 0.5 });

    const sent = upstreamBody(up.requests[0]!);
    expect(sent.model).toBe('upstream-name');
    // Only the model changes.
    expect(sent).toEqual({ model: 'upstream-name', messages: MESSAGES, temperature: 0.5 });
  });

  it.each(['fake/some-unlisted-model', 'fake://some-unlisted-model'])('%s forces the provider and passes the model through', async (model) => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const result = await client(p).chat.completions.create({ model, messages: MESSAGES });
    expect(result.model).toBe('some-unlisted-model');
    expect(up.requests).toHaveLength(1);
    expect(upstreamBody(up.requests[0]!).model).toBe('some-unlisted-model');
  });

  it('a forced alias still maps to its upstream name', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    await client(p).chat.completions.create({ model: 'fake/aliased-model', messages: MESSAGES });
    expect(upstreamBody(up.requests[0]!).model).toBe('upstream-name');
  });

  it('routes each model to the provider that serves it', async () => {
    const one = await upstream();
    const two = await upstream();
    const p = await proxy(
      compatibleProviders(
        { name: 'alpha', url: one.url, keys: ['sk-alpha-key'], models: '[model-a]' },
        { name: 'beta', url: two.url, keys: ['sk-beta-key'], models: '[model-b]' },
      ),
    );
    const sdk = client(p);
    await sdk.chat.completions.create({ model: 'model-a', messages: MESSAGES });
    await sdk.chat.completions.create({ model: 'model-b', messages: MESSAGES });
    await sdk.chat.completions.create({ model: 'model-a', messages: MESSAGES });
    await sdk.chat.completions.create({ model: 'beta/anything-else', messages: MESSAGES });

    expect(one.requests.map((r) => [upstreamBody(r).model, r.headers.authorization])).toEqual([
      ['model-a', 'Bearer sk-alpha-key'],
      ['model-a', 'Bearer sk-alpha-key'],
    ]);
    expect(two.requests.map((r) => [upstreamBody(r).model, r.headers.authorization])).toEqual([
      ['model-b', 'Bearer sk-beta-key'],
      ['anything-else', 'Bearer sk-beta-key'],
    ]);
  });

  it('an unknown model is a 404 model_not_found (NotFoundError in the SDK)', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));

    const error = await client(p)
      .chat.completions.create({ model: 'no-such-model', messages: MESSAGES })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });

    // An unknown provider prefix is just an unknown model.
    const raw = await postChat(p, { model: 'nope/fake-model', messages: MESSAGES });
    expect(raw.status).toBe(404);
    expect((await errorObject(raw)).code).toBe('model_not_found');
    expect(up.requests).toHaveLength(0);
  });

  it('no provider configured at all is a 503 with a login hint', async () => {
    const p = await proxy('');
    const response = await postChat(p, { model: 'some-model', messages: MESSAGES });
    expect(response.status).toBe(503);
    const error = await errorObject(response);
    expect(error.type).toBe('service_unavailable');
    expect(error.code).toBe('no_provider');
    expect(error.message).toContain('llm-mux login');

    const claude = await postChat(p, { model: 'claude://claude-sonnet-4-5', messages: MESSAGES });
    expect(claude.status).toBe(503);
    expect((await errorObject(claude)).message).toContain('llm-mux login claude');
  });

  it('a claude model without an anthropic provider is a 503 pointing at `llm-mux login claude`', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    // Bare, and forced by provider name or by its `claude` alias.
    for (const model of ['claude-sonnet-4-5', 'claude://claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5', 'claude/claude-sonnet-4-5']) {
      const response = await postChat(p, { model, messages: MESSAGES });
      expect(response.status, model).toBe(503);
      const error = await errorObject(response);
      expect(error.code).toBe('no_provider');
      expect(error.message, model).toContain('llm-mux login claude');
    }
    const gemini = await postChat(p, { model: 'google://gemini-2.5-pro', messages: MESSAGES });
    expect(gemini.status).toBe(503);
    expect((await errorObject(gemini)).message).toContain('llm-mux login gemini');
    expect(up.requests).toHaveLength(0);
  });
});

describe('request validation', () => {
  it('an invalid JSON body is a 400 OpenAI error', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const response = await postChat(p, '{"model": "fake-model", "messages": [');
    expect(response.status).toBe(400);
    const error = await errorObject(response);
    expect(error.type).toBe('invalid_request_error');
    expect(error.code).toBe('invalid_json');
    expect(up.requests).toHaveLength(0);
  });

  it('a body that is JSON but not an object is a 400', async () => {
    const p = await proxy(fakeProviderConfig((await upstream()).url));
    const response = await postChat(p, '[1,2,3]');
    expect(response.status).toBe(400);
    expect((await errorObject(response)).type).toBe('invalid_request_error');
  });

  it('a missing model is a 400 with param model', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const response = await postChat(p, { messages: MESSAGES });
    expect(response.status).toBe(400);
    const error = await errorObject(response);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe('model');
    expect(up.requests).toHaveLength(0);
  });

  it('missing or empty messages is a 400 with param messages', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    for (const body of [{ model: 'fake-model' }, { model: 'fake-model', messages: [] }, { model: 'fake-model', messages: 'hi' }]) {
      const response = await postChat(p, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = await errorObject(response);
      expect(error.type).toBe('invalid_request_error');
      expect(error.param).toBe('messages');
    }
    expect(up.requests).toHaveLength(0);
  });

  it('an unknown endpoint is a 404 OpenAI error', async () => {
    const p = await proxy(fakeProviderConfig((await upstream()).url));
    const response = await fetch(`${p.url}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect((await errorObject(response)).code).toBe('unknown_endpoint');
  });

  it('a generation endpoint called with another method is a 404 in its own protocol', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const chat = await fetch(`${p.url}/v1/chat/completions`);
    expect(chat.status).toBe(404);
    expect((await errorObject(chat)).code).toBe('unknown_endpoint');
    const messages = await fetch(`${p.url}/v1/messages`, { method: 'PUT', body: '{}' });
    expect(messages.status).toBe(404);
    expect(await messages.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const trailingSlash = await fetch(`${p.url}/v1/chat/completions/`, { method: 'POST', body: JSON.stringify({ model: 'fake-model', messages: MESSAGES }) });
    expect(trailingSlash.status).toBe(404);
    expect(up.requests).toHaveLength(0);
  });

  it('percent-escapes in a generation path are decoded (a Gemini model and method joined by %3A)', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const response = await fetch(`${p.url}/v1beta/models/fake-model%3AgenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ candidates: [{ content: { parts: [{ text: 'reply from fake-model' }] } }] });
    expect(upstreamBody(up.requests[0]!).model).toBe('fake-model');
  });

  it('while shutting down: 503 in the caller protocol with Connection: close, and the upstream is not called', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    p.runtime.draining = true;
    const body = JSON.stringify({ model: 'fake-model', messages: MESSAGES, max_tokens: 10 });
    const chat = await rawRequest(p, { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body });
    expect(chat.status).toBe(503);
    expect(chat.headers.connection).toBe('close');
    expect((JSON.parse(chat.body) as { error: OpenAIErrorObject }).error.code).toBe('shutting_down');
    const messages = await rawRequest(p, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body });
    expect(messages.status).toBe(503);
    expect(JSON.parse(messages.body)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const models = await rawRequest(p, { method: 'GET', path: '/v1/models', headers: {} });
    expect(models.status).toBe(503);
    expect(models.headers.connection).toBe('close');
    expect(up.requests).toHaveLength(0);
    p.runtime.draining = false;
  });
});

describe('upstream auth', () => {
  it('sends the provider key upstream and never the client key', async () => {
    const up = await upstream();
    const p = await proxy(
      [
        'auth:',
        '  disable-auth: false',
        `  api-keys: ["${CLIENT_KEY}"]`,
        compatibleProviders({ name: 'fake', url: up.url }),
      ].join('\n'),
    );
    await client(p, CLIENT_KEY).chat.completions.create({ model: 'fake-model', messages: MESSAGES });
    // The other client-key headers must not leak either.
    const response = await postChat(
      p,
      { model: 'fake-model', messages: MESSAGES },
      { 'x-api-key': CLIENT_KEY, 'x-goog-api-key': CLIENT_KEY },
    );
    expect(response.status).toBe(200);

    expect(up.requests).toHaveLength(2);
    for (const request of up.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
      expect(request.headers['x-api-key']).toBeUndefined();
      expect(request.headers['x-goog-api-key']).toBeUndefined();
      expect(JSON.stringify(request.headers)).not.toContain(CLIENT_KEY);
      expect(request.body).not.toContain(CLIENT_KEY);
    }
  });

  it('rotates round-robin across a provider\'s api-keys', async () => {
    const up = await upstream();
    const p = await proxy(compatibleProviders({ name: 'fake', url: up.url, keys: ['sk-key-a', 'sk-key-b'] }));
    const sdk = client(p);
    for (let i = 0; i < 4; i++) await sdk.chat.completions.create({ model: 'fake-model', messages: MESSAGES });
    expect(up.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer sk-key-a',
      'Bearer sk-key-b',
      'Bearer sk-key-a',
      'Bearer sk-key-b',
    ]);
  });
});

describe('retry', () => {
  it('retries a 503 with the next key and returns the 200', async () => {
    let calls = 0;
    const up = await upstream((request) =>
      ++calls === 1
        ? { status: 503, body: openAIError('overloaded', 'server_error') }
        : { body: JSON.stringify(completion(upstreamBody(request).model)) },
    );
    const p = await proxy(compatibleProviders({ name: 'fake', url: up.url, keys: ['sk-key-a', 'sk-key-b'] }));

    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model: string }).model).toBe('fake-model');
    expect(up.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-key-a', 'Bearer sk-key-b']);
    // Both attempts carried the same request.
    expect(up.requests[1]!.body).toBe(up.requests[0]!.body);
  });

  it('with request-retry: 0 a 503 reaches the client as an OpenAI error with status 503', async () => {
    const up = await upstream(() => ({ status: 503, body: openAIError('The engine is overloaded', 'server_error', 'overloaded') }));
    const p = await proxy(`${compatibleProviders({ name: 'fake', url: up.url })}\nrequest-retry: 0`);

    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(503);
    const error = await errorObject(response);
    expect(error.message).toBe('The engine is overloaded');
    expect(error.code).toBe('overloaded');
    expect(up.requests).toHaveLength(1);

    const thrown = await client(p)
      .chat.completions.create({ model: 'fake-model', messages: MESSAGES })
      .catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect(thrown).toMatchObject({ status: 503, code: 'overloaded' });
  });

  // A 429 rests the key and moves on to the next one without spending request-retry; once
  // every key rests the client gets the last 429, Retry-After the earliest reset.
  it('tries every key on a 429 even with request-retry: 0, then passes the 429 and its Retry-After through', async () => {
    const up = await upstream(() => ({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '7' },
      body: openAIError('Rate limit reached', 'rate_limit_error', 'rate_limit_exceeded'),
    }));
    const p = await proxy(`${compatibleProviders({ name: 'fake', url: up.url, keys: ['sk-key-a', 'sk-key-b'] })}\nrequest-retry: 0`);

    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    const error = await errorObject(response);
    expect(error.type).toBe('rate_limit_error');
    expect(up.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-key-a', 'Bearer sk-key-b']);
  });

  it('passes Retry-After through on a non-JSON 429 too', async () => {
    const up = await upstream(() => ({ status: 429, headers: { 'content-type': 'text/plain', 'retry-after': '3' }, body: 'slow down' }));
    const p = await proxy(`${compatibleProviders({ name: 'fake', url: up.url })}\nrequest-retry: 0`);
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect((await errorObject(response)).message).toContain('slow down');
  });

  it('does not retry a 400', async () => {
    const fixture = loadFixture('openai-chat/error-400-unsupported-parameter.json');
    const up = await upstream(() => ({ status: fixture.status, body: fixture.body }));
    const p = await proxy(compatibleProviders({ name: 'fake', url: up.url }));
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(400);
    // An OpenAI-shaped upstream error passes through as sent.
    expect(Buffer.from(await response.arrayBuffer())).toEqual(fixture.body);
    expect(up.requests).toHaveLength(1);
  });

  it('an unreachable upstream is a 502 upstream_unreachable', async () => {
    const port = await unusedPort();
    const p = await proxy(compatibleProviders({ name: 'fake', url: `http://127.0.0.1:${port}` }));
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(502);
    const error = await errorObject(response);
    expect(error.code).toBe('upstream_unreachable');
  });

  it('wraps a non-JSON upstream error body in an OpenAI error with the upstream status', async () => {
    const up = await upstream(() => ({ status: 500, headers: { 'content-type': 'text/plain' }, body: 'Internal Server Error: boom' }));
    const p = await proxy(`${compatibleProviders({ name: 'fake', url: up.url })}\nrequest-retry: 0`);
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(500);
    const error = await errorObject(response);
    expect(error.message).toContain('HTTP 500');
    expect(error.message).toContain('boom');
    expect(error.code).toBe('upstream_error');
  });
});

describe('client auth', () => {
  async function authedProxy(disableAuth: boolean) {
    const up = await upstream();
    const p = await proxy(
      [
        'auth:',
        `  disable-auth: ${disableAuth}`,
        `  api-keys: ["${CLIENT_KEY}"]`,
        compatibleProviders({ name: 'fake', url: up.url }),
      ].join('\n'),
    );
    return { up, p };
  }

  it('without a key: 401 OpenAI error, upstream not called', async () => {
    const { up, p } = await authedProxy(false);
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(401);
    const error = await errorObject(response);
    expect(error.type).toBe('authentication_error');
    expect(error.code).toBe('invalid_api_key');

    expect((await fetch(`${p.url}/v1/models`)).status).toBe(401);
    expect(up.requests).toHaveLength(0);
  });

  it('with a wrong key: 401 (AuthenticationError in the SDK)', async () => {
    const { up, p } = await authedProxy(false);
    const thrown = await client(p, 'sk-client-key-2')
      .chat.completions.create({ model: 'fake-model', messages: MESSAGES })
      .catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect(thrown).toMatchObject({ status: 401, code: 'invalid_api_key' });

    const wrong: Array<Record<string, string>> = [{ 'x-api-key': 'wrong-key-123' }, { authorization: `Bearer ${CLIENT_KEY}x` }, { authorization: 'Bearer ' }];
    for (const headers of wrong) {
      const response = await postChat(p, { model: 'fake-model', messages: MESSAGES }, headers);
      expect(response.status, JSON.stringify(headers)).toBe(401);
    }
    expect(up.requests).toHaveLength(0);
  });

  it('accepts the right key as Authorization Bearer, x-api-key, x-goog-api-key and ?key=', async () => {
    const { up, p } = await authedProxy(false);
    const result = await client(p, CLIENT_KEY).chat.completions.create({ model: 'fake-model', messages: MESSAGES });
    expect(result.choices[0]?.message.content).toBe('reply from fake-model');

    const right: Array<Record<string, string>> = [{ 'x-api-key': CLIENT_KEY }, { 'x-goog-api-key': CLIENT_KEY }, { authorization: `bearer ${CLIENT_KEY}` }];
    for (const headers of right) {
      const response = await postChat(p, { model: 'fake-model', messages: MESSAGES }, headers);
      expect(response.status, JSON.stringify(headers)).toBe(200);
    }
    const viaQuery = await fetch(`${p.url}/v1/chat/completions?key=${CLIENT_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-model', messages: MESSAGES }),
    });
    expect(viaQuery.status).toBe(200);
    expect(up.requests).toHaveLength(5);
  });

  it('/health needs no key', async () => {
    const { p } = await authedProxy(false);
    expect((await fetch(`${p.url}/health`)).status).toBe(200);
  });

  it('disable-auth: true on loopback needs no key', async () => {
    const { up, p } = await authedProxy(true);
    expect(p.runtime.clientAuthRequired).toBe(false);
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES });
    expect(response.status).toBe(200);
    expect(up.requests).toHaveLength(1);
  });

  describe('disable-auth is not honoured off loopback (Runtime.load only, nothing is bound)', () => {
    async function loadRuntime(configYaml: string, host: string): Promise<Runtime> {
      const dir = await mkdtemp(join(tmpdir(), 'llm-mux-proxy-test-'));
      onCleanup(() => rm(dir, { recursive: true, force: true }));
      const configPath = join(dir, 'config.yaml');
      await writeFile(configPath, configYaml, { mode: 0o600 });
      return Runtime.load({ configPath, listenOverrides: { host, port: 0 }, logWrite: () => {} });
    }

    it.each(['0.0.0.0', '::', '192.168.1.10'])('host %s with keys: clientAuthRequired despite disable-auth', async (host) => {
      const runtime = await loadRuntime(`auth:\n  disable-auth: true\n  api-keys: ["${CLIENT_KEY}"]\n`, host);
      expect(runtime.clientAuthRequired).toBe(true);
    });

    it.each(['127.0.0.1', 'localhost', '::1'])('host %s with disable-auth: clientAuthRequired is false', async (host) => {
      const runtime = await loadRuntime(`auth:\n  disable-auth: true\n  api-keys: ["${CLIENT_KEY}"]\n`, host);
      expect(runtime.clientAuthRequired).toBe(false);
    });

    it('refuses host 0.0.0.0 without api-keys', async () => {
      const error = await loadRuntime('auth:\n  disable-auth: true\n', '0.0.0.0').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([expect.objectContaining({ path: 'auth.api-keys' })]);
      expect((error as ConfigError).message).toContain('0.0.0.0');
    });
  });
});

describe('browser guard', () => {
  it('refuses a foreign Origin with 403 and never calls the upstream', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES }, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    const error = await errorObject(response);
    expect(error.type).toBe('permission_error');
    expect(error.code).toBe('forbidden_origin');
    // A text/plain "simple" POST, which a page can send without a preflight.
    const simple = await postChat(p, JSON.stringify({ model: 'fake-model', messages: MESSAGES }), {
      'content-type': 'text/plain',
      origin: 'http://evil.example',
    });
    expect(simple.status).toBe(403);
    expect(up.requests).toHaveLength(0);
  });

  it('refuses Sec-Fetch-Site: cross-site (and same-site) with 403', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    for (const site of ['cross-site', 'same-site']) {
      const response = await postChat(p, { model: 'fake-model', messages: MESSAGES }, { 'sec-fetch-site': site });
      expect(response.status, site).toBe(403);
      expect((await errorObject(response)).code).toBe('forbidden_origin');
    }
    expect(up.requests).toHaveLength(0);
  });

  it('refuses a non-loopback Host header (DNS rebinding) with 403', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const port = new URL(p.url).port;
    const body = JSON.stringify({ model: 'fake-model', messages: MESSAGES });
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const response = await rawRequest(p, { method: 'POST', path: '/v1/chat/completions', headers: { host, 'content-type': 'application/json' }, body });
      expect(response.status, host).toBe(403);
      expect((JSON.parse(response.body) as { error: OpenAIErrorObject }).error.code).toBe('forbidden_host');
    }
    // Reads too: a rebound page must not list models either.
    const models = await rawRequest(p, { method: 'GET', path: '/v1/models', headers: { host: `evil.example:${port}` } });
    expect(models.status).toBe(403);
    expect(up.requests).toHaveLength(0);
  });

  it('allows loopback Host names and a same-origin Origin', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const port = new URL(p.url).port;
    const body = JSON.stringify({ model: 'fake-model', messages: MESSAGES });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const response = await rawRequest(p, { method: 'POST', path: '/v1/chat/completions', headers: { host, 'content-type': 'application/json' }, body });
      expect(response.status, host).toBe(200);
    }
    const sameOrigin = await postChat(p, body, { origin: p.url });
    expect(sameOrigin.status).toBe(200);
    expect(up.requests).toHaveLength(4);
  });

  it('lets requests without Origin through (SDKs)', async () => {
    const up = await upstream();
    const p = await proxy(fakeProviderConfig(up.url));
    const result = await client(p).chat.completions.create({ model: 'fake-model', messages: MESSAGES });
    expect(result.choices).toHaveLength(1);
    expect(up.requests).toHaveLength(1);
  });
});

describe('streaming', () => {
  it('passes SSE through incrementally: the first chunk arrives before the upstream sent the last', async () => {
    const DELAY_MS = 200;
    const COUNT = 5;
    const { body, eventSize } = equalSizedEvents(COUNT);
    let firstWriteAt = 0;
    const up = await upstream(() => {
      // The fake writes chunk i no earlier than i * DELAY_MS after this.
      firstWriteAt = performance.now();
      return { headers: SSE, body, chunkSize: eventSize, delayMs: DELAY_MS };
    });
    const p = await proxy(fakeProviderConfig(up.url));

    const stream = await client(p).chat.completions.create({ model: 'fake-model', messages: MESSAGES, stream: true });
    const arrivals: number[] = [];
    const contents: string[] = [];
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      contents.push(chunk.choices[0]?.delta.content ?? '');
    }

    expect(contents).toEqual(['part-0000', 'part-0001', 'part-0002', 'part-0003', 'part-0004']);
    // The last chunk is written after COUNT - 1 timers of DELAY_MS (a timer may fire up to
    // 1 ms early): a proxy that buffered could not deliver the first chunk before that.
    const lastWriteNotBefore = firstWriteAt + (COUNT - 1) * (DELAY_MS - 1);
    expect(arrivals[0]!).toBeLessThan(lastWriteNotBefore);
  });

  it('passes the upstream SSE bytes through unchanged', async () => {
    const fixture = loadFixture('openai-chat/gpt-4o-text-with-usage.sse');
    const up = await upstream(() => ({ headers: SSE, body: fixture.body, chunkSize: 97 }));
    const p = await proxy(fakeProviderConfig(up.url));
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES, stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(fixture.body);
  });

  it('folds an SSE upstream answer into one JSON body for a non-streaming client', async () => {
    const fixture = loadFixture('openai-chat/gpt-4o-text-with-usage.sse');
    const up = await upstream(() => ({ headers: SSE, body: fixture.body }));
    const p = await proxy(fakeProviderConfig(up.url));
    const result = await client(p).chat.completions.create({ model: 'fake-model', messages: MESSAGES });
    expect(result.object).toBe('chat.completion');
    expect(result.choices[0]?.message.content).toMatch(/^I'm unable to provide real-time weather updates\./);
    expect(result.usage).toMatchObject({ prompt_tokens: 14, completion_tokens: 30 });
  });
});

describe('client disconnect', () => {
  it('aborting a stream after the first chunk closes the upstream connection', async () => {
    const { body, eventSize } = equalSizedEvents(200);
    // 200 chunks, 50 ms apart: 10 s if nobody hangs up.
    const up = await upstream(() => ({ headers: SSE, body, chunkSize: eventSize, delayMs: 50 }));
    const p = await proxy(fakeProviderConfig(up.url));

    const controller = new AbortController();
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES, stream: true }, {}, controller.signal);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('part-0000');
    controller.abort();

    await within(up.aborted, 3_000, 'upstream connection closed after the client aborted');
  });

  it('aborting an SDK stream closes the upstream connection', async () => {
    const { body, eventSize } = equalSizedEvents(200);
    const up = await upstream(() => ({ headers: SSE, body, chunkSize: eventSize, delayMs: 50 }));
    const p = await proxy(fakeProviderConfig(up.url));

    const stream = await client(p).chat.completions.create({ model: 'fake-model', messages: MESSAGES, stream: true });
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta.content).toBe('part-0000');
      break; // Leaving the loop aborts the SDK's request.
    }
    await within(up.aborted, 3_000, 'upstream connection closed after the SDK stream was left');
  });

  it('aborting a non-streaming request while the upstream body is still coming closes the upstream connection', async () => {
    // Headers at once, then a JSON body trickling in over ~10 s.
    const json = JSON.stringify({ ...completion('fake-model'), padding: 'x'.repeat(2_000) });
    const up = await upstream(() => ({ body: json, chunkSize: 10, delayMs: 50 }));
    const p = await proxy(fakeProviderConfig(up.url));

    const controller = new AbortController();
    const pending = postChat(p, { model: 'fake-model', messages: MESSAGES }, {}, controller.signal);
    await until(() => up.requests.length === 1, 'upstream received the request');
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    // The headers may already be here (the body is forwarded as it arrives): reading it fails.
    await expect(pending.then((response) => response.text())).rejects.toThrow();

    await within(up.aborted, 3_000, 'upstream connection closed after the client aborted');
  });

  it('aborting a non-streaming request while the upstream has not answered yet closes the upstream connection', async () => {
    const hanging = await hangingUpstream();
    const p = await proxy(compatibleProviders({ name: 'fake', url: hanging.url }));

    const controller = new AbortController();
    const pending = postChat(p, { model: 'fake-model', messages: MESSAGES }, {}, controller.signal);
    await within(hanging.received, 3_000, 'upstream received the request');
    controller.abort();
    await expect(pending).rejects.toThrow();

    await within(hanging.closed, 3_000, 'upstream connection closed after the client aborted');
  });
});

describe('usage counters', () => {
  it('count requests, failures and tokens for streamed and non-streamed responses', async () => {
    const streamed = loadFixture('openai-chat/gpt-4o-text-with-usage.sse');
    const midstreamError = loadFixture('openai-chat/openrouter-midstream-error-chunk.sse');
    let next: Responder = completionResponder();
    const up = await upstream((request) => next(request));
    const p = await proxy(`${fakeProviderConfig(up.url)}\nrequest-retry: 0`);
    const sdk = client(p);
    expect(p.runtime.usage.snapshot().total).toMatchObject({ requests: 0, failed: 0 });

    // Non-streamed, with cached and reasoning details.
    next = completionResponder({
      prompt_tokens: 11,
      completion_tokens: 22,
      total_tokens: 33,
      prompt_tokens_details: { cached_tokens: 5 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
    await sdk.chat.completions.create({ model: 'fake-model', messages: MESSAGES });
    expect(p.runtime.usage.snapshot().total).toEqual({
      requests: 1,
      failed: 0,
      input_tokens: 11,
      output_tokens: 22,
      cached_tokens: 5,
      reasoning_tokens: 7,
    });

    // Streamed: counted once the stream has ended.
    next = () => ({ headers: SSE, body: streamed.body, chunkSize: 256 });
    const stream = await sdk.chat.completions.create({ model: 'fake-model', messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) void chunk;
    expect(p.runtime.usage.snapshot().total).toMatchObject({ requests: 2, failed: 0, input_tokens: 11 + 14, output_tokens: 22 + 30 });

    // An upstream HTTP error is a failed request.
    next = () => ({ status: 503, body: openAIError('overloaded', 'server_error') });
    await expect(sdk.chat.completions.create({ model: 'fake-model', messages: MESSAGES })).rejects.toMatchObject({ status: 503 });
    expect(p.runtime.usage.snapshot().total).toMatchObject({ requests: 3, failed: 1 });

    // An error inside a 200 stream is a failed request; its usage still counts.
    next = () => ({ headers: SSE, body: midstreamError.body });
    const raw = await postChat(p, { model: 'aliased-model', messages: MESSAGES, stream: true });
    expect(raw.status).toBe(200);
    await raw.arrayBuffer();

    // Errors refused before any upstream is chosen are not provider traffic.
    await postChat(p, { model: 'no-such-model', messages: MESSAGES });

    const snapshot = p.runtime.usage.snapshot();
    const expected = {
      requests: 4,
      failed: 2,
      input_tokens: 11 + 14 + 43,
      output_tokens: 22 + 30 + 10,
      cached_tokens: 5,
      reasoning_tokens: 7 + 0 + 11,
    };
    expect(snapshot.total).toEqual(expected);
    expect(snapshot.providers).toEqual({ fake: expected });
    expect(snapshot.models).toEqual({
      'fake-model': { requests: 3, failed: 1, input_tokens: 25, output_tokens: 52, cached_tokens: 5, reasoning_tokens: 7 },
      'aliased-model': { requests: 1, failed: 1, input_tokens: 43, output_tokens: 10, cached_tokens: 0, reasoning_tokens: 11 },
    });
  });

  it('count a passed-through stream the upstream drops midway as failed, and the client sees it break', async () => {
    const { body } = equalSizedEvents(4);
    const up = await upstream(() => ({ headers: SSE, body, chunkSize: 64, delayMs: 5, cutOff: true }));
    const p = await proxy(`${fakeProviderConfig(up.url)}\nrequest-retry: 0`);
    const response = await postChat(p, { model: 'fake-model', messages: MESSAGES, stream: true });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    await until(() => p.runtime.usage.snapshot().total.requests === 1, 'the dropped stream recorded');
    expect(p.runtime.usage.snapshot().total).toMatchObject({ requests: 1, failed: 1 });
  });
});
