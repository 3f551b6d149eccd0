import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { StreamEvent } from '../../../src/core/response.ts';
import { anthropicInbound } from '../../../src/protocols/anthropic/index.ts';
import { geminiOutbound } from '../../../src/protocols/gemini/index.ts';
import { listFixtures, sseEvents } from '../../support/fixtures.ts';
import { anthropicSchema, decodeStream, sdkFinalMessage, summarizeWire } from './support.ts';

const context = { model: 'client-model' };

function encode(events: StreamEvent[]): string {
  const encoder = anthropicInbound.createStreamEncoder(context);
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

/**
 * Every event against the official schema, the event name against the payload type, and
 * the block discipline Anthropic clients rely on: one block open at a time, indexes from 0.
 */
function parseChecked(sse: string): Array<Record<string, any>> {
  const events = sseEvents(Buffer.from(sse)).map(({ event, data }) => {
    const payload = JSON.parse(data) as Record<string, any>;
    expect(event).toBe(payload.type);
    const validate = anthropicSchema(payload.type === 'error' ? 'ErrorResponse' : 'MessageStreamEvent');
    expect(validate(payload), JSON.stringify(validate.errors)).toBe(true);
    return payload;
  });
  let open: number | undefined;
  let next = 0;
  for (const event of events) {
    if (event.type === 'content_block_start') {
      expect(open).toBeUndefined();
      expect(event.index).toBe(next++);
      open = event.index;
    }
    if (event.type === 'content_block_delta') expect(event.index).toBe(open);
    if (event.type === 'content_block_stop') {
      expect(event.index).toBe(open);
      open = undefined;
    }
  }
  if (events.at(-1)?.type !== 'error') {
    expect(events[0]?.type).toBe('message_start');
    expect(events.at(-1)?.type).toBe('message_stop');
    expect(open).toBeUndefined();
  }
  return events;
}

const start: StreamEvent = { type: 'start', id: 'chatcmpl-123', model: 'gpt-4o', created: 1700000000 };
const usage = (input: number, output: number, cached = 0): StreamEvent => ({ type: 'usage', usage: { input, output, cached, reasoning: 0 } });

describe('Anthropic stream encoder on hand-built streams', () => {
  it('text: message_start carries the input usage, message_delta the totals', async () => {
    const sse = encode([
      start,
      usage(10, 0),
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'Hel' },
      { type: 'text', choice: 0, block: 0, text: 'lo' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'stop' },
      usage(10, 5),
    ]);
    const events = parseChecked(sse);
    expect(events[0]).toMatchObject({
      message: { id: 'msg_chatcmpl-123', model: 'client-model', usage: { input_tokens: 10, output_tokens: 0 } },
    });
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    const message = await sdkFinalMessage(sse);
    expect(message.content).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 10, output_tokens: 5 });
  });

  it('cached input is reported apart, as Anthropic does', () => {
    const events = parseChecked(encode([start, usage(100, 0, 80), { type: 'finish', choice: 0, reason: 'stop' }]));
    expect(events[0]?.message.usage).toEqual({ input_tokens: 20, output_tokens: 0, cache_read_input_tokens: 80, cache_creation_input_tokens: 0 });
  });

  it('a signature that arrives after its reasoning ended still goes out before the block stop', async () => {
    const sse = encode([
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Let me think.' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'signature', choice: 0, block: 0, signature: { protocol: 'gemini', value: 'CiQB+sig==' } },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
      { type: 'text', choice: 0, block: 1, text: 'Answer.' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
    const events = parseChecked(sse);
    expect(events.map((event) => event.delta?.type ?? event.type)).toEqual([
      'message_start',
      'content_block_start',
      'thinking_delta',
      'signature_delta',
      'content_block_stop',
      'content_block_start',
      'text_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const message = await sdkFinalMessage(sse);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think.', signature: 'llm-mux:gemini:CiQB+sig==' },
      { type: 'text', text: 'Answer.' },
    ]);
  });

  it('a signature arriving after a later block took the wire gets an empty signed thinking block after it', async () => {
    const sse = encode([
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Hm.' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
      { type: 'text', choice: 0, block: 1, text: 'Hi' },
      // Gemini's signature on an empty text part at the end of the turn, for the thinking before.
      { type: 'signature', choice: 0, block: 0, signature: { protocol: 'gemini', value: 'late' } },
      { type: 'text', choice: 0, block: 1, text: '!' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'block_start', choice: 0, block: 2, kind: 'tool_call', id: 'call_a', name: 'f' },
      { type: 'tool_arguments', choice: 0, block: 2, delta: '{}' },
      { type: 'block_end', choice: 0, block: 2 },
    ]);
    const events = parseChecked(sse);
    expect(events.filter((event) => event.type === 'content_block_start').map((event) => [event.index, event.content_block.type])).toEqual([
      [0, 'thinking'],
      [1, 'text'],
      [2, 'thinking'],
      [3, 'tool_use'],
    ]);
    const message = await sdkFinalMessage(sse);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Hm.', signature: '' },
      { type: 'text', text: 'Hi!' },
      { type: 'thinking', thinking: '', signature: 'llm-mux:gemini:late' },
      { type: 'tool_use', id: 'call_a', name: 'f', input: {} },
    ]);
    // Next turn, the Gemini upstream gets its signature back where Gemini puts such a one: on the next part.
    const request = anthropicInbound.decodeRequest(
      {
        model: 'm',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: message.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_a', content: 'ok' }] },
        ],
      },
      context,
    );
    const body = geminiOutbound.encodeRequest({ ...request, model: 'gemini-2.5-flash' }) as { contents: Array<{ parts: unknown[] }> };
    expect(body.contents[1]!.parts).toEqual([{ text: 'Hi!' }, { functionCall: { id: 'call_a', name: 'f', args: {} }, thoughtSignature: 'late' }]);
  });

  it('redacted thinking, then an Anthropic-signed thinking block', async () => {
    const sse = encode([
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'redacted_reasoning', data: 'EncryptedData==' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 1, text: 'Visible.' },
      { type: 'signature', choice: 0, block: 1, signature: { protocol: 'anthropic', value: 'EuYDsig==' } },
      { type: 'block_end', choice: 0, block: 1 },
    ]);
    parseChecked(sse);
    expect((await sdkFinalMessage(sse)).content).toEqual([
      { type: 'redacted_thinking', data: 'EncryptedData==' },
      { type: 'thinking', thinking: 'Visible.', signature: 'EuYDsig==' },
    ]);
  });

  it('two interleaved tool calls go out one after the other; tool signatures have no place', async () => {
    const sse = encode([
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'call_a', name: 'get_weather' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{"ci' },
      { type: 'signature', choice: 0, block: 0, signature: { protocol: 'gemini', value: 'sig' } },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_b', name: 'get_time' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '{"tz":' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: 'ty":"Paris"}' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '"UTC"}' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
      usage(50, 20),
    ]);
    const events = parseChecked(sse);
    expect(events.filter((event) => event.type === 'content_block_delta').map((event) => [event.index, event.delta.partial_json])).toEqual([
      [0, '{"ci'],
      [0, 'ty":"Paris"}'],
      [1, '{"tz":'],
      [1, '"UTC"}'],
    ]);
    const message = await sdkFinalMessage(sse);
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_b', name: 'get_time', input: { tz: 'UTC' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('blocks left open and a missing finish are supplied at the end (tool_use when tools were called)', () => {
    const events = parseChecked(
      encode([
        start,
        { type: 'block_start', choice: 0, block: 0, kind: 'text' },
        { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_a', name: 'f' },
        { type: 'tool_arguments', choice: 0, block: 1, delta: '{}' },
      ]),
    );
    expect(events.find((event) => event.type === 'message_delta')?.delta.stop_reason).toBe('tool_use');
  });

  it('an error mid-stream ends the stream with an Anthropic error event', async () => {
    const encoder = anthropicInbound.createStreamEncoder(context);
    const sse =
      [
        start,
        { type: 'block_start', choice: 0, block: 0, kind: 'text' } as const,
        { type: 'text', choice: 0, block: 0, text: 'partial' } as const,
        { type: 'error', error: new ProxyError('unavailable', 'Overloaded', { status: 529 }) } as const,
        { type: 'text', choice: 0, block: 0, text: 'ignored' } as const,
      ]
        .map((event) => encoder.encode(event))
        .join('') + encoder.end();
    const events = parseChecked(sse);
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(sse).not.toContain('ignored');
    await expect(sdkFinalMessage(sse)).rejects.toThrow('Overloaded');
  });

  it('an error before any content is the only event', () => {
    const sse = encode([start, { type: 'error', error: new ProxyError('rate_limit', 'Slow down') }]);
    expect(parseChecked(sse)).toEqual([{ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } }]);
  });

  it('no usage at all: zeros, and end_turn', async () => {
    const sse = encode([start, { type: 'block_start', choice: 0, block: 0, kind: 'text' }, { type: 'text', choice: 0, block: 0, text: 'x' }]);
    parseChecked(sse);
    const message = await sdkFinalMessage(sse);
    expect(message.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
    expect(message.stop_reason).toBe('end_turn');
  });

  it('stop sequence, length and content filter', () => {
    const stopOf = (finish: StreamEvent) => parseChecked(encode([start, finish])).find((event) => event.type === 'message_delta')?.delta;
    expect(stopOf({ type: 'finish', choice: 0, reason: 'stop', stopSequence: 'END' })).toEqual({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    expect(stopOf({ type: 'finish', choice: 0, reason: 'length' })).toEqual({ stop_reason: 'max_tokens', stop_sequence: null });
    expect(stopOf({ type: 'finish', choice: 0, reason: 'content_filter' })).toEqual({ stop_reason: 'refusal', stop_sequence: null });
  });

  it('an OpenAI refusal becomes text with stop_reason refusal', async () => {
    const sse = encode([
      start,
      { type: 'refusal', choice: 0, text: "I can't " },
      { type: 'refusal', choice: 0, text: 'help.' },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
    parseChecked(sse);
    const message = await sdkFinalMessage(sse);
    expect(message.content).toEqual([{ type: 'text', text: "I can't help." }]);
    expect(message.stop_reason).toBe('refusal');
  });

  it('events of other choices are ignored', () => {
    const sse = encode([start, { type: 'block_start', choice: 1, block: 0, kind: 'text' }, { type: 'text', choice: 1, block: 0, text: 'other' }]);
    expect(sse).not.toContain('other');
  });
});

describe('Anthropic stream encoder on every recorded stream, decoded', () => {
  for (const fixture of listFixtures('anthropic').filter((entry) => entry.contentType === 'text/event-stream')) {
    it(`${fixture.name}: valid events the SDK folds into the recorded answer`, async () => {
      const sse = encode(await decodeStream([fixture.body]));
      parseChecked(sse);
      const expected = summarizeWire(sseEvents(fixture.body));
      const message = await sdkFinalMessage(sse);
      expect(message.content).toEqual(expected.blocks);
      expect(message.usage).toMatchObject({
        input_tokens: expected.usage!.input - expected.usage!.cached - expected.usage!.cacheWrite!,
        output_tokens: expected.usage!.output,
        cache_read_input_tokens: expected.usage!.cached,
      });
      const recorded = sseEvents(fixture.body).map(({ data }) => JSON.parse(data) as Record<string, any>);
      const delta = recorded.find((event) => event.type === 'message_delta')!.delta;
      expect({ stop_reason: message.stop_reason, stop_sequence: message.stop_sequence }).toEqual({
        stop_reason: delta.stop_reason,
        stop_sequence: delta.stop_sequence,
      });
      expect(message.id).toBe(recorded[0]!.message.id);
    });
  }
});
