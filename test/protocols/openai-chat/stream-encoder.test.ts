// The inbound stream encoder: every chunk it writes is checked against OpenAI's official
// schema, then the bytes are served from a loopback server to the official openai SDK, whose
// reading must give back what the canonical events said.
import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { FinishReason, StreamEvent } from '../../../src/core/response.ts';
import type { ClientContext } from '../../../src/protocols/codec.ts';
import { chatInbound } from '../../../src/protocols/openai-chat/index.ts';
import {
  STREAM_FIXTURES,
  decodeStream,
  expectValid,
  expectedErrorStatus,
  expectedFinish,
  expectedUsage,
  fixtureFile,
  readChatStream,
  sseData,
  summarize,
  transcriptOf,
  withOpenAI,
  type SdkTurn,
} from './support.ts';

const MODEL = 'client-model';

function encodeAll(events: readonly StreamEvent[], context: ClientContext = { model: MODEL, streamUsage: true }): { body: string; pieces: string[] } {
  const encoder = chatInbound.createStreamEncoder(context);
  expect(encoder.contentType).toMatch(/^text\/event-stream/);
  const pieces = [...events.map((event) => encoder.encode(event)), encoder.end()];
  return { body: pieces.join(''), pieces };
}

type Chunk = {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{ index: number; delta: { role?: string; [key: string]: unknown }; finish_reason: string | null }>;
  usage?: unknown;
};

/**
 * Every SSE event is one `data:` line; every chunk validates against the official schema and
 * carries the client's model and one id; a choice's first delta has the role; an error
 * object can only be last; `[DONE]` ends the stream. Returns the chunks.
 */
function checkChunks(body: string, created?: number): Chunk[] {
  expect(body).toMatch(/^(data: [^\n]+\n\n)+$/);
  const events = sseData(body);
  expect(events.at(-1)).toBe('[DONE]');
  expect(events.indexOf('[DONE]')).toBe(events.length - 1);
  const chunks: Chunk[] = [];
  const roleSent = new Set<number>();
  events.slice(0, -1).forEach((event, position) => {
    const value = event as Record<string, unknown>;
    if ('error' in value) {
      expect(position, 'the error object is the last event before [DONE]').toBe(events.length - 2);
      expect(Object.keys(value)).toEqual(['error']);
      expect(Object.keys(value.error as object).sort()).toEqual(['code', 'message', 'param', 'type']);
      return;
    }
    expectValid('CreateChatCompletionStreamResponse', value);
    const chunk = value as Chunk;
    expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: MODEL });
    expect(chunk.id).toMatch(/^chatcmpl-/);
    expect(chunk.id).toBe(chunks[0]?.id ?? chunk.id);
    if (created !== undefined) expect(chunk.created).toBe(created);
    for (const choice of chunk.choices) {
      expect(choice.delta.role === 'assistant', `role on the first delta of choice ${choice.index} only`).toBe(!roleSent.has(choice.index));
      roleSent.add(choice.index);
    }
    chunks.push(chunk);
  });
  return chunks;
}

/** What an SDK user should reassemble per choice from these canonical events. */
function expectedTurns(events: readonly StreamEvent[]): Record<number, SdkTurn> {
  const turns: Record<number, SdkTurn> = {};
  for (const [index, choice] of Object.entries(summarize(events).choices)) {
    turns[Number(index)] = {
      content: choice.text,
      reasoning: choice.reasoning,
      refusal: choice.refusal,
      toolCalls: choice.toolCalls,
      finishReason: choice.finishes[0] ? chatFinish(choice.finishes[0]) : null,
    };
  }
  return turns;
}

function chatFinish(reason: FinishReason): string {
  return reason === 'error' ? 'stop' : reason;
}

function chatUsage(input: number, output: number, cached: number, reasoning: number) {
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/** `.chat.completions.stream()` and its `finalChatCompletion()`: the SDK's own accumulator. */
async function finalCompletion(body: string) {
  return withOpenAI({ body }, (client) =>
    client.chat.completions.stream({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } }).finalChatCompletion(),
  );
}

const CREATED = 1_700_000_000;
const start: StreamEvent = { type: 'start', id: 'msg_01abc', model: 'claude-sonnet-4-5', created: CREATED };
const usage = (input: number, output: number, cached = 0, reasoning = 0): StreamEvent => ({ type: 'usage', usage: { input, output, cached, reasoning } });

const TEXT: StreamEvent[] = [
  start,
  { type: 'block_start', choice: 0, block: 0, kind: 'text' },
  { type: 'text', choice: 0, block: 0, text: 'Hel' },
  { type: 'text', choice: 0, block: 0, text: 'lo, wörld 🌍' },
  { type: 'block_end', choice: 0, block: 0 },
  { type: 'finish', choice: 0, reason: 'stop' },
  usage(12, 5, 8, 0),
];

const REASONING_THEN_TEXT: StreamEvent[] = [
  start,
  { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
  { type: 'reasoning', choice: 0, block: 0, text: 'Two plus two ' },
  { type: 'reasoning', choice: 0, block: 0, text: 'is four.' },
  { type: 'signature', choice: 0, block: 0, signature: { protocol: 'anthropic', value: 'EqQBCkYIBxgCKkD' } },
  { type: 'block_end', choice: 0, block: 0 },
  { type: 'block_start', choice: 0, block: 1, kind: 'redacted_reasoning', data: 'opaque' },
  { type: 'block_end', choice: 0, block: 1 },
  { type: 'block_start', choice: 0, block: 2, kind: 'text' },
  { type: 'text', choice: 0, block: 2, text: '4' },
  { type: 'block_end', choice: 0, block: 2 },
  { type: 'finish', choice: 0, reason: 'stop' },
  usage(20, 40, 0, 30),
];

const INTERLEAVED_TOOLS: StreamEvent[] = [
  start,
  { type: 'block_start', choice: 0, block: 0, kind: 'text' },
  { type: 'text', choice: 0, block: 0, text: 'Checking both.' },
  { type: 'block_end', choice: 0, block: 0 },
  { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_weather', name: 'get_weather' },
  { type: 'block_start', choice: 0, block: 2, kind: 'tool_call', id: 'call_stock', name: 'get_stock_price' },
  { type: 'tool_arguments', choice: 0, block: 1, delta: '{"city":' },
  { type: 'tool_arguments', choice: 0, block: 2, delta: '{"ticker":"AAPL"' },
  { type: 'tool_arguments', choice: 0, block: 1, delta: '"Paris"}' },
  { type: 'tool_arguments', choice: 0, block: 2, delta: '}' },
  { type: 'block_end', choice: 0, block: 1 },
  { type: 'block_end', choice: 0, block: 2 },
  { type: 'finish', choice: 0, reason: 'tool_calls' },
  usage(100, 30),
];

const REFUSAL: StreamEvent[] = [
  start,
  { type: 'refusal', choice: 0, text: "I'm sorry, " },
  { type: 'refusal', choice: 0, text: "I can't help with that." },
  { type: 'finish', choice: 0, reason: 'stop' },
  usage(9, 11),
];

const TWO_CHOICES: StreamEvent[] = [
  start,
  { type: 'block_start', choice: 0, block: 0, kind: 'text' },
  { type: 'block_start', choice: 1, block: 0, kind: 'text' },
  { type: 'text', choice: 0, block: 0, text: 'Red' },
  { type: 'text', choice: 1, block: 0, text: 'Blue' },
  { type: 'text', choice: 1, block: 0, text: ' sky' },
  { type: 'text', choice: 0, block: 0, text: ' sun' },
  { type: 'block_end', choice: 1, block: 0 },
  { type: 'finish', choice: 1, reason: 'length' },
  { type: 'block_end', choice: 0, block: 0 },
  { type: 'finish', choice: 0, reason: 'content_filter' },
  usage(7, 8),
];

const ERROR = new ProxyError('rate_limit', 'Token limit reached', { status: 429, code: 'rate_limit_exceeded' });
const MID_STREAM_ERROR: StreamEvent[] = [
  start,
  { type: 'block_start', choice: 0, block: 0, kind: 'text' },
  { type: 'text', choice: 0, block: 0, text: 'partial' },
  usage(43, 10),
  { type: 'error', error: ERROR },
];

describe('Chat stream encoder on hand-built event sequences', () => {
  it('text: content deltas with the role first, the finish, the usage chunk, [DONE]', async () => {
    const { body, pieces } = encodeAll(TEXT);
    const chunks = checkChunks(body, CREATED);
    // start, block_start, block_end and usage write nothing by themselves.
    expect([pieces[0], pieces[1], pieces[4], pieces[6]]).toEqual(['', '', '', '']);
    expect(chunks.map((chunk) => chunk.id)).toEqual(Array(4).fill('chatcmpl-msg_01abc'));
    expect(chunks.map((chunk) => chunk.choices)).toEqual([
      [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }],
      [{ index: 0, delta: { content: 'lo, wörld 🌍' }, finish_reason: null }],
      [{ index: 0, delta: {}, finish_reason: 'stop' }],
      [],
    ]);
    expect(chunks[3]!.usage).toEqual(chatUsage(12, 5, 8, 0));
    const read = await readChatStream(body, MODEL);
    expect(read.error).toBeUndefined();
    expect(read.choices).toEqual(expectedTurns(TEXT));
    expect(read.usage).toEqual(chatUsage(12, 5, 8, 0));
    const final = await finalCompletion(body);
    expect(final.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'Hello, wörld 🌍', refusal: null, parsed: null }, finish_reason: 'stop', logprobs: null },
    ]);
    expect(final.usage).toEqual(chatUsage(12, 5, 8, 0));
  });

  it('usage: no usage chunk unless the client asked for it (stream_options.include_usage)', async () => {
    for (const streamUsage of [false, undefined]) {
      const { body } = encodeAll(TEXT, { model: MODEL, streamUsage });
      const chunks = checkChunks(body, CREATED);
      expect(chunks.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1)).toBe(true);
      const read = await readChatStream(body, MODEL);
      expect(read.choices).toEqual(expectedTurns(TEXT));
      expect(read.usage).toBeUndefined();
    }
    // Asked for, but the upstream reported none: nothing to send.
    expect(checkChunks(encodeAll(TEXT.slice(0, -1)).body).every((chunk) => chunk.usage === undefined)).toBe(true);
  });

  it('reasoning then text: reasoning as reasoning_content deltas; signatures and redacted reasoning stay out', async () => {
    const { body } = encodeAll(REASONING_THEN_TEXT);
    const chunks = checkChunks(body, CREATED);
    expect(chunks.slice(0, 3).map((chunk) => chunk.choices[0]!.delta)).toEqual([
      { role: 'assistant', reasoning_content: 'Two plus two ' },
      { reasoning_content: 'is four.' },
      { content: '4' },
    ]);
    expect(body).not.toContain('EqQBCkYIBxgCKkD');
    expect(body).not.toContain('opaque');
    const read = await readChatStream(body, MODEL);
    expect(read.choices).toEqual(expectedTurns(REASONING_THEN_TEXT));
    expect(read.choices[0]).toMatchObject({ reasoning: 'Two plus two is four.', content: '4' });
    expect(read.usage).toEqual(chatUsage(20, 40, 0, 30));
  });

  it('two interleaved tool calls: each its own index, id and name first, argument fragments in order', async () => {
    const { body } = encodeAll(INTERLEAVED_TOOLS);
    const chunks = checkChunks(body, CREATED);
    expect(chunks.slice(1, 7).map((chunk) => chunk.choices[0]!.delta)).toEqual([
      { tool_calls: [{ index: 0, id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 1, id: 'call_stock', type: 'function', function: { name: 'get_stock_price', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"ticker":"AAPL"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '}' } }] },
    ]);
    const read = await readChatStream(body, MODEL);
    expect(read.choices).toEqual(expectedTurns(INTERLEAVED_TOOLS));
    expect(read.choices[0]!.finishReason).toBe('tool_calls');
    const final = await finalCompletion(body);
    expect(final.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          { id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_stock', type: 'function', function: { name: 'get_stock_price', arguments: '{"ticker":"AAPL"}' } },
        ],
      },
    });
  });

  it('refusal: refusal deltas, content never set', async () => {
    const { body } = encodeAll(REFUSAL);
    checkChunks(body, CREATED);
    const read = await readChatStream(body, MODEL);
    expect(read.choices).toEqual(expectedTurns(REFUSAL));
    const final = await finalCompletion(body);
    expect(final.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: null, refusal: "I'm sorry, I can't help with that." } });
  });

  it('n=2: deltas and finishes carry their choice index', async () => {
    const { body } = encodeAll(TWO_CHOICES);
    checkChunks(body, CREATED);
    const read = await readChatStream(body, MODEL);
    expect(read.choices).toEqual(expectedTurns(TWO_CHOICES));
    expect(read.choices).toMatchObject({ 0: { content: 'Red sun', finishReason: 'content_filter' }, 1: { content: 'Blue sky', finishReason: 'length' } });
    const final = await finalCompletion(body);
    expect(final.choices.map((choice) => [choice.index, choice.message.content, choice.finish_reason])).toEqual([
      [0, 'Red sun', 'content_filter'],
      [1, 'Blue sky', 'length'],
    ]);
  });

  it('a finish for a canonical error reads as stop; an empty answer still gets the role and a finish', async () => {
    const events: StreamEvent[] = [start, { type: 'finish', choice: 0, reason: 'error' }];
    const { body } = encodeAll(events);
    const chunks = checkChunks(body, CREATED);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.choices).toEqual([{ index: 0, delta: { role: 'assistant' }, finish_reason: 'stop' }]);
    const final = await finalCompletion(body);
    expect(final.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: null } });
  });

  it('keeps an id that is already a chatcmpl id', () => {
    const { body } = encodeAll([{ ...start, id: 'chatcmpl-abc' }, ...TEXT.slice(1)]);
    expect(checkChunks(body).every((chunk) => chunk.id === 'chatcmpl-abc')).toBe(true);
  });

  it('mid-stream error: an OpenAI error object, then only [DONE]; the SDK throws an APIError with the message', async () => {
    const { body, pieces } = encodeAll(MID_STREAM_ERROR);
    const chunks = checkChunks(body, CREATED);
    expect(chunks).toHaveLength(1);
    expect(pieces.at(-2)).toBe(`data: ${JSON.stringify({ error: { message: 'Token limit reached', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } })}\n\n`);
    // Nothing of the stream follows the error: not even the usage chunk the client asked for.
    expect(pieces.at(-1)).toBe('data: [DONE]\n\n');
    const read = await readChatStream(body, MODEL);
    expect(read.chunks).toHaveLength(1);
    expect(read.choices[0]!.content).toBe('partial');
    expect(read.error).toBeInstanceOf(APIError);
    const error = read.error as APIError;
    expect(error.message).toBe('Token limit reached');
    expect(error.status).toBeUndefined();
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('rate_limit_error');
  });

  it('writes nothing for events after an error', () => {
    const encoder = chatInbound.createStreamEncoder({ model: MODEL, streamUsage: true });
    encoder.encode(start);
    expect(encoder.encode({ type: 'error', error: ERROR })).toMatch(/^data: \{"error"/);
    expect(encoder.encode({ type: 'block_start', choice: 0, block: 0, kind: 'text' })).toBe('');
    expect(encoder.encode({ type: 'text', choice: 0, block: 0, text: 'late' })).toBe('');
    expect(encoder.encode({ type: 'finish', choice: 0, reason: 'stop' })).toBe('');
    expect(encoder.encode(usage(1, 1))).toBe('');
    expect(encoder.end()).toBe('data: [DONE]\n\n');
  });
});

describe('Chat stream encoder on what the decoder makes of each recording', () => {
  it.each(STREAM_FIXTURES.map((fixture) => [fixtureFile(fixture), fixture] as const))('%s', async (_file, fixture) => {
    const oracle = transcriptOf(fixture.body);
    const events = decodeStream(fixture.body);
    const { body } = encodeAll(events);
    const chunks = checkChunks(body, oracle.created);
    expect(chunks[0]!.id).toBe(oracle.id.startsWith('chatcmpl') ? oracle.id : `chatcmpl-${oracle.id}`);

    const read = await readChatStream(body, MODEL);
    const errored = oracle.error !== undefined;
    const expected: Record<number, SdkTurn> = {};
    for (const [index, turn] of Object.entries(oracle.choices)) {
      if (errored && turn.blocks.length === 0 && !turn.finishReason) continue;
      const finish = expectedFinish(turn, errored);
      expected[Number(index)] = {
        content: turn.text,
        reasoning: turn.reasoning,
        refusal: turn.refusal,
        toolCalls: turn.toolCalls,
        finishReason: finish ? chatFinish(finish) : null,
      };
    }
    expect(read.choices).toEqual(expected);
    for (const call of Object.values(read.choices).flatMap((turn) => turn.toolCalls)) expect(() => JSON.parse(call.arguments)).not.toThrow();

    if (oracle.error) {
      expect(read.error).toBeInstanceOf(APIError);
      const error = read.error as APIError;
      expect(error.message).toBe(oracle.error.message);
      // A string code passes on; OpenRouter's numeric one is its HTTP status, not an OpenAI code.
      expect(error.code).toBe(typeof oracle.error.code === 'string' ? oracle.error.code : null);
      expect(expectedErrorStatus(oracle.error)).toBe(400);
      expect(error.type).toBe('invalid_request_error');
      expect(read.usage).toBeUndefined();
      return;
    }
    expect(read.error).toBeUndefined();
    const want = expectedUsage(oracle.usage!);
    expect(read.usage).toEqual(chatUsage(want.input, want.output, want.cached, want.reasoning));

    // The SDK's own accumulator agrees, choice by choice.
    const final = await finalCompletion(body);
    expect(final.id).toBe(chunks[0]!.id);
    expect(final.choices.map((choice) => choice.index)).toEqual(Object.keys(expected).map(Number));
    for (const choice of final.choices) {
      const want = expected[choice.index]!;
      expect(choice.finish_reason).toBe(want.finishReason);
      expect(choice.message.content).toBe(want.content === '' ? null : want.content);
      expect(choice.message.refusal).toBe(want.refusal === '' ? null : want.refusal);
      const calls = (choice.message.tool_calls ?? []).map((call) => (call.type === 'function' ? { id: call.id, name: call.function.name, arguments: call.function.arguments } : call));
      expect(calls).toEqual(want.toolCalls);
    }
  });
});
