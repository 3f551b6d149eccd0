import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/core/response.ts';
import { anthropicOutbound } from '../../../src/protocols/anthropic/index.ts';
import { listFixtures, loadFixture, sseEvents } from '../../support/fixtures.ts';
import { decodeStream, summarizeEvents, summarizeWire } from './support.ts';

const streams = listFixtures('anthropic').filter((fixture) => fixture.contentType === 'text/event-stream');

/** `created` is the decoder's clock, not the upstream's: left out when comparing runs. */
const withoutClock = (events: StreamEvent[]) => events.map((event) => (event.type === 'start' ? { ...event, created: 0 } : event));

function decodeMessages(messages: Array<{ event?: string; data: string }>): StreamEvent[] {
  const decoder = anthropicOutbound.createStreamDecoder();
  return [...messages.flatMap((message) => decoder.push(message)), ...decoder.end()];
}

/** The stream rules of docs/codecs.md, checked on one decoded stream. */
function expectWellFormed(events: StreamEvent[]): void {
  expect(events[0]?.type).toBe('start');
  const open = new Set<number>();
  let lastBlock = -1;
  let finishes = 0;
  for (const event of events) {
    if (event.type === 'block_start') {
      expect(event.block).toBeGreaterThan(lastBlock);
      lastBlock = event.block;
      open.add(event.block);
    }
    if (event.type === 'text' || event.type === 'reasoning' || event.type === 'tool_arguments') expect(open.has(event.block)).toBe(true);
    if (event.type === 'block_end') expect(open.delete(event.block)).toBe(true);
    if (event.type === 'finish') {
      expect(open.size).toBe(0);
      finishes += 1;
    }
  }
  expect(open.size).toBe(0);
  expect(finishes).toBe(1);
}

describe('Anthropic stream decoder on every recorded stream', () => {
  it('covers the recorded streams', () => {
    expect(streams.map((fixture) => fixture.name)).toHaveLength(9);
  });

  for (const fixture of streams) {
    it(`${fixture.name}: reassembles what an Anthropic client would`, async () => {
      const events = await decodeStream([fixture.body]);
      expectWellFormed(events);
      expect(summarizeEvents(events)).toEqual(summarizeWire(sseEvents(fixture.body)));
    });
  }
});

describe('Anthropic stream decoder, fixture by fixture', () => {
  const decode = async (name: string) => {
    const events = await decodeStream([loadFixture(`anthropic/${name}`).body]);
    return { events, summary: summarizeEvents(events) };
  };

  it('plain text with padded data lines and {"type": "ping"}', async () => {
    const { events, summary } = await decode('claude-3-opus-text.sse');
    expect(events[0]).toMatchObject({ type: 'start', id: 'msg_01Ju7oPaDmjgrhWq8gNP4AUj', model: 'claude-3-opus-20240229' });
    expect(summary).toEqual({
      blocks: [{ type: 'text', text: '1\n2\n3\n4\n5' }],
      finish: 'stop',
      usage: { input: 15, output: 13, cached: 0, cacheWrite: 0, reasoning: 0 },
    });
  });

  it('thinking with its signature, byte-exact, then text', async () => {
    const { events, summary } = await decode('haiku-4.5-thinking-signature-text.sse');
    const [thinking, text] = summary.blocks;
    expect(thinking).toMatchObject({ type: 'thinking', thinking: expect.stringMatching(/^The user wants two names/) });
    expect(thinking?.type === 'thinking' && thinking.signature).toMatch(/^EuYDCmMIDBgCKkC05Zda4P\+Cdk.*ZiGAE=$/);
    expect(events.find((event) => event.type === 'signature')).toMatchObject({ block: 0, signature: { protocol: 'anthropic' } });
    expect(text).toEqual({ type: 'text', text: '1. **Pouch** - references their iconic bill pouch\n2. **Pelé** - playful take on "pelican"' });
    expect(summary.finish).toBe('stop');
  });

  it('thinking then a tool call with empty input: arguments "{}", finish tool_calls, thinking tokens', async () => {
    const { events, summary } = await decode('haiku-4.5-thinking-then-tool-use.sse');
    expect(summary.blocks.map((block) => block.type)).toEqual(['thinking', 'tool_use']);
    expect(summary.blocks[1]).toEqual({ type: 'tool_use', id: 'toolu_01825dXWLSoJwCst1qTsiWdb', name: 'fixed_version', input: {} });
    expect(events.filter((event) => event.type === 'tool_arguments').map((event) => event.type === 'tool_arguments' && event.delta)).toEqual(['{}']);
    expect(summary.finish).toBe('tool_calls');
    expect(summary.usage).toEqual({ input: 598, output: 92, cached: 0, cacheWrite: 0, reasoning: 53 });
  });

  it('parallel tool calls with empty inputs', async () => {
    const { summary } = await decode('haiku-4.5-parallel-tool-use-empty-input.sse');
    expect(summary.blocks).toEqual([
      { type: 'tool_use', id: 'toolu_01LtHJmixrs9NcWQkK8hu8hj', name: 'pelican_name_generator', input: {} },
      { type: 'tool_use', id: 'toolu_01N8a4jWyf116qKTMqKKmjyt', name: 'pelican_name_generator', input: {} },
    ]);
    expect(summary.finish).toBe('tool_calls');
  });

  it('stop sequence', async () => {
    const { summary } = await decode('haiku-4.5-stop-sequence.sse');
    expect(summary).toMatchObject({ finish: 'stop', stopSequence: '```' });
  });

  it('redacted thinking blocks keep their data', async () => {
    const { summary } = await decode('sonnet-4.5-redacted-thinking.sse');
    expect(summary.blocks.map((block) => block.type)).toEqual(['redacted_thinking', 'redacted_thinking', 'text']);
    expect(summary.blocks[0]).toMatchObject({ data: expect.stringMatching(/^EqkECkYIBxgCKkA8.*hgB$/) });
  });

  it('cache reads count as input; max_tokens → length', async () => {
    const { summary } = await decode('sonnet-4.6-cache-read-max-tokens.chunks.ndjson');
    expect(summary).toEqual({
      blocks: [{ type: 'text', text: 'OK' }],
      finish: 'length',
      usage: { input: 18642, output: 1, cached: 18639, cacheWrite: 0, reasoning: 0 },
    });
  });

  it('web search: server tool blocks skipped, the cited text kept, final usage wins', async () => {
    const { events, summary } = await decode('web-search-server-tool-citations.sse');
    expect(events.some((event) => event.type === 'block_start' && event.kind === 'tool_call')).toBe(false);
    expect(summary.blocks).toHaveLength(10);
    expect(summary.blocks.every((block) => block.type === 'text')).toBe(true);
    expect(summary.finish).toBe('stop');
    expect(summary.usage).toMatchObject({ input: 10423, output: 341 });
    // Block numbers stay dense although Anthropic's indexes 0 and 1 were skipped.
    expect(events.filter((event) => event.type === 'block_start').map((event) => event.type === 'block_start' && event.block)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });
});

describe('Anthropic stream decoder on broken and failing streams', () => {
  const start = {
    event: 'message_start',
    data: JSON.stringify({
      type: 'message_start',
      message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 5, output_tokens: 1 } },
    }),
  };
  const textStart = { event: 'content_block_start', data: '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}' };
  const textDelta = { event: 'content_block_delta', data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}' };

  it('an `event: error` becomes an error event and nothing follows', () => {
    const error = { event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' };
    const decoder = anthropicOutbound.createStreamDecoder();
    const events = [start, textStart, textDelta, error].flatMap((message) => decoder.push(message));
    const last = events.at(-1);
    expect(last?.type).toBe('error');
    if (last?.type !== 'error') return;
    expect(last.error).toMatchObject({ kind: 'unavailable', status: 529, message: 'Overloaded', code: 'overloaded_error' });
    expect(decoder.push(textDelta)).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('an error payload without the event name, and an api_error', () => {
    const events = decodeMessages([start, { data: '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}' }]);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { kind: 'upstream', status: 500, message: 'Internal server error' } });
  });

  it('data that is not JSON fails the stream', () => {
    const events = decodeMessages([start, { event: 'content_block_delta', data: '{"type":"content_blo' }]);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { kind: 'upstream', status: 502 } });
  });

  it('a stream cut off mid-block is closed and finished at the end', () => {
    const events = decodeMessages([start, textStart, textDelta]);
    expect(events.slice(-2)).toEqual([
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
  });

  it('a cut-off tool call gets its arguments and finishes with tool_calls', () => {
    const toolStart = {
      event: 'content_block_start',
      data: '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}',
    };
    const events = decodeMessages([start, toolStart]);
    expect(events.slice(-3)).toEqual([
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{}' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ]);
  });

  it('an empty body is an error, not an empty answer', () => {
    expect(decodeMessages([])).toMatchObject([{ type: 'error', error: { kind: 'upstream' } }]);
  });

  it('a tool_use whose full input comes with its start (no deltas) keeps that input', () => {
    const toolStart = {
      event: 'content_block_start',
      data: '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}}',
    };
    const stop = { event: 'content_block_stop', data: '{"type":"content_block_stop","index":0}' };
    const events = decodeMessages([start, toolStart, stop]);
    expect(events).toContainEqual({ type: 'tool_arguments', choice: 0, block: 0, delta: '{"a":1}' });
  });
});

describe('Anthropic stream decoder: chunk boundaries do not matter', () => {
  for (const fixture of streams) {
    it(`${fixture.name}: any split gives the same events`, async () => {
      const baseline = withoutClock(await decodeStream([fixture.body]));
      const bytes = new Uint8Array(fixture.body);
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), async (cuts) => {
          const bounds = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          const chunks = bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
          expect(withoutClock(await decodeStream(chunks))).toEqual(baseline);
        }),
        { numRuns: 40 },
      );
    });
  }
});
