// The outbound stream decoder on every recorded Chat Completions stream: the canonical events
// it emits must say what the wire says, read here by an oracle that shares no code with the
// codec, and must follow the event grammar of docs/codecs.md.
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { StreamEvent } from '../../../src/core/response.ts';
import { chatOutbound } from '../../../src/protocols/openai-chat/index.ts';
import { loadFixture } from '../../support/fixtures.ts';
import {
  STREAM_FIXTURES,
  checkEventOrder,
  decodeStream,
  expectedErrorStatus,
  expectedFinish,
  expectedUsage,
  fixtureFile,
  summarize,
  transcriptOf,
  type WireTranscript,
} from './support.ts';

/** Known contents of particular recordings, so that a silently empty oracle cannot pass. */
const FACTS: Record<string, (transcript: WireTranscript) => void> = {
  'gpt-4o-text-with-usage.sse': (t) => {
    expect(t.choices[0]!.text).toMatch(/^I'm unable to provide real-time weather updates\./);
    expect(t.usage).toMatchObject({ prompt_tokens: 14, completion_tokens: 30 });
  },
  'gpt-4o-parallel-tool-calls-with-usage.sse': (t) => {
    expect(t.choices[0]!.toolCalls).toEqual([
      { id: 'call_JMW1whyEaYG438VE1OIflxA2', name: 'GetWeatherArgs', arguments: '{"city": "Edinburgh", "country": "GB", "units": "c"}' },
      { id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', name: 'get_stock_price', arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}' },
    ]);
    expect(t.choices[0]!.finishReason).toBe('tool_calls');
  },
  'gpt-4o-single-tool-call-with-usage.sse': (t) =>
    expect(t.choices[0]!.toolCalls).toEqual([{ id: 'call_4XzlGBLtUe9dy3GVNV4jhq7h', name: 'get_weather', arguments: '{"city":"New York City"}' }]),
  'gpt-4o-n3-multiple-choices.sse': (t) => {
    expect(Object.keys(t.choices)).toEqual(['0', '1', '2']);
    expect(Object.values(t.choices).map((turn) => JSON.parse(turn.text) as unknown)).toEqual([
      { city: 'San Francisco', temperature: 65, units: 'f' },
      { city: 'San Francisco', temperature: 61, units: 'f' },
      { city: 'San Francisco', temperature: 59, units: 'f' },
    ]);
  },
  'gpt-4o-refusal-delta.sse': (t) => expect(t.choices[0]).toMatchObject({ text: '', refusal: "I'm sorry, I can't assist with that request.", blocks: [] }),
  'gpt-4o-finish-length.sse': (t) => expect(t.choices[0]).toMatchObject({ text: '{"', finishReason: 'length' }),
  'gpt-4o-content-logprobs.sse': (t) => expect(t.choices[0]!.text).toBe('Foo!'),
  'gpt-4.1-nano-text-obfuscation-usage.chunks.ndjson': (t) => {
    expect(t.choices[0]!.text).toHaveLength(1724);
    expect(t.usage).toMatchObject({ prompt_tokens: 16, completion_tokens: 300 });
  },
  'azure-gpt-5-nano-content-filter-reasoning-tokens.chunks.ndjson': (t) => {
    expect(t).toMatchObject({ id: 'chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt', model: 'gpt-5-nano-2025-08-07', created: 1762317021 });
    expect(t.choices[0]!.text).toBe('Capital of Denmark.');
    expect(t.usage).toMatchObject({ completion_tokens: 78, completion_tokens_details: { reasoning_tokens: 64 } });
  },
  'deepseek-reasoner-reasoning-content.chunks.ndjson': (t) => {
    expect(t.choices[0]).toMatchObject({ text: 'The word "strawberry" contains three "r"s.', blocks: ['reasoning', 'text'] });
    expect(t.choices[0]!.reasoning).toHaveLength(606);
    expect(t.usage).toMatchObject({ completion_tokens_details: { reasoning_tokens: 205 } });
  },
  'deepseek-reasoner-reasoning-then-tool-call.chunks.ndjson': (t) => {
    expect(t.choices[0]).toMatchObject({ blocks: ['reasoning', 'tool_call'], finishReason: 'tool_calls' });
    expect(t.choices[0]!.toolCalls).toEqual([{ id: 'call_00_ioIn7yN9p1ZOMNpDLwd4MgAF', name: 'weather', arguments: '{"location": "San Francisco"}' }]);
    expect(t.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: 320 }, completion_tokens_details: { reasoning_tokens: 39 } });
  },
  'openrouter-claude-reasoning-details.sse': (t) =>
    expect(t.choices[0]).toMatchObject({ text: '2 + 2 = 4', reasoning: 'This is a simple arithmetic question. 2+2 equals 4.', blocks: ['reasoning', 'text'] }),
  'openrouter-midstream-error-chunk.sse': (t) => {
    expect(t.error).toEqual({ code: 400, message: 'Token limit reached' });
    expect(t.usage).toMatchObject({ prompt_tokens: 43, completion_tokens: 10, completion_tokens_details: { reasoning_tokens: 11 } });
    expect(t.choices[0]).toMatchObject({ reasoning: 'We need to respond to a greeting. The user', finishReason: 'length' });
  },
  'groq-gpt-oss-event-error.sse': (t) => {
    expect(t.error).toMatchObject({ code: 'tool_use_failed', status_code: 400 });
    expect(t.choices[0]!.reasoning).toHaveLength(412);
    expect(t.choices[0]!.finishReason).toBeUndefined();
  },
};

describe('Chat stream decoder on the recorded streams', () => {
  it('has every recording to run on', () => {
    expect(STREAM_FIXTURES.map(fixtureFile).sort()).toEqual(Object.keys(FACTS).sort());
  });

  it.each(STREAM_FIXTURES.map((fixture) => [fixtureFile(fixture), fixture] as const))('%s', (file, fixture) => {
    const oracle = transcriptOf(fixture.body);
    FACTS[file]!(oracle);
    const events = decodeStream(fixture.body);
    checkEventOrder(events);
    const summary = summarize(events);

    expect(summary.start).toEqual({ id: oracle.id, model: oracle.model, created: oracle.created });
    const errored = oracle.error !== undefined;
    // A choice that produced nothing before an error has no events at all.
    const oracleChoices = Object.entries(oracle.choices).filter(([, turn]) => !errored || turn.blocks.length > 0 || turn.finishReason);
    expect(Object.keys(summary.choices)).toEqual(oracleChoices.map(([index]) => index));
    for (const [index, turn] of oracleChoices) {
      const decoded = summary.choices[Number(index)]!;
      expect(decoded.text, `choice ${index} text`).toBe(turn.text);
      expect(decoded.reasoning, `choice ${index} reasoning`).toBe(turn.reasoning);
      expect(decoded.refusal, `choice ${index} refusal`).toBe(turn.refusal);
      expect(decoded.toolCalls, `choice ${index} tool calls`).toEqual(turn.toolCalls);
      for (const call of decoded.toolCalls) expect(JSON.parse(call.arguments)).toEqual(JSON.parse(turn.toolCalls.find((c) => c.id === call.id)!.arguments));
      expect(decoded.blocks, `choice ${index} blocks`).toEqual(turn.blocks);
      const finish = expectedFinish(turn, errored);
      expect(decoded.finishes, `choice ${index} finish`).toEqual(finish ? [finish] : []);
    }

    if (oracle.usage) expect(summary.usage).toEqual(expectedUsage(oracle.usage));
    else expect(summary.usage).toBeUndefined();
    // One usage event per usage report on the wire (each recording reports once).
    const usages = events.filter((event) => event.type === 'usage');
    expect(usages.length).toBe(oracle.usage ? 1 : 0);

    if (oracle.error) {
      expect(events.at(-1)?.type).toBe('error');
      expect(summary.error).toBeInstanceOf(ProxyError);
      expect(summary.error!.message).toBe(oracle.error.message);
      expect(summary.error!.status).toBe(expectedErrorStatus(oracle.error));
      expect(summary.error!.code).toBe(typeof oracle.error.code === 'string' ? oracle.error.code : undefined);
    } else {
      expect(summary.error).toBeUndefined();
    }
  });

  it('opens on the first real chunk after Azure’s empty one', () => {
    const events = decodeStream(loadFixture('openai-chat/azure-gpt-5-nano-content-filter-reasoning-tokens.chunks.ndjson').body);
    expect(events[0]).toEqual({ type: 'start', id: 'chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt', model: 'gpt-5-nano-2025-08-07', created: 1762317021 });
    expect(events.filter((event) => event.type === 'start')).toHaveLength(1);
  });

  it('keeps interleaved parallel tool calls open together and closes both at the finish', () => {
    const events = decodeStream(loadFixture('openai-chat/gpt-4o-parallel-tool-calls-with-usage.sse').body);
    const structural = events.filter((event) => event.type !== 'tool_arguments');
    expect(structural.slice(1, 6)).toEqual([
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'call_JMW1whyEaYG438VE1OIflxA2', name: 'GetWeatherArgs' },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', name: 'get_stock_price' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ]);
  });

  it('reports OpenRouter’s billed usage before its error chunk, one finish despite the repeated finish chunk', () => {
    const events = decodeStream(loadFixture('openai-chat/openrouter-midstream-error-chunk.sse').body);
    expect(events.slice(-3).map((event) => event.type)).toEqual(['finish', 'usage', 'error']);
    expect(events.at(-2)).toEqual({ type: 'usage', usage: { input: 43, output: 10, cached: 0, reasoning: 11 } });
  });

  it('maps Groq’s `event: error` to an error event carrying its status and code', () => {
    const events = decodeStream(loadFixture('openai-chat/groq-gpt-oss-event-error.sse').body);
    const error = (events.at(-1) as Extract<StreamEvent, { type: 'error' }>).error;
    expect(error).toMatchObject({ kind: 'invalid_request', status: 400, code: 'tool_use_failed' });
  });
});

/** Hand-built data lines, for behaviour no recording shows. */
function decodeLines(lines: Array<string | { event: string; data: string }>): StreamEvent[] {
  const decoder = chatOutbound.createStreamDecoder();
  const events = lines.flatMap((line) => decoder.push(typeof line === 'string' ? { data: line } : line));
  return [...events, ...decoder.end()];
}

const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices, ...extra });

describe('Chat stream decoder on hand-built streams', () => {
  it('closes open blocks and supplies finish tool_calls when the body ends without a finish_reason', () => {
    const events = decodeLines([
      chunk([{ index: 0, delta: { content: 'Let me check.' } }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":' } }] } }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }]),
    ]);
    checkEventOrder(events);
    expect(events.slice(-2)).toEqual([
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ]);
    expect(summarize(events).choices[0]).toMatchObject({ text: 'Let me check.', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{"a":1}' }] });
  });

  it('answers an empty body with start and a stop finish', () => {
    const events = decodeLines([]);
    checkEventOrder(events);
    expect(events.map((event) => event.type)).toEqual(['start', 'finish']);
    expect(events[1]).toEqual({ type: 'finish', choice: 0, reason: 'stop' });
  });

  it('generates a call_ id for a tool call that came without one', () => {
    const events = decodeLines([chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls' }])]);
    checkEventOrder(events);
    expect(summarize(events).choices[0]!.toolCalls[0]!.id).toMatch(/^call_/);
  });

  it('splits reasoning and content of one delta into a reasoning block then a text block', () => {
    const events = decodeLines([chunk([{ index: 0, delta: { reasoning_content: 'Think.', content: 'Say.' }, finish_reason: 'stop' }])]);
    checkEventOrder(events);
    expect(summarize(events).choices[0]).toMatchObject({ reasoning: 'Think.', text: 'Say.', blocks: ['reasoning', 'text'], finishes: ['stop'] });
  });

  it('takes nothing more for a choice after its finish_reason', () => {
    const events = decodeLines([
      chunk([{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }]),
      chunk([{ index: 0, delta: { content: 'late' }, finish_reason: 'stop' }]),
    ]);
    checkEventOrder(events);
    expect(summarize(events).choices[0]).toMatchObject({ text: 'Hi', finishes: ['stop'] });
  });

  it('emits start before an error that opens the stream, and nothing after it', () => {
    const decoder = chatOutbound.createStreamDecoder();
    const events = decoder.push({ event: 'error', data: '{"error":{"message":"rate limited","type":"rate_limit_error","status_code":429}}' });
    expect(events.map((event) => event.type)).toEqual(['start', 'error']);
    expect((events[1] as Extract<StreamEvent, { type: 'error' }>).error).toMatchObject({ kind: 'rate_limit', status: 429, message: 'rate limited' });
    expect(decoder.push({ data: chunk([{ index: 0, delta: { content: 'late' } }]) })).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('turns a malformed chunk into an upstream error', () => {
    const events = decodeLines([chunk([{ index: 0, delta: { content: 'a' } }]), '{"id":']);
    checkEventOrder(events);
    expect((events.at(-1) as Extract<StreamEvent, { type: 'error' }>).error).toMatchObject({ kind: 'upstream', status: 502, code: 'malformed_chunk' });
  });
});
