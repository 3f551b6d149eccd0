// The legacy Completions inbound codec (POST /v1/completions): requests decoded (one prompt
// per request), answers and streams encoded as text_completion, checked against the official
// schema and read by the openai SDK's `completions.create`.
import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalResponse, StreamEvent } from '../../../src/core/response.ts';
import type { ClientContext } from '../../../src/protocols/codec.ts';
import { completionsInbound } from '../../../src/protocols/openai-completions/index.ts';
import { STREAM_FIXTURES, decodeStream, expectValid, expectedFinish, fixtureFile, sseData, transcriptOf, withOpenAI } from './support.ts';

const MODEL = 'gpt-3.5-turbo-instruct';
const CONTEXT: ClientContext = { model: MODEL };

function decode(body: unknown) {
  return completionsInbound.decodeRequest(body, CONTEXT);
}

function expectInvalid(run: () => unknown, message: RegExp, param?: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProxyError);
  expect(caught).toMatchObject({ kind: 'invalid_request', status: 400, message: expect.stringMatching(message) });
  if (param !== undefined) expect((caught as ProxyError).options.param).toBe(param);
}

describe('Completions request decoding', () => {
  it('a prompt string becomes one user turn; every option is carried', () => {
    const body = {
      model: MODEL,
      prompt: 'Say this is a test',
      max_tokens: 7,
      temperature: 0.2,
      top_p: 0.5,
      stop: '\n',
      n: 2,
      seed: 1,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      user: 'u-1',
      stream: true,
      echo: false,
    };
    expectValid('CreateCompletionRequest', body);
    expect(decode(body)).toEqual({
      model: MODEL,
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say this is a test' }] }],
      stream: true,
      maxTokens: 7,
      temperature: 0.2,
      topP: 0.5,
      stop: ['\n'],
      n: 2,
      seed: 1,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      user: 'u-1',
    });
  });

  it('a one-element prompt array is that prompt', () => {
    expect(decode({ model: MODEL, prompt: ['Only one'], stop: ['a', 'b'] })).toEqual({
      model: MODEL,
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Only one' }] }],
      stream: false,
      stop: ['a', 'b'],
    });
  });

  it('refuses several prompts, token prompts, echo, no model, and a body that is not an object', () => {
    expectInvalid(() => decode({ model: MODEL, prompt: ['one', 'two'] }), /one prompt per request/, 'prompt');
    expectInvalid(() => decode({ model: MODEL, prompt: [1, 2, 3] }), /`prompt` must be a string/, 'prompt');
    expectInvalid(() => decode({ model: MODEL }), /`prompt` must be a string/, 'prompt');
    expectInvalid(() => decode({ model: MODEL, prompt: 'x', echo: true }), /`echo` is not supported/, 'echo');
    expectInvalid(() => decode({ prompt: 'x' }), /model/, 'model');
    for (const body of [null, 'text', ['x']]) expectInvalid(() => decode(body), /JSON object/);
  });
});

const RESPONSE: CanonicalResponse = {
  id: 'chatcmpl-abc',
  model: 'upstream',
  created: 1_700_000_000,
  choices: [
    {
      index: 0,
      content: [
        { type: 'reasoning', text: 'left out' },
        { type: 'text', text: 'This is ' },
        { type: 'text', text: 'a test.' },
        { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{}' },
      ],
      finishReason: 'stop',
    },
    { index: 1, content: [{ type: 'text', text: 'This' }], finishReason: 'length' },
  ],
  usage: { input: 5, output: 7, cached: 0, reasoning: 0 },
};

describe('Completions response encoding', () => {
  it('writes a text_completion that validates, and the SDK reads it as written', async () => {
    const body = completionsInbound.encodeResponse(RESPONSE, CONTEXT) as { id: string; choices: unknown[] };
    expectValid('CreateCompletionResponse', body);
    expect(body).toMatchObject({ object: 'text_completion', created: 1_700_000_000, model: MODEL });
    expect(body.id).toMatch(/^cmpl-/);
    expect(body.choices).toEqual([
      { text: 'This is a test.', index: 0, logprobs: null, finish_reason: 'stop' },
      { text: 'This', index: 1, logprobs: null, finish_reason: 'length' },
    ]);
    const completion = await withOpenAI({ body: JSON.stringify(body), contentType: 'application/json' }, (client) =>
      client.completions.create({ model: MODEL, prompt: 'Say this is a test' }),
    );
    expect(completion).toEqual(body);
    expect(completion.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
  });

  it('a refusal is answer text (there is no refusal field), after any text', () => {
    const body = completionsInbound.encodeResponse(
      {
        ...RESPONSE,
        choices: [
          { index: 0, content: [], finishReason: 'stop', refusal: "I'm sorry, I can't help with that." },
          { index: 1, content: [{ type: 'text', text: 'Well. ' }], finishReason: 'stop', refusal: 'No.' },
        ],
      },
      CONTEXT,
    ) as { choices: unknown[] };
    expectValid('CreateCompletionResponse', body);
    expect(body.choices).toEqual([
      { text: "I'm sorry, I can't help with that.", index: 0, logprobs: null, finish_reason: 'stop' },
      { text: 'Well. No.', index: 1, logprobs: null, finish_reason: 'stop' },
    ]);
  });
});

function encodeAll(events: readonly StreamEvent[], context: ClientContext = { model: MODEL, streamUsage: true }) {
  const encoder = completionsInbound.createStreamEncoder(context);
  expect(encoder.contentType).toMatch(/^text\/event-stream/);
  const pieces = [...events.map((event) => encoder.encode(event)), encoder.end()];
  return { body: pieces.join(''), pieces };
}

type CompletionChunk = { id: string; object: string; model: string; choices: Array<{ text: string; index: number; finish_reason: string | null }>; usage?: unknown };

/**
 * `data:` lines ending in [DONE]; chunks are text_completion objects valid against the
 * official schema (one schema for streamed and whole answers, though streams send
 * finish_reason null until the end: checked as such); an error object only last.
 */
function checkChunks(body: string): CompletionChunk[] {
  expect(body).toMatch(/^(data: [^\n]+\n\n)+$/);
  const events = sseData(body);
  expect(events.at(-1)).toBe('[DONE]');
  expect(events.indexOf('[DONE]')).toBe(events.length - 1);
  const chunks: CompletionChunk[] = [];
  events.slice(0, -1).forEach((event, position) => {
    const value = event as CompletionChunk & { error?: unknown };
    if (value.error !== undefined) {
      expect(position).toBe(events.length - 2);
      expect(Object.keys(value)).toEqual(['error']);
      expect(Object.keys(value.error as object).sort()).toEqual(['code', 'message', 'param', 'type']);
      return;
    }
    expect(value.choices.every((choice) => choice.finish_reason === null || typeof choice.finish_reason === 'string')).toBe(true);
    expectValid('CreateCompletionResponse', { ...value, choices: value.choices.map((choice) => ({ ...choice, finish_reason: choice.finish_reason ?? 'stop' })) });
    expect(value).toMatchObject({ object: 'text_completion', model: MODEL });
    expect(value.id).toBe(chunks[0]?.id ?? value.id);
    chunks.push(value);
  });
  return chunks;
}

interface ReadCompletions {
  text: Record<number, string>;
  finish: Record<number, string | null>;
  usage?: unknown;
  error?: unknown;
}

async function readCompletionsStream(body: string): Promise<ReadCompletions> {
  return withOpenAI({ body }, async (client) => {
    const read: ReadCompletions = { text: {}, finish: {} };
    try {
      for await (const chunk of await client.completions.create({ model: MODEL, prompt: 'hi', stream: true, stream_options: { include_usage: true } })) {
        if (chunk.usage) read.usage = chunk.usage;
        for (const choice of chunk.choices) {
          read.text[choice.index] = (read.text[choice.index] ?? '') + choice.text;
          if (choice.finish_reason) read.finish[choice.index] = choice.finish_reason;
        }
      }
    } catch (error) {
      read.error = error;
    }
    return read;
  });
}

const start: StreamEvent = { type: 'start', id: 'abc', model: 'upstream', created: 1_700_000_000 };

describe('Completions stream encoding', () => {
  it('text deltas per choice, a finish chunk each, the usage chunk, [DONE]; read by the SDK', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'left out' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
      { type: 'block_start', choice: 1, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 1, text: 'This is ' },
      { type: 'text', choice: 1, block: 0, text: 'Thïs' },
      { type: 'text', choice: 0, block: 1, text: 'a test.' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'stop' },
      { type: 'block_end', choice: 1, block: 0 },
      { type: 'finish', choice: 1, reason: 'length' },
      { type: 'usage', usage: { input: 5, output: 7, cached: 0, reasoning: 0 } },
    ];
    const { body } = encodeAll(events);
    const chunks = checkChunks(body);
    expect(chunks.map((chunk) => chunk.choices)).toEqual([
      [{ text: 'This is ', index: 0, logprobs: null, finish_reason: null }],
      [{ text: 'Thïs', index: 1, logprobs: null, finish_reason: null }],
      [{ text: 'a test.', index: 0, logprobs: null, finish_reason: null }],
      [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }],
      [{ text: '', index: 1, logprobs: null, finish_reason: 'length' }],
      [],
    ]);
    expect(chunks[0]!.id).toBe('cmpl-abc');
    const read = await readCompletionsStream(body);
    expect(read).toEqual({
      text: { 0: 'This is a test.', 1: 'Thïs' },
      finish: { 0: 'stop', 1: 'length' },
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    });
    // Without stream_options.include_usage: no usage chunk.
    const plain = encodeAll(events, CONTEXT).body;
    expect(checkChunks(plain).every((chunk) => chunk.usage === undefined)).toBe(true);
  });

  it('refusal deltas go out as text; the SDK reads the refusal as the answer', async () => {
    const { body } = encodeAll([
      start,
      { type: 'refusal', choice: 0, text: "I'm sorry, " },
      { type: 'refusal', choice: 0, text: "I can't." },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
    const chunks = checkChunks(body);
    expect(chunks.map((chunk) => chunk.choices[0]?.text)).toEqual(["I'm sorry, ", "I can't.", '']);
    expect((await readCompletionsStream(body)).text).toEqual({ 0: "I'm sorry, I can't." });
  });

  it('a mid-stream error: the OpenAI error object, then only [DONE]; the SDK throws an APIError', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'partial' },
      { type: 'usage', usage: { input: 5, output: 1, cached: 0, reasoning: 0 } },
      { type: 'error', error: new ProxyError('unavailable', 'The model is overloaded.') },
      { type: 'text', choice: 0, block: 0, text: 'late' },
    ];
    const { body, pieces } = encodeAll(events);
    checkChunks(body);
    expect(pieces.at(-3)).toBe(`data: ${JSON.stringify({ error: { message: 'The model is overloaded.', type: 'service_unavailable', param: null, code: null } })}\n\n`);
    expect(pieces.slice(-2)).toEqual(['', 'data: [DONE]\n\n']);
    const read = await readCompletionsStream(body);
    expect(read.text).toEqual({ 0: 'partial' });
    expect(read.error).toBeInstanceOf(APIError);
    expect((read.error as APIError).message).toBe('The model is overloaded.');
  });

  // A Completions client cannot offer tools, so its upstream turns never end in tool calls.
  const TEXT_FIXTURES = STREAM_FIXTURES.filter((fixture) => !Object.values(transcriptOf(fixture.body).choices).some((turn) => turn.toolCalls.length > 0));

  it('has tool-free recordings to run on', () => expect(TEXT_FIXTURES.length).toBe(STREAM_FIXTURES.length - 3));

  it.each(TEXT_FIXTURES.map((fixture) => [fixtureFile(fixture), fixture] as const))('what the Chat decoder makes of %s', async (_file, fixture) => {
    const oracle = transcriptOf(fixture.body);
    const { body } = encodeAll(decodeStream(fixture.body));
    checkChunks(body);
    const read = await readCompletionsStream(body);
    const errored = oracle.error !== undefined;
    for (const [index, turn] of Object.entries(oracle.choices)) {
      // Text travels, a refusal as text after it: reasoning and tool calls have no place in text_completion.
      expect(read.text[Number(index)] ?? '').toBe(turn.text + turn.refusal);
      const finish = expectedFinish(turn, errored);
      expect(read.finish[Number(index)]).toBe(finish);
    }
    if (errored) expect((read.error as APIError).message).toBe(oracle.error!.message);
    else expect(read.error).toBeUndefined();
  });
});
