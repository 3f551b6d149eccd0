// Streams report cumulative usage, often unchanged (Gemini in every chunk): a usage event
// goes out only when the totals change.
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/core/response.ts';
import { sameUsage } from '../../src/core/usage.ts';
import { anthropicOutbound } from '../../src/protocols/anthropic/index.ts';
import type { UpstreamMessage } from '../../src/protocols/codec.ts';
import { geminiOutbound } from '../../src/protocols/gemini/index.ts';

const usageEvents = (events: StreamEvent[]) => events.flatMap((event) => (event.type === 'usage' ? [event.usage] : []));

describe('sameUsage', () => {
  const usage = { input: 10, output: 5, cached: 2, reasoning: 1 };

  it('is true only for a report with every count equal', () => {
    expect(sameUsage(usage, { ...usage })).toBe(true);
    expect(sameUsage(undefined, usage)).toBe(false);
    for (const field of ['input', 'output', 'cached', 'reasoning'] as const) expect(sameUsage(usage, { ...usage, [field]: usage[field] + 1 })).toBe(false);
    expect(sameUsage(usage, { ...usage, cacheWrite: 3 })).toBe(false);
    expect(sameUsage({ ...usage, cacheWrite: undefined }, usage)).toBe(true);
  });
});

describe('usage events from cumulative reports', () => {
  it('Gemini: one per change, however many chunks repeat it', () => {
    const decoder = geminiOutbound.createStreamDecoder();
    const element = (text: string, candidatesTokenCount: number): UpstreamMessage => ({
      data: JSON.stringify({
        candidates: [{ index: 0, content: { role: 'model', parts: [{ text }] } }],
        usageMetadata: { promptTokenCount: 7, candidatesTokenCount, totalTokenCount: 7 + candidatesTokenCount },
      }),
    });
    const events = [element('a', 1), element('b', 1), element('c', 1), element('d', 4)].flatMap((message) => decoder.push(message));
    expect(usageEvents([...events, ...decoder.end()]).map((usage) => usage.output)).toEqual([1, 4]);
  });

  it('Anthropic: message_start, then only the message_delta that changes the totals', () => {
    const decoder = anthropicOutbound.createStreamDecoder();
    const message = (data: object): UpstreamMessage => ({ event: (data as { type: string }).type, data: JSON.stringify(data) });
    const usage = { input_tokens: 9, output_tokens: 1 };
    const events = [
      message({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], usage } }),
      message({ type: 'message_delta', delta: { stop_reason: null, stop_sequence: null }, usage: { output_tokens: 1 } }),
      message({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 6 } }),
      message({ type: 'message_stop' }),
    ].flatMap((each) => decoder.push(each));
    expect(usageEvents([...events, ...decoder.end()]).map((each) => [each.input, each.output])).toEqual([
      [9, 1],
      [9, 6],
    ]);
  });
});
