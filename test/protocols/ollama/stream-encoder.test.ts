// The inbound stream encoder (/api/chat and /api/generate shapes): every line it writes is
// checked against Ollama's official OpenAPI schema, then read back by the official `ollama`
// npm client from a loopback server.
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { StreamEvent } from '../../../src/core/response.ts';
import { ollamaGenerateInbound, ollamaInbound } from '../../../src/protocols/ollama/index.ts';
import type { OllamaEndpoint } from '../../../src/protocols/ollama/shape.ts';
import {
  ANSWER_FIXTURES,
  STREAM_FIXTURES,
  decodeStream,
  fixtureFile,
  ollamaSchema,
  transcriptOf,
  wireLines,
  withOllamaClient,
  type Transcript,
} from './support.ts';

const CONTEXT = { model: 'client-model:latest' };
const CODECS = { chat: ollamaInbound, generate: ollamaGenerateInbound };

function encodeAll(events: readonly StreamEvent[], endpoint: OllamaEndpoint): { body: string; pieces: string[] } {
  const encoder = CODECS[endpoint].createStreamEncoder(CONTEXT);
  expect(encoder.contentType).toBe('application/x-ndjson');
  const pieces = [...events.map((event) => encoder.encode(event)), encoder.end()];
  return { body: pieces.join(''), pieces };
}

const SCHEMAS = {
  chat: { line: 'ChatStreamEvent', final: 'ChatResponse' },
  generate: { line: 'GenerateStreamEvent', final: 'GenerateResponse' },
} as const;

function expectValid(component: string, value: unknown): void {
  const validate = ollamaSchema(component);
  expect(validate(value), `${component}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value)}`).toBe(true);
}

/** Every line is one JSON object valid against the official schema; an error or the done line comes last. */
function checkLines(body: string, endpoint: OllamaEndpoint): void {
  expect(body.endsWith('\n')).toBe(true);
  const lines = wireLines(body);
  lines.forEach((line, index) => {
    const last = index === lines.length - 1;
    if (line.error !== undefined) {
      expect(last).toBe(true);
      expectValid('ErrorResponse', line);
      expect(Object.keys(line)).toEqual(['error']);
      return;
    }
    expectValid(SCHEMAS[endpoint].line, line);
    expect(line.model).toBe(CONTEXT.model);
    expect(Date.parse((line as { created_at: string }).created_at)).not.toBeNaN();
    expect(line.done).toBe(last);
    if (endpoint === 'chat') expect(line.message).toMatchObject({ role: 'assistant', content: expect.any(String) });
    else expect(line).not.toHaveProperty('message');
    if (!last) return;
    expectValid(SCHEMAS[endpoint].final, line);
    expect(['stop', 'length']).toContain(line.done_reason);
    for (const key of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']) {
      expect(Number.isInteger((line as Record<string, unknown>)[key]), key).toBe(true);
    }
  });
}

/** The stream as the official client yields it, folded the way its users fold it. */
async function readStream(body: string, endpoint: OllamaEndpoint): Promise<Transcript> {
  return withOllamaClient({ body }, async (client) => {
    const transcript: Transcript = { text: '', thinking: '', toolCalls: [] };
    try {
      if (endpoint === 'chat') {
        for await (const part of await client.chat({ model: CONTEXT.model, messages: [{ role: 'user', content: 'hi' }], stream: true })) {
          transcript.text += part.message.content;
          transcript.thinking += part.message.thinking ?? '';
          for (const call of part.message.tool_calls ?? []) {
            transcript.toolCalls.push({ id: (call as { id?: string }).id, name: call.function.name, arguments: call.function.arguments });
          }
          if (part.done) Object.assign(transcript, { doneReason: part.done_reason, promptEvalCount: part.prompt_eval_count, evalCount: part.eval_count });
        }
      } else {
        for await (const part of await client.generate({ model: CONTEXT.model, prompt: 'hi', stream: true })) {
          transcript.text += part.response ?? '';
          transcript.thinking += part.thinking ?? '';
          if (part.done) Object.assign(transcript, { doneReason: part.done_reason, promptEvalCount: part.prompt_eval_count, evalCount: part.eval_count });
        }
      }
    } catch (error) {
      transcript.error = (error as Error).message;
    }
    return transcript;
  });
}

const start: StreamEvent = { type: 'start', id: 'resp_1', model: 'upstream-model', created: 1_700_000_000 };
const usage = (input: number, output: number): StreamEvent => ({ type: 'usage', usage: { input, output, cached: 0, reasoning: 0 } });

describe('Ollama stream encoder on hand-built event sequences', () => {
  it('writes text deltas, then a done line with the reason and counts', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'Hel' },
      { type: 'text', choice: 0, block: 0, text: '' },
      { type: 'text', choice: 0, block: 0, text: 'lo' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'stop' },
      usage(5, 2),
    ];
    const { body, pieces } = encodeAll(events, 'chat');
    checkLines(body, 'chat');
    expect(pieces[0]).toBe('');
    expect(pieces[3]).toBe('');
    const lines = wireLines(body);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ message: { role: 'assistant', content: 'Hel' }, done: false });
    expect(lines[0]!.message).not.toHaveProperty('thinking');
    expect(lines[2]).toMatchObject({ message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 2, load_duration: 0 });
    expect(await readStream(body, 'chat')).toEqual({ text: 'Hello', thinking: '', toolCalls: [], doneReason: 'stop', promptEvalCount: 5, evalCount: 2 });
  });

  it('writes reasoning as message.thinking with empty content, and finish length as done_reason length', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Let me ' },
      { type: 'reasoning', choice: 0, block: 0, text: 'think.' },
      { type: 'signature', choice: 0, block: 0, signature: { protocol: 'anthropic', value: 'sig' } },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
      { type: 'text', choice: 0, block: 1, text: '42' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'length' },
      usage(9, 30),
    ];
    const { body } = encodeAll(events, 'chat');
    checkLines(body, 'chat');
    expect(wireLines(body)[0]).toMatchObject({ message: { role: 'assistant', content: '', thinking: 'Let me ' } });
    expect(await readStream(body, 'chat')).toEqual({ text: '42', thinking: 'Let me think.', toolCalls: [], doneReason: 'length', promptEvalCount: 9, evalCount: 30 });
  });

  it('holds interleaved tool calls back until each is complete, and sends them in start order as objects', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'call_a', name: 'get_weather' },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_b', name: 'get_time' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{"city":' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '{"tz":"CET"}' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '"Paris"}' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
      usage(40, 12),
    ];
    const { body, pieces } = encodeAll(events, 'chat');
    checkLines(body, 'chat');
    // Nothing for the second call's end while the first is still open.
    expect(pieces[5]).toBe('');
    const lines = wireLines(body);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.message).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [
        { id: 'call_a', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } },
        { id: 'call_b', function: { index: 1, name: 'get_time', arguments: { tz: 'CET' } } },
      ],
    });
    // Ollama ends a tool-calling turn with "stop".
    expect(await readStream(body, 'chat')).toEqual({
      text: '',
      thinking: '',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
        { id: 'call_b', name: 'get_time', arguments: { tz: 'CET' } },
      ],
      doneReason: 'stop',
      promptEvalCount: 40,
      evalCount: 12,
    });
  });

  it('ends with an {"error"} line on a mid-stream error, and writes nothing after it', async () => {
    const encoder = ollamaInbound.createStreamEncoder(CONTEXT);
    const pieces = [
      encoder.encode(start),
      encoder.encode({ type: 'block_start', choice: 0, block: 0, kind: 'text' }),
      encoder.encode({ type: 'text', choice: 0, block: 0, text: 'partial' }),
      encoder.encode({ type: 'error', error: new ProxyError('upstream', 'the model crashed') }),
    ];
    expect(pieces[3]).toBe('{"error":"the model crashed"}\n');
    expect(encoder.encode({ type: 'text', choice: 0, block: 0, text: 'late' })).toBe('');
    expect(encoder.end()).toBe('');
    const body = pieces.join('');
    checkLines(body, 'chat');
    expect(await readStream(body, 'chat')).toEqual({ text: 'partial', thinking: '', toolCalls: [], error: 'the model crashed' });
  });

  it('ignores other choices, and end() flushes an unfinished call and supplies the done line', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 1, block: 0, kind: 'text' },
      { type: 'text', choice: 1, block: 0, text: 'other choice' },
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'call_x', name: 'f' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{"a":1}' },
    ];
    const { body } = encodeAll(events, 'chat');
    checkLines(body, 'chat');
    expect(await readStream(body, 'chat')).toEqual({
      text: '',
      thinking: '',
      toolCalls: [{ id: 'call_x', name: 'f', arguments: { a: 1 } }],
      doneReason: 'stop',
      promptEvalCount: 0,
      evalCount: 0,
    });
  });

  it('answers an empty generation with the done line alone', async () => {
    const { body } = encodeAll([start, { type: 'finish', choice: 0, reason: 'stop' }], 'chat');
    checkLines(body, 'chat');
    expect(wireLines(body)).toHaveLength(1);
    expect(await readStream(body, 'chat')).toMatchObject({ text: '', doneReason: 'stop' });
  });

  it('writes /api/generate lines: response and thinking at the top level', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Hmm.' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
      { type: 'text', choice: 0, block: 1, text: 'Soft, swift.' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'stop' },
      usage(3, 4),
    ];
    const { body } = encodeAll(events, 'generate');
    checkLines(body, 'generate');
    const lines = wireLines(body);
    expect(lines[0]).toMatchObject({ response: '', thinking: 'Hmm.', done: false });
    expect(lines.at(-1)).toMatchObject({ response: '', done: true, done_reason: 'stop' });
    expect(lines.at(-1)).not.toHaveProperty('context');
    expect(await readStream(body, 'generate')).toEqual({ text: 'Soft, swift.', thinking: 'Hmm.', toolCalls: [], doneReason: 'stop', promptEvalCount: 3, evalCount: 4 });
  });
});

describe('Ollama stream encoder on what the decoder makes of each recording', () => {
  const cases = [...STREAM_FIXTURES, ...ANSWER_FIXTURES].flatMap((fixture) => {
    const toolCalls = transcriptOf(wireLines(fixture.body)).toolCalls.length > 0;
    // /api/generate has no tool calls to carry.
    const endpoints: OllamaEndpoint[] = toolCalls ? ['chat'] : ['chat', 'generate'];
    return endpoints.map((endpoint) => [`${fixtureFile(fixture)} → ${endpoint}`, fixture, endpoint] as const);
  });

  it.each(cases)('%s', async (_name, fixture, endpoint) => {
    const oracle = transcriptOf(wireLines(fixture.body));
    const { body } = encodeAll(decodeStream(fixture.body), endpoint);
    checkLines(body, endpoint);
    const read = await readStream(body, endpoint);
    expect(read).toMatchObject({
      text: oracle.text,
      thinking: oracle.thinking,
      doneReason: oracle.doneReason ?? 'stop',
      promptEvalCount: oracle.promptEvalCount,
      evalCount: oracle.evalCount,
    });
    expect(read.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual(
      oracle.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })),
    );
    for (const [index, call] of read.toolCalls.entries()) expect(call.id).toEqual(oracle.toolCalls[index]!.id ?? expect.stringMatching(/^call_/));
  });
});
