// Bytes arrive cut anywhere (inside an SSE line, inside a UTF-8 character): llm-mux's SSE
// reader plus the decoder must emit the same events as for the body in one piece.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/core/response.ts';
import { readUpstreamMessages } from '../../../src/protocols/framing.ts';
import { chatOutbound } from '../../../src/protocols/openai-chat/index.ts';
import { STREAM_FIXTURES, checkEventOrder, decodeStream, fixtureFile, withStableIds } from './support.ts';

const head = '"object":"chat.completion.chunk","created":1700000000,"model":"m"';
const data = (choices: unknown[]) => `data: {"id":"chatcmpl-ü",${head},"choices":${JSON.stringify(choices)}}`;

/**
 * Multi-byte characters in every field the decoder reads, CRLF line ends, a comment, one
 * event's JSON spread over two data: lines, a call without an id, two choices, and an
 * `event: error` at the end.
 */
const UNICODE_ERROR_BODY = Buffer.from(
  [
    ': keep-alive',
    '',
    data([{ index: 0, delta: { role: 'assistant', reasoning_content: 'Réfléchir… 🤔' }, finish_reason: null }]),
    '',
    `data: {"id":"chatcmpl-ü",${head},`,
    `data: "choices":[{"index":0,"delta":{"content":"日本語 → ¡hola! 🦙"},"finish_reason":null}]}`,
    '',
    data([{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'traduire', arguments: '{"texte":"日本' } }] }, finish_reason: null }]),
    '',
    data([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '語"}' } }] }, finish_reason: null }]),
    '',
    data([{ index: 1, delta: { role: 'assistant', refusal: 'Désolé ✋' }, finish_reason: 'stop' }]),
    '',
    'event: error',
    'data: {"error":{"message":"le modèle a échoué ⚠","code":"overloaded","status_code":503}}',
    '',
    '',
  ].join('\r\n'),
);

/** Ends without [DONE] and without the blank line after its last event. */
const UNTERMINATED_BODY = Buffer.from(
  [
    data([{ index: 0, delta: { role: 'assistant', content: 'Grüße, 世界' }, finish_reason: null }]),
    '',
    data([{ index: 0, delta: {}, finish_reason: 'length' }]).replace('"choices"', '"usage":{"prompt_tokens":3,"completion_tokens":4},"choices"'),
  ].join('\n'),
);

const BODIES: Array<[string, Buffer]> = [
  ...STREAM_FIXTURES.map((fixture) => [fixtureFile(fixture), fixture.body] as [string, Buffer]),
  ['unicode, CRLF and event: error (hand-built)', UNICODE_ERROR_BODY],
  ['no [DONE], no final blank line (hand-built)', UNTERMINATED_BODY],
];

async function decodeInPieces(body: Buffer, cuts: number[]): Promise<StreamEvent[]> {
  const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), body.length];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i + 1 < bounds.length; i++) controller.enqueue(new Uint8Array(body.subarray(bounds[i], bounds[i + 1])));
      controller.close();
    },
  });
  const decoder = chatOutbound.createStreamDecoder();
  const events: StreamEvent[] = [];
  for await (const message of readUpstreamMessages(stream, 'sse')) events.push(...decoder.push(message));
  return [...events, ...decoder.end()];
}

/** Offsets that fall inside a multi-byte UTF-8 character (before a continuation byte). */
function insideCharacters(body: Buffer): number[] {
  const offsets: number[] = [];
  body.forEach((byte, offset) => {
    if ((byte & 0xc0) === 0x80) offsets.push(offset);
  });
  return offsets;
}

describe('Chat stream decoder under random chunk boundaries', () => {
  it('the hand-built bodies decode to what they were built for', async () => {
    const events = withStableIds(await decodeInPieces(UNICODE_ERROR_BODY, []));
    checkEventOrder(events);
    expect(events.filter((event) => event.type !== 'block_end' && event.type !== 'block_start')).toEqual([
      { type: 'start', id: 'id#0', model: 'm', created: 1_700_000_000 },
      { type: 'reasoning', choice: 0, block: 0, text: 'Réfléchir… 🤔' },
      { type: 'text', choice: 0, block: 1, text: '日本語 → ¡hola! 🦙' },
      { type: 'tool_arguments', choice: 0, block: 2, delta: '{"texte":"日本' },
      { type: 'tool_arguments', choice: 0, block: 2, delta: '語"}' },
      { type: 'refusal', choice: 1, text: 'Désolé ✋' },
      { type: 'finish', choice: 1, reason: 'stop' },
      { type: 'error', error: expect.objectContaining({ message: 'le modèle a échoué ⚠', status: 503, code: 'overloaded' }) },
    ]);
    expect(events.find((event) => event.type === 'block_start' && event.kind === 'tool_call')).toMatchObject({ id: 'id#1', name: 'traduire' });
    // One byte at a time as well.
    const everyByte = Array.from({ length: UNICODE_ERROR_BODY.length - 1 }, (_, index) => index + 1);
    expect(withStableIds(await decodeInPieces(UNICODE_ERROR_BODY, everyByte))).toEqual(events);
    const unterminated = await decodeInPieces(UNTERMINATED_BODY, []);
    checkEventOrder(unterminated);
    expect(unterminated.slice(-3)).toEqual([
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'length' },
      { type: 'usage', usage: { input: 3, output: 4, cached: 0, reasoning: 0 } },
    ]);
  });

  it.each(BODIES)('%s', async (_name, body) => {
    const whole = withStableIds(await decodeInPieces(body, []));
    // llm-mux's SSE reader agrees with the test's own splitter on the unsplit body.
    expect(whole).toEqual(withStableIds(decodeStream(body)));
    const inside = insideCharacters(body);
    const cut = inside.length > 0 ? fc.oneof(fc.integer({ min: 1, max: body.length - 1 }), fc.constantFrom(...inside)) : fc.integer({ min: 1, max: body.length - 1 });
    await fc.assert(
      fc.asyncProperty(fc.array(cut, { maxLength: 60 }), async (cuts) => {
        expect(withStableIds(await decodeInPieces(body, cuts))).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });
});
