// Every recorded OpenAI Chat Completions body in ../shared/wire/fixtures/openai-chat, end to
// end: a fake upstream replays the recorded bytes in small pieces, the real llm-mux server
// proxies them, and the official openai SDK is the client. What the client should see is
// computed here from the fixture itself (an oracle independent of llm-mux's own parsers).
import { basename } from 'node:path';
import OpenAI, { APIError } from 'openai';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.ts';
import { listFixtures, sseEvents, type Fixture } from '../support/fixtures.ts';
import { fakeProviderConfig, startProxy, type TestProxy } from '../support/llm-mux.ts';

const MODEL = 'fake-model';
const UPSTREAM_KEY = 'sk-fake-upstream-key';
const MESSAGES = [{ role: 'user' as const, content: 'Replay the recording, please.' }];

// ---------------------------------------------------------------------------------------
// The oracle: what a client reassembles from a Chat Completions stream. Written against the
// wire format, not against llm-mux's types, so it shares no code with the proxy.

interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

interface WireError {
  message?: string;
  code?: unknown;
  status_code?: unknown;
  [key: string]: unknown;
}

interface WireChunk {
  id?: string;
  model?: string;
  created?: number;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  choices?: Array<{
    index: number;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
    logprobs?: { content?: unknown[] | null } | null;
  }>;
  usage?: WireUsage | null;
  error?: WireError;
}

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One choice as a client reassembles it from the deltas with its `index`. */
interface Turn {
  /** null until a string `content` delta arrives. */
  content: string | null;
  refusal: string | null;
  /** DeepSeek/xAI style `reasoning_content`. */
  reasoningContent: string;
  /** OpenRouter/Groq style `reasoning`. */
  reasoning: string;
  /** By tool-call index: id and name from the first delta, arguments concatenated. */
  toolCalls: Record<number, ToolCall>;
  finishReason: string | null;
  /** `logprobs.content` entries, concatenated; null when no chunk carried any. */
  logprobs: unknown[] | null;
}

interface Transcript {
  /** First non-empty value: Azure opens with a chunk whose id/model are "" and created 0. */
  id: string;
  model: string;
  created: number;
  systemFingerprint: string | null | undefined;
  choices: Record<number, Turn>;
  /** The last non-null `usage` (a separate choices:[] chunk, or on the finish chunk for DeepSeek). */
  usage: WireUsage | null;
}

function emptyTurn(): Turn {
  return { content: null, refusal: null, reasoningContent: '', reasoning: '', toolCalls: {}, finishReason: null, logprobs: null };
}

/** Folds chunks (parsed from the fixture, or yielded by the SDK) into per-choice turns. */
function reassemble(chunks: readonly WireChunk[]): Transcript {
  const transcript: Transcript = { id: '', model: '', created: 0, systemFingerprint: undefined, choices: {}, usage: null };
  for (const chunk of chunks) {
    transcript.id ||= chunk.id ?? '';
    transcript.model ||= chunk.model ?? '';
    transcript.created ||= chunk.created ?? 0;
    if (chunk.system_fingerprint !== undefined) transcript.systemFingerprint = chunk.system_fingerprint;
    if (chunk.usage) transcript.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      const turn = (transcript.choices[choice.index] ??= emptyTurn());
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') turn.content = (turn.content ?? '') + delta.content;
      if (typeof delta.refusal === 'string') turn.refusal = (turn.refusal ?? '') + delta.refusal;
      if (typeof delta.reasoning_content === 'string') turn.reasoningContent += delta.reasoning_content;
      if (typeof delta.reasoning === 'string') turn.reasoning += delta.reasoning;
      for (const call of delta.tool_calls ?? []) {
        const known = (turn.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
        known.id ||= call.id ?? '';
        known.name ||= call.function?.name ?? '';
        known.arguments += call.function?.arguments ?? '';
      }
      if (choice.finish_reason) turn.finishReason = choice.finish_reason;
      if (choice.logprobs?.content) turn.logprobs = [...(turn.logprobs ?? []), ...choice.logprobs.content];
    }
  }
  return transcript;
}

interface StreamExpectation {
  /** Data payloads the SDK must yield, in order: up to `[DONE]` or the in-stream error. */
  chunks: WireChunk[];
  transcript: Transcript;
  /** An error reported inside the HTTP 200 stream (error chunk or `event: error`). */
  error?: { body: WireError; status: number };
  /** The last usage anywhere in the stream, the error chunk included: what the proxy counts. */
  billedUsage: WireUsage | null;
}

function expectStream(fixture: Fixture): StreamExpectation {
  const chunks: WireChunk[] = [];
  let billedUsage: WireUsage | null = null;
  let error: StreamExpectation['error'];
  for (const event of sseEvents(fixture.body)) {
    if (event.data === '[DONE]') break;
    const chunk = JSON.parse(event.data) as WireChunk;
    if (chunk.usage) billedUsage = chunk.usage;
    // The openai SDK throws on `data.error` (OpenRouter) and on Groq's `event: error`
    // (whose payload is {"error":{...}}): nothing after it reaches the caller.
    if (chunk.error || event.event === 'error') {
      const body = chunk.error ?? {};
      error = { body, status: inStreamErrorStatus(body) };
      break;
    }
    chunks.push(chunk);
  }
  return { chunks, transcript: reassemble(chunks), error, billedUsage };
}

/**
 * The HTTP status a non-streaming client should get for an in-stream error: the error's
 * own numeric `code` (OpenRouter) or `status_code` (Groq) when it is a 4xx/5xx, else 502.
 */
function inStreamErrorStatus(error: WireError): number {
  for (const candidate of [error.code, error.status_code]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate < 600) return candidate;
  }
  return 502;
}

/**
 * The `message` of the non-streaming chat.completion for a turn. A turn that only called
 * tools has content null (OpenAI's own non-streaming bodies), even if a `content: ""` delta came.
 */
function expectedMessage(turn: Turn) {
  const toolCalls = Object.values(turn.toolCalls);
  return {
    role: 'assistant',
    content: toolCalls.length > 0 && !turn.content ? null : turn.content,
    refusal: turn.refusal,
    tool_calls: toolCalls.length > 0 ? toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) : undefined,
  };
}

/** Known contents of particular recordings, so that a silently empty oracle cannot pass. */
const FIXTURE_FACTS: Record<string, (expected: StreamExpectation) => void> = {
  'gpt-4o-n3-multiple-choices.sse': ({ transcript }) => {
    expect(Object.keys(transcript.choices)).toEqual(['0', '1', '2']);
    for (const turn of Object.values(transcript.choices)) {
      expect(turn.finishReason).toBe('stop');
      expect(turn.content).toMatch(/\S/);
    }
  },
  'gpt-4o-parallel-tool-calls-with-usage.sse': ({ transcript }) =>
    expect(Object.values(transcript.choices[0]!.toolCalls).map((call) => call.name)).toEqual(['GetWeatherArgs', 'get_stock_price']),
  'gpt-4o-single-tool-call-with-usage.sse': ({ transcript }) =>
    expect(Object.values(transcript.choices[0]!.toolCalls).map((call) => call.name)).toEqual(['get_weather']),
  'gpt-4o-refusal-delta.sse': ({ transcript }) => {
    expect(transcript.choices[0]!.refusal).toMatch(/\S/);
    expect(transcript.choices[0]!.content).toBeNull();
  },
  'gpt-4o-finish-length.sse': ({ transcript }) => expect(transcript.choices[0]!.finishReason).toBe('length'),
  'gpt-4o-content-logprobs.sse': ({ transcript }) => expect(transcript.choices[0]!.logprobs?.length).toBeGreaterThan(0),
  'azure-gpt-5-nano-content-filter-reasoning-tokens.chunks.ndjson': ({ chunks, transcript }) => {
    expect(chunks[0]).toMatchObject({ id: '', model: '', choices: [] });
    expect(transcript.id).toMatch(/^chatcmpl-/);
    expect(transcript.model).toBe('gpt-5-nano-2025-08-07');
    expect(transcript.usage).toMatchObject({ completion_tokens_details: { reasoning_tokens: 64 } });
  },
  'deepseek-reasoner-reasoning-content.chunks.ndjson': ({ chunks, transcript }) => {
    expect(transcript.choices[0]!.reasoningContent).toMatch(/\S/);
    expect(transcript.choices[0]!.content).toMatch(/\S/);
    // Usage rides on the finish chunk itself, not on a separate choices:[] chunk.
    expect(chunks.find((chunk) => chunk.choices?.[0]?.finish_reason)?.usage).toMatchObject({ prompt_tokens: 18 });
  },
  'deepseek-reasoner-reasoning-then-tool-call.chunks.ndjson': ({ transcript }) => {
    expect(transcript.choices[0]!.reasoningContent).toMatch(/\S/);
    expect(Object.values(transcript.choices[0]!.toolCalls).map((call) => call.name)).toEqual(['weather']);
    expect(transcript.choices[0]!.finishReason).toBe('tool_calls');
  },
  'openrouter-claude-reasoning-details.sse': ({ transcript }) => expect(transcript.choices[0]!.reasoning).toMatch(/\S/),
  'openrouter-midstream-error-chunk.sse': ({ chunks, error }) => {
    expect(chunks).toHaveLength(3);
    expect(error).toEqual({ body: { code: 400, message: 'Token limit reached' }, status: 400 });
  },
  'groq-gpt-oss-event-error.sse': ({ chunks, transcript, error }) => {
    expect(chunks.length).toBeGreaterThan(50);
    expect(transcript.choices[0]!.reasoning).toMatch(/\S/);
    expect(error?.body).toMatchObject({ code: 'tool_use_failed', status_code: 400 });
  },
};

// ---------------------------------------------------------------------------------------
// Harness: one fake upstream and one llm-mux for the whole file.

let upstream: FakeUpstream;
let proxy: TestProxy;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeUpstream(() => ({ status: 500, body: 'no responder set' }));
  proxy = await startProxy(fakeProviderConfig(upstream.url));
  // No SDK retries: every client call must map to exactly one upstream request.
  client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'sk-client-not-checked', maxRetries: 0 });
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

/** Replays `fixture` for every request until the next call, `chunkSize` bytes at a time. */
function replay(fixture: Fixture, chunkSize: number): void {
  upstream.respond(() => ({
    status: fixture.status,
    headers: { 'content-type': fixture.contentType },
    body: fixture.body,
    chunkSize,
    // A pause per piece so that each piece is its own read (and events split across reads).
    delayMs: 1,
  }));
}

/** Runs `call` and returns the one upstream request it caused. */
async function upstreamRequestOf(call: () => Promise<unknown>): Promise<RecordedRequest> {
  const before = upstream.requests.length;
  await call();
  expect(upstream.requests.length - before, 'upstream requests per client request').toBe(1);
  const request = upstream.requests.at(-1)!;
  expect(request.method).toBe('POST');
  expect(request.url).toBe('/v1/chat/completions');
  expect(request.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  return request;
}

type Counters = { requests: number; failed: number; input_tokens: number; output_tokens: number };

function counters(model = MODEL): Counters {
  const entry = proxy.runtime.usage.snapshot().models[model];
  return entry ?? { requests: 0, failed: 0, input_tokens: 0, output_tokens: 0 };
}

/**
 * The request since `before` was counted once, as failed or not, and with the tokens of
 * `usage` (none when null; not checked when undefined).
 */
async function expectCounted(before: Counters, expected: { failed: boolean; usage?: WireUsage | null }, model = MODEL) {
  // A streaming request is counted when its body ends or the client hangs up, which can
  // trail the client's last read: wait for it.
  await vi.waitFor(() => {
    const now = counters(model);
    const delta = { requests: now.requests - before.requests, failed: now.failed - before.failed };
    expect(delta).toEqual({ requests: 1, failed: expected.failed ? 1 : 0 });
    if (expected.usage === undefined) return;
    expect({
      prompt_tokens: now.input_tokens - before.input_tokens,
      completion_tokens: now.output_tokens - before.output_tokens,
    }).toEqual({
      prompt_tokens: expected.usage?.prompt_tokens ?? 0,
      completion_tokens: expected.usage?.completion_tokens ?? 0,
    });
  });
}

type Drained = { chunks: ChatCompletionChunk[]; error?: unknown };

/** Iterates an SDK stream to its end or its error. */
async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<Drained> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

/** Where two byte strings first differ, with some context, or undefined when identical. */
function firstDifference(actual: Buffer, expected: Buffer) {
  if (actual.equals(expected)) return undefined;
  let offset = 0;
  while (offset < actual.length && offset < expected.length && actual[offset] === expected[offset]) offset++;
  const around = (bytes: Buffer) => bytes.subarray(Math.max(0, offset - 40), offset + 40).toString('utf8');
  return { offset, actualLength: actual.length, expectedLength: expected.length, actual: around(actual), expected: around(expected) };
}

function expectToolArgumentsParse(turn: Turn): void {
  for (const call of Object.values(turn.toolCalls)) {
    expect(call.id, `tool call ${call.name} has an id`).not.toBe('');
    expect(() => JSON.parse(call.arguments), `arguments of ${call.name}: ${call.arguments}`).not.toThrow();
  }
}

/** Reasoning fields are provider extensions the SDK types do not declare. */
function reasoningOf(message: ChatCompletion.Choice['message']) {
  const extended = message as typeof message & { reasoning_content?: string; reasoning?: string };
  return { reasoningContent: extended.reasoning_content ?? '', reasoning: extended.reasoning ?? '' };
}

// ---------------------------------------------------------------------------------------
// The tests.

type Kind = 'stream' | 'stream-error' | 'http-error';

function kindOf(fixture: Fixture): Kind {
  if (fixture.contentType === 'text/event-stream') return expectStream(fixture).error ? 'stream-error' : 'stream';
  if (fixture.contentType === 'application/json' && fixture.status >= 400) return 'http-error';
  throw new Error(`${fixture.name}: no oracle for a ${fixture.contentType} body with HTTP ${fixture.status}; extend this test`);
}

const cases = listFixtures('openai-chat').map((fixture, index) => ({
  file: basename(fixture.name),
  fixture,
  kind: kindOf(fixture),
  // 64..512 bytes, different per fixture, so piece boundaries fall all over the events.
  chunkSize: 64 + ((index * 131) % 449),
}));

function casesOf(kind: Kind) {
  return cases.filter((entry) => entry.kind === kind);
}

/** POSTs `requestText` as is and reads the whole answer. */
async function postRaw(requestText: string): Promise<{ response: Response; bytes: Buffer }> {
  const response = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: requestText,
  });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('openai-chat fixtures through llm-mux to the openai SDK', () => {
  it('covers every recorded openai-chat body', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(casesOf('stream-error').map((entry) => entry.file)).toEqual(['groq-gpt-oss-event-error.sse', 'openrouter-midstream-error-chunk.sse']);
    expect(casesOf('http-error').map((entry) => entry.file)).toContain('error-400-unsupported-parameter.json');
  });

  for (const { file, fixture, chunkSize } of casesOf('stream')) {
    describe(`${file} (in ${chunkSize}-byte pieces)`, () => {
      const expected = expectStream(fixture);

      it('the recording holds what it is known for', () => {
        expect(expected.chunks.length).toBeGreaterThan(0);
        FIXTURE_FACTS[file]?.(expected);
      });

      it('streams: the SDK yields every chunk, and the reassembled turns match the recording', async () => {
        replay(fixture, chunkSize);
        const before = counters();
        const params: ChatCompletionCreateParamsStreaming = { model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } };
        let received!: Drained;
        const request = await upstreamRequestOf(async () => {
          received = await drain(await client.chat.completions.create(params));
        });
        expect(JSON.parse(request.body)).toEqual(params);
        expect(received.error).toBeUndefined();
        expect(received.chunks).toEqual(expected.chunks);

        const transcript = reassemble(received.chunks);
        expect(Object.keys(transcript.choices)).toEqual(Object.keys(expected.transcript.choices));
        for (const [index, turn] of Object.entries(transcript.choices)) {
          const want = expected.transcript.choices[Number(index)]!;
          expect(turn.content, `choice ${index} content`).toBe(want.content);
          expect(turn.refusal, `choice ${index} refusal`).toBe(want.refusal);
          expect(turn.reasoningContent, `choice ${index} reasoning_content`).toBe(want.reasoningContent);
          expect(turn.reasoning, `choice ${index} reasoning`).toBe(want.reasoning);
          expect(turn.toolCalls, `choice ${index} tool calls`).toEqual(want.toolCalls);
          expectToolArgumentsParse(turn);
          expect(turn.finishReason, `choice ${index} finish_reason`).toBe(want.finishReason);
          expect(turn.logprobs, `choice ${index} logprobs`).toEqual(want.logprobs);
        }
        expect(transcript.usage).toEqual(expected.transcript.usage);
        FIXTURE_FACTS[file]?.({ ...expected, chunks: received.chunks, transcript });
        await expectCounted(before, { failed: false, usage: expected.billedUsage });
      });

      it('does not stream: the SDK gets one chat.completion folded from the stream', async () => {
        replay(fixture, chunkSize);
        const before = counters();
        const params = { model: MODEL, messages: MESSAGES };
        let completion!: ChatCompletion;
        const request = await upstreamRequestOf(async () => {
          completion = await client.chat.completions.create(params);
        });
        expect(JSON.parse(request.body)).toEqual(params);

        const want = expected.transcript;
        expect(completion).toMatchObject({ object: 'chat.completion', id: want.id, model: want.model, created: want.created });
        if (want.systemFingerprint !== undefined) expect(completion.system_fingerprint).toBe(want.systemFingerprint);
        expect(completion.choices.map((choice) => choice.index)).toEqual(Object.keys(want.choices).map(Number));
        for (const choice of completion.choices) {
          const turn = want.choices[choice.index]!;
          const message = expectedMessage(turn);
          expect(choice.message.role).toBe('assistant');
          expect(choice.message.content, `choice ${choice.index} content`).toBe(message.content);
          expect(choice.message.refusal, `choice ${choice.index} refusal`).toBe(message.refusal);
          expect(choice.message.tool_calls, `choice ${choice.index} tool_calls`).toEqual(message.tool_calls);
          const wantCalls = Object.values(turn.toolCalls);
          (choice.message.tool_calls ?? []).forEach((call, position) => {
            if (call.type !== 'function') throw new Error(`unexpected tool call type ${call.type}`);
            expect(JSON.parse(call.function.arguments)).toEqual(JSON.parse(wantCalls[position]!.arguments));
          });
          expect(reasoningOf(choice.message), `choice ${choice.index} reasoning`).toEqual({
            reasoningContent: turn.reasoningContent,
            reasoning: turn.reasoning,
          });
          expect(choice.finish_reason, `choice ${choice.index} finish_reason`).toBe(turn.finishReason);
          expect(choice.logprobs?.content ?? null, `choice ${choice.index} logprobs`).toEqual(turn.logprobs);
        }
        if (want.usage) expect(completion.usage).toEqual(want.usage);
        else expect(completion.usage).toBeUndefined();
        await expectCounted(before, { failed: false, usage: expected.billedUsage });
      });

      it('passes the streamed bytes through unchanged, and the request body too', async () => {
        replay(fixture, chunkSize);
        const before = counters();
        // Odd spacing on purpose: same-protocol passthrough must not re-serialise the body.
        const requestText = `{"model":"${MODEL}",  "messages":${JSON.stringify(MESSAGES)},"stream":true, "temperature":0.50}`;
        let answer!: Awaited<ReturnType<typeof postRaw>>;
        const request = await upstreamRequestOf(async () => {
          answer = await postRaw(requestText);
        });
        expect(request.body).toBe(requestText);
        expect(answer.response.status).toBe(200);
        expect(answer.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        expect(firstDifference(answer.bytes, fixture.body)).toBeUndefined();
        await expectCounted(before, { failed: false, usage: expected.billedUsage });
      });
    });
  }

  for (const { file, fixture, chunkSize } of casesOf('stream-error')) {
    describe(`${file}: an error inside an HTTP 200 stream (in ${chunkSize}-byte pieces)`, () => {
      const expected = expectStream(fixture);
      const upstreamError = expected.error!;

      it('the recording holds what it is known for', () => {
        expect(upstreamError.body.message).toMatch(/\S/);
        FIXTURE_FACTS[file]?.(expected);
      });

      it('streams: the SDK yields the chunks before the error, then throws an APIError with its message', async () => {
        replay(fixture, chunkSize);
        const before = counters();
        const params: ChatCompletionCreateParamsStreaming = { model: MODEL, messages: MESSAGES, stream: true };
        let received!: Drained;
        const request = await upstreamRequestOf(async () => {
          received = await drain(await client.chat.completions.create(params));
        });
        expect(JSON.parse(request.body)).toEqual(params);
        expect(received.chunks).toEqual(expected.chunks);
        const transcript = reassemble(received.chunks);
        expect(transcript).toEqual(expected.transcript);
        expect(transcript.choices[0]!.reasoning).toMatch(/\S/);

        expect(received.error).toBeInstanceOf(APIError);
        const error = received.error as APIError;
        // No HTTP status: the response itself was a 200.
        expect(error.status).toBeUndefined();
        expect(error.message).toBe(upstreamError.body.message);
        expect(error.error).toEqual(upstreamError.body);
        expect(error.code).toBe(upstreamError.body.code);
        // Counted as failed, with the tokens the upstream reported (on the error chunk, for OpenRouter).
        await expectCounted(before, { failed: true, usage: expected.billedUsage });
      });

      it(`does not stream: llm-mux answers an OpenAI error with the upstream message and HTTP ${upstreamError.status}`, async () => {
        replay(fixture, chunkSize);
        const before = counters();
        const params = { model: MODEL, messages: MESSAGES };
        let error: unknown;
        const request = await upstreamRequestOf(async () => {
          error = await rejection(client.chat.completions.create(params));
        });
        expect(JSON.parse(request.body)).toEqual(params);
        expect(error).toBeInstanceOf(APIError);
        const apiError = error as APIError;
        expect(apiError.status).toBe(upstreamError.status);
        expect(apiError.message).toBe(`${upstreamError.status} ${upstreamError.body.message}`);
        expect(apiError.error).toMatchObject({
          message: upstreamError.body.message,
          code: typeof upstreamError.body.code === 'string' ? upstreamError.body.code : null,
        });
        // Tokens: see the next test.
        await expectCounted(before, { failed: true });
      });

      if (expected.billedUsage) {
        // OpenRouter bills the tokens on the error chunk itself: a failed fold still counts them.
        it('does not stream: still counts the tokens the error chunk reported', async () => {
          replay(fixture, chunkSize);
          const before = counters();
          await rejection(client.chat.completions.create({ model: MODEL, messages: MESSAGES }));
          await expectCounted(before, { failed: true, usage: expected.billedUsage });
        });
      }

      it('passes the streamed bytes through unchanged, error included', async () => {
        replay(fixture, chunkSize);
        const before = counters();
        const requestText = JSON.stringify({ model: MODEL, messages: MESSAGES, stream: true });
        let answer!: Awaited<ReturnType<typeof postRaw>>;
        const request = await upstreamRequestOf(async () => {
          answer = await postRaw(requestText);
        });
        expect(request.body).toBe(requestText);
        expect(answer.response.status).toBe(200);
        expect(firstDifference(answer.bytes, fixture.body)).toBeUndefined();
        await expectCounted(before, { failed: true, usage: expected.billedUsage });
      });
    });
  }

  for (const { file, fixture, chunkSize } of casesOf('http-error')) {
    describe(`${file}: an upstream HTTP ${fixture.status}`, () => {
      const upstreamError = (JSON.parse(fixture.body.toString('utf8')) as { error: WireError }).error;

      for (const stream of [true, false]) {
        it(`${stream ? 'streaming' : 'non-streaming'}: the SDK throws an APIError with the upstream status, message, code and param`, async () => {
          replay(fixture, chunkSize);
          const before = counters();
          const params = { model: MODEL, messages: MESSAGES, stream };
          let error: unknown;
          const request = await upstreamRequestOf(async () => {
            error = await rejection(client.chat.completions.create(params));
          });
          expect(JSON.parse(request.body)).toEqual(params);
          expect(error).toBeInstanceOf(APIError);
          const apiError = error as APIError;
          expect(apiError.status).toBe(fixture.status);
          expect(apiError.error).toEqual(upstreamError);
          expect(apiError.message).toBe(`${fixture.status} ${upstreamError.message}`);
          expect(apiError.code).toBe(upstreamError.code);
          expect(apiError.param).toBe(upstreamError.param);
          expect(apiError.type).toBe(upstreamError.type);
          await expectCounted(before, { failed: true, usage: null });
        });
      }

      it('passes the OpenAI-shaped error body through unchanged', async () => {
        replay(fixture, chunkSize);
        const { response, bytes } = await postRaw(JSON.stringify({ model: MODEL, messages: MESSAGES }));
        expect(response.status).toBe(fixture.status);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(firstDifference(bytes, fixture.body)).toBeUndefined();
      });
    });
  }

  describe('a model alias', () => {
    const { fixture, chunkSize } = cases.find((entry) => entry.file === 'gpt-4o-text-with-usage.sse')!;

    it('reaches the upstream under its upstream name, everything else unchanged', async () => {
      replay(fixture, chunkSize);
      const before = counters('aliased-model');
      const params = { model: 'aliased-model', messages: MESSAGES, temperature: 0.5 };
      let completion!: ChatCompletion;
      const request = await upstreamRequestOf(async () => {
        completion = await client.chat.completions.create(params);
      });
      expect(JSON.parse(request.body)).toEqual({ ...params, model: 'upstream-name' });
      const want = expectStream(fixture).transcript;
      expect(completion.choices[0]!.message.content).toBe(want.choices[0]!.content);
      await expectCounted(before, { failed: false, usage: want.usage }, 'aliased-model');
    });
  });
});
