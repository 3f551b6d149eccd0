// The outbound decoders on every recorded Ollama body: what they emit must match what the
// wire says, read here by an oracle that shares no code with the codec.
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalResponse } from '../../../src/core/response.ts';
import { ollamaOutbound } from '../../../src/protocols/ollama/index.ts';
import { loadFixture } from '../../support/fixtures.ts';
import {
  ANSWER_FIXTURES,
  STREAM_FIXTURES,
  checkEventOrder,
  decodeStream,
  fixtureFile,
  recordedStatus,
  summarize,
  transcriptOf,
  wireLines,
  type Transcript,
} from './support.ts';

/** Known contents of particular recordings, so that a silently empty oracle cannot pass. */
const FACTS: Record<string, Partial<Transcript>> = {
  'api-chat-stream-gemma3-text.ndjson': { text: 'Okay, here we go!\n\n1, 2, 3, 4, 5\n', thinking: '', doneReason: 'stop', promptEvalCount: 16, evalCount: 22 },
  'api-generate-stream-gemma3-text.ndjson': { text: 'Okay, here we go!\n\n1, 2, 3, 4, 5\n', doneReason: 'stop', promptEvalCount: 16, evalCount: 22 },
  'api-chat-stream-gpt-oss-thinking.ndjson': { text: '1  \n2  \n3  \n4  \n5', doneReason: 'stop', promptEvalCount: 74, evalCount: 57 },
  'api-generate-stream-gpt-oss-thinking.ndjson': {
    text: 'Soft, swift, curious.',
    thinking: 'We need to respond with three words describing a rabbit. No disallowed content. Simple.',
    promptEvalCount: 81,
    evalCount: 34,
  },
  'api-chat-gpt-oss-tool-call-with-thinking.json': {
    thinking: 'User asks about weather in San Francisco. Use function getWeather.',
    toolCalls: [{ id: 'call_mo1wm122', name: 'getWeather', arguments: { location: 'San Francisco, CA' } }],
    promptEvalCount: 145,
    evalCount: 44,
  },
  'api-chat-5-tool-calls-nonstream.json': { promptEvalCount: 152, evalCount: 22 },
};

function expectedFinish(transcript: Transcript): string {
  if (transcript.doneReason === 'length') return 'length';
  return transcript.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

/** Every recorded body as the stream decoder sees it: a non-streamed answer is one final line. */
const ALL_BODIES = [...STREAM_FIXTURES, ...ANSWER_FIXTURES];

describe('Ollama stream decoder on the recorded bodies', () => {
  it('has fixtures to run on', () => {
    expect(STREAM_FIXTURES.length).toBe(4);
    expect(ANSWER_FIXTURES.length).toBe(2);
  });

  it.each(ALL_BODIES.map((fixture) => [fixtureFile(fixture), fixture] as const))('%s', (_name, fixture) => {
    const oracle = transcriptOf(wireLines(fixture.body));
    expect(oracle).toMatchObject(FACTS[fixtureFile(fixture)] ?? {});
    const events = decodeStream(fixture.body);
    checkEventOrder(events);
    const summary = summarize(events);
    expect(summary.text).toBe(oracle.text);
    expect(summary.reasoning).toBe(oracle.thinking);
    expect(summary.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: JSON.parse(args) as unknown }))).toEqual(
      oracle.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })),
    );
    expect(summary.finish).toBe(expectedFinish(oracle));
    expect(summary.usage).toEqual({ input: oracle.promptEvalCount, output: oracle.evalCount });
    const start = events[0]!;
    expect(start).toMatchObject({ type: 'start', model: wireLines(fixture.body)[0]!.model });
  });

  it('keeps thinking and content in separate blocks, in arrival order', () => {
    const events = decodeStream(loadFixture('ollama/api-chat-stream-gpt-oss-thinking.ndjson').body);
    const starts = events.filter((event) => event.type === 'block_start');
    expect(starts).toEqual([
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
    ]);
  });

  it('uses the id Ollama gives a call, and makes distinct call_ ids where it gives none', () => {
    const withId = summarize(decodeStream(loadFixture('ollama/api-chat-gpt-oss-tool-call-with-thinking.json').body));
    expect(withId.toolCalls.map((call) => call.id)).toEqual(['call_mo1wm122']);
    const withoutIds = summarize(decodeStream(loadFixture('ollama/api-chat-5-tool-calls-nonstream.json').body));
    const ids = withoutIds.toolCalls.map((call) => call.id);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^call_/);
    // The call recorded without an `arguments` key takes none.
    expect(withoutIds.toolCalls[3]).toMatchObject({ name: 'MyPlugin_InvalidArguments', arguments: '{}' });
  });

  it('reads a streamed tool call (as api.md documents it: whole, in one line)', () => {
    const body = [
      '{"model":"llama3.2","created_at":"2025-07-07T20:22:19.184789Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},"done":false}',
      '{"model":"llama3.2","created_at":"2025-07-07T20:22:19.19314Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":169,"eval_count":15}',
    ].join('\n');
    const events = decodeStream(body);
    checkEventOrder(events);
    expect(events.map((event) => event.type)).toEqual(['start', 'block_start', 'tool_arguments', 'block_end', 'finish', 'usage']);
    expect(summarize(events)).toMatchObject({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Tokyo"}' }], finish: 'tool_calls' });
  });

  it('turns an {"error"} line into an error event, after which nothing is emitted', () => {
    const decoder = ollamaOutbound.createStreamDecoder();
    const body = [
      '{"model":"gemma4","created_at":"2025-10-26T17:21:21.196249Z","response":" Yes","done":false}',
      '{"error":"an error was encountered while running the model"}',
    ];
    const events = [...body.flatMap((data) => decoder.push({ data })), ...decoder.push({ data: '{"response":"late","done":true}' }), ...decoder.end()];
    checkEventOrder(events);
    const error = events.at(-1)!;
    expect(error.type).toBe('error');
    if (error.type !== 'error') return;
    expect(error.error).toBeInstanceOf(ProxyError);
    expect(error.error).toMatchObject({ kind: 'upstream', status: 502, message: 'an error was encountered while running the model' });
    expect(summarize(events).text).toBe(' Yes');
  });

  it('reports an error that arrives before any output after a start', () => {
    const events = decodeStream('{"error":"model failed to load"}');
    expect(events.map((event) => event.type)).toEqual(['start', 'error']);
  });

  it('reports a line that is not JSON as an upstream error', () => {
    const events = decodeStream('{"response":"a","done":false}\nnot json');
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { kind: 'upstream' } });
  });

  it('closes the open block and supplies the finish when the body ends without a done line', () => {
    const events = decodeStream('{"model":"m","message":{"role":"assistant","content":"cut"},"done":false}');
    checkEventOrder(events);
    expect(events.slice(-2)).toEqual([
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
  });

  it('maps done_reason "length" to length, also after tool calls', () => {
    const events = decodeStream('{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{}}}]},"done":true,"done_reason":"length"}');
    expect(summarize(events).finish).toBe('length');
  });

  it('emits nothing for an empty body', () => {
    expect(decodeStream('')).toEqual([]);
  });
});

describe('Ollama decodeResponse on the recorded answers', () => {
  it.each(ANSWER_FIXTURES.map((fixture) => [fixtureFile(fixture), fixture] as const))('%s', (_name, fixture) => {
    const [wire] = wireLines(fixture.body);
    const oracle = transcriptOf([wire!]);
    const response: CanonicalResponse = ollamaOutbound.decodeResponse(JSON.parse(fixture.body.toString()));
    expect(response.model).toBe(wire!.model);
    expect(response.created).toBe(Math.floor(Date.parse((wire as { created_at: string }).created_at) / 1000));
    expect(response.usage).toEqual({ input: oracle.promptEvalCount, output: oracle.evalCount, cached: 0, reasoning: 0 });
    expect(response.choices).toHaveLength(1);
    const choice = response.choices[0]!;
    expect(choice.finishReason).toBe(expectedFinish(oracle));
    const reasoning = choice.content.filter((part) => part.type === 'reasoning').map((part) => part.text);
    expect(reasoning).toEqual(oracle.thinking ? [oracle.thinking] : []);
    expect(choice.content.filter((part) => part.type === 'text')).toEqual(oracle.text ? [{ type: 'text', text: oracle.text }] : []);
    const calls = choice.content.filter((part) => part.type === 'tool_call');
    expect(calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as unknown }))).toEqual(
      oracle.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })),
    );
    for (const [index, call] of calls.entries()) expect(call.id).toEqual(oracle.toolCalls[index]!.id ?? expect.stringMatching(/^call_/));
    // Reasoning, then text, then calls: the order every encoder expects.
    const order = choice.content.map((part) => part.type);
    expect(order).toEqual([...order].sort((a, b) => rank(a) - rank(b)));
  });

  it('reads a /api/generate answer', () => {
    const response = ollamaOutbound.decodeResponse({
      model: 'llama3.2',
      created_at: '2023-08-04T19:22:45.499127Z',
      response: 'The sky is blue.',
      thinking: 'Rayleigh.',
      done: true,
      done_reason: 'length',
      context: [1, 2, 3],
      prompt_eval_count: 26,
      eval_count: 290,
    });
    expect(response.choices[0]).toEqual({
      index: 0,
      content: [
        { type: 'reasoning', text: 'Rayleigh.' },
        { type: 'text', text: 'The sky is blue.' },
      ],
      finishReason: 'length',
    });
    expect(response.created).toBe(1691176965);
  });

  it('throws the error of an {"error"} body, and rejects a body that is not an object', () => {
    expect(() => ollamaOutbound.decodeResponse({ error: 'boom' })).toThrow(expect.objectContaining({ kind: 'upstream', message: 'boom' }));
    expect(() => ollamaOutbound.decodeResponse('text')).toThrow(ProxyError);
  });
});

function rank(type: string): number {
  return ['reasoning', 'text', 'tool_call'].indexOf(type);
}

describe('Ollama decodeError', () => {
  it('reads the recorded 400 body', () => {
    const fixture = loadFixture('ollama/api-chat-error-400-does-not-support-tools.json');
    const error = ollamaOutbound.decodeError(recordedStatus(fixture), fixture.body.toString());
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ kind: 'invalid_request', status: 400, message: 'registry.ollama.ai/library/gemma3:1b does not support tools' });
  });

  it('keeps the status of other errors and falls back to the body text or the status', () => {
    expect(ollamaOutbound.decodeError(404, '{"error":"model \\"x\\" not found, try pulling it first"}')).toMatchObject({
      kind: 'not_found',
      status: 404,
      message: 'model "x" not found, try pulling it first',
    });
    expect(ollamaOutbound.decodeError(502, 'Bad Gateway\n')).toMatchObject({ kind: 'upstream', status: 502, message: 'Bad Gateway' });
    expect(ollamaOutbound.decodeError(500, '')).toMatchObject({ kind: 'upstream', status: 500, message: 'Ollama answered HTTP 500' });
  });
});
