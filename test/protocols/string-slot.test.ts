// Stream decoders read most token messages through a string slot instead of parsing them in
// full: the slot must give exactly what a full parse gives, and nothing for anything else.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../src/core/response.ts';
import type { StreamDecoder, UpstreamMessage } from '../../src/protocols/codec.ts';
import { anthropicOutbound } from '../../src/protocols/anthropic/index.ts';
import { chatOutbound } from '../../src/protocols/openai-chat/index.ts';
import { findStringSlot } from '../../src/protocols/string-slot.ts';
import { listFixtures, sseEvents } from '../support/fixtures.ts';

const chunk = (model: string, text: string) =>
  JSON.stringify({ id: 'c1', model, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });

describe('findStringSlot', () => {
  it('reads the text of any message that differs from the reference only there', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (model, first, next) => {
        const slot = findStringSlot(chunk(model, first), 'content', first);
        expect(slot?.read(chunk(model, next))).toBe(next);
      }),
    );
  });

  it('takes only the value the parse found, whatever else the message holds', () => {
    // Other fields, some named `content` too, some holding the key's name in their strings.
    const key = fc.oneof(fc.constantFrom('content', 'a"content":"', 'cont\\u0065nt'), fc.string()).filter((name) => name !== 'delta');
    const fields = fc.dictionary(key, fc.jsonValue(), { maxKeys: 4 });
    const message = ([before, after]: Record<string, unknown>[], text: string) =>
      `{${[JSON.stringify(before).slice(1, -1), `"delta":${JSON.stringify({ content: text })}`, JSON.stringify(after).slice(1, -1)].filter(Boolean).join(',')}}`;
    fc.assert(
      fc.property(fc.tuple(fields, fields), fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (others, first, next) => {
        const reference = message(others, first);
        // The caller's side: the value a parse finds under the key (the last `delta` wins in JSON.parse).
        fc.pre((JSON.parse(reference) as { delta: { content: string } }).delta.content === first);
        const slot = findStringSlot(reference, 'content', first);
        if (slot) expect(slot.read(message(others, next))).toBe(next);
      }),
      { numRuns: 500 },
    );
    // The property holds whether or not a slot is found: that it is found in the plain case is checked above.
    expect(findStringSlot(message([{ content: 'x' }, {}], 'a'), 'content', 'a')).toBeUndefined();
  });

  it('reads nothing from a message whose envelope differs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (model, other, text) => {
        fc.pre(model !== other);
        expect(findStringSlot(chunk(model, 'a'), 'content', 'a')!.read(chunk(other, text))).toBeUndefined();
      }),
    );
  });

  it('finds the real value when the key also shows up inside another string', () => {
    const model = 'x","content":"y';
    const slot = findStringSlot(chunk(model, 'a'), 'content', 'a')!;
    expect(slot.read(chunk(model, 'b'))).toBe('b');
  });

  it('reads escapes the way JSON.parse does, whoever wrote them', () => {
    const slot = findStringSlot('{"delta":{"content": "a"}}', 'content', 'a')!;
    expect(slot.read('{"delta":{"content": "caf\\u00e9 \\/ \\"q\\""}}')).toBe('café / "q"');
    expect(findStringSlot('{"id":"\\"\\\\","content":"\\u0041"}', 'content', 'A')!.read('{"id":"\\"\\\\","content":"b"}')).toBe('b');
  });

  it('reads nothing when the middle is not one JSON string', () => {
    const slot = findStringSlot('{"a":"x","b":"y"}', 'a', 'x')!;
    expect(slot.read('{"a":"x","c":"z","b":"y"}')).toBeUndefined();
    expect(slot.read('{"a":"x\\q","b":"y"}')).toBeUndefined();
    expect(slot.read('{"a":"x')).toBeUndefined();
    expect(slot.read('{"a":"z","b":"y"}')).toBe('z');
  });

  it('finds no slot unless the key is there once, as written, with the value the parse found', () => {
    expect(findStringSlot('{"a":"x"}', 'a', 'y')).toBeUndefined();
    expect(findStringSlot('{"a":1}', 'a', '1')).toBeUndefined();
    expect(findStringSlot('{"b":"\\"a\\":\\"x\\""}', 'a', 'x')).toBeUndefined();
    expect(findStringSlot('{"a":"x","b":{"a":"x"}}', 'a', 'x')).toBeUndefined();
    // An escaped key may decode to `a`: which one the parse read is not certain.
    expect(findStringSlot('{"\\u0061":"y","a":"x"}', 'a', 'x')).toBeUndefined();
  });

  it('leaves trailing whitespace out of the comparison unless told where the message ends', () => {
    const slot = findStringSlot('{"a":"x"}  ', 'a', 'x')!;
    expect(slot.read('{"a":"y"}')).toBe('y');
    expect(slot.read('{"a":"y"}\n')).toBe('y');
    expect(slot.read('{"a":"y"}  ', 11)).toBeUndefined();
  });
});

/** The events of a recorded stream through a fresh decoder, each message's data changed by `vary`. */
function decodeAll(decoder: StreamDecoder, messages: UpstreamMessage[], vary: (data: string, at: number) => string = (data) => data): StreamEvent[] {
  const events = messages.flatMap((message, at) => decoder.push({ ...message, data: vary(message.data, at) }));
  return [...events, ...decoder.end()];
}

/** Leading whitespace that differs on every message: no slot ever fits, every message is parsed in full. */
const defeatSlots = (data: string, at: number) => (data === '[DONE]' ? data : ' '.repeat(at + 1) + data);

const protocols = [
  { name: 'OpenAI Chat', fixtures: listFixtures('openai-chat'), outbound: chatOutbound },
  { name: 'Anthropic', fixtures: listFixtures('anthropic'), outbound: anthropicOutbound },
];

describe.each(protocols)('$name stream decoder with text slots', ({ fixtures, outbound }) => {
  const streams = fixtures.filter((fixture) => fixture.contentType === 'text/event-stream');

  it.each(streams.map((fixture) => [fixture.name, fixture] as const))('%s: the same events as parsing every message in full', (_, fixture) => {
    const messages = sseEvents(fixture.body);
    expect(decodeAll(outbound.createStreamDecoder(), messages)).toEqual(decodeAll(outbound.createStreamDecoder(), messages, defeatSlots));
  });
});

describe('text slots on long text streams', () => {
  afterEach(() => vi.restoreAllMocks());

  /** How many whole messages (not a slot's few characters) the decoder parses. */
  function wholeParses(decoder: StreamDecoder, messages: UpstreamMessage[]): number {
    const parse = vi.spyOn(JSON, 'parse');
    decodeAll(decoder, messages);
    return parse.mock.calls.filter(([text]) => typeof text === 'string' && text.trimStart().startsWith('{')).length;
  }

  it('OpenAI Chat: parses the envelope twice, not 300 times, despite the obfuscation padding', () => {
    const [fixture] = listFixtures('openai-chat').filter((entry) => entry.name.includes('obfuscation'));
    const messages = sseEvents(fixture!.body);
    expect(messages.length).toBeGreaterThan(300);
    expect(wholeParses(chatOutbound.createStreamDecoder(), messages)).toBeLessThan(10);
  });

  it('Anthropic: parses each kind of event, not every text delta', () => {
    const messages = [
      { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 3 } } }) },
      { event: 'content_block_start', data: JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) },
      ...Array.from({ length: 200 }, (_, at) => ({
        event: 'content_block_delta',
        data: `${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `t${at}` } })}${' '.repeat(at % 3)}`,
      })),
      { event: 'content_block_stop', data: JSON.stringify({ type: 'content_block_stop', index: 0 }) },
    ];
    const events = decodeAll(anthropicOutbound.createStreamDecoder(), messages);
    expect(events.filter((event) => event.type === 'text').map((event) => (event as { text: string }).text).join('')).toBe(
      Array.from({ length: 200 }, (_, at) => `t${at}`).join(''),
    );
    expect(wholeParses(anthropicOutbound.createStreamDecoder(), messages)).toBeLessThan(10);
  });
});
