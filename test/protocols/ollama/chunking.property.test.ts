// Bytes arrive cut anywhere (inside a JSON line, inside a UTF-8 character): the NDJSON
// reader plus the decoder must emit the same events as for whole lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/core/response.ts';
import { readUpstreamMessages } from '../../../src/protocols/framing.ts';
import { ollamaOutbound } from '../../../src/protocols/ollama/index.ts';
import { ANSWER_FIXTURES, STREAM_FIXTURES, decodeStream, fixtureFile, withStableIds } from './support.ts';

/** Multi-byte characters in every field the decoder reads, and a mid-stream error. */
const UNICODE_BODY = Buffer.from(
  [
    '{"model":"qwen3","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"","thinking":"Réfléchir… 🤔"},"done":false}',
    '{"model":"qwen3","created_at":"2025-01-01T00:00:01Z","message":{"role":"assistant","content":"Llama 🦙 → ¡hola!"},"done":false}',
    '{"model":"qwen3","created_at":"2025-01-01T00:00:02Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"traduire","arguments":{"texte":"日本語"}}}]},"done":false}',
    '{"error":"le modèle a échoué"}',
    '',
  ].join('\n'),
);

const BODIES: Array<[string, Buffer]> = [
  ...[...STREAM_FIXTURES, ...ANSWER_FIXTURES].map((fixture) => [fixtureFile(fixture), fixture.body] as [string, Buffer]),
  ['unicode and error (hand-built)', UNICODE_BODY],
];

async function decodeInPieces(body: Buffer, cuts: number[]): Promise<StreamEvent[]> {
  const bounds = [0, ...new Set(cuts)].sort((a, b) => a - b);
  const pieces = bounds.map((start, index) => body.subarray(start, bounds[index + 1] ?? body.length));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(new Uint8Array(piece));
      controller.close();
    },
  });
  const decoder = ollamaOutbound.createStreamDecoder();
  const events: StreamEvent[] = [];
  for await (const message of readUpstreamMessages(stream, 'ndjson')) events.push(...decoder.push(message));
  return [...events, ...decoder.end()];
}

describe('Ollama stream decoder under random chunk boundaries', () => {
  it.each(BODIES)('%s', async (_name, body) => {
    const whole = withStableIds(decodeStream(body));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 40 }), async (cuts) => {
        expect(withStableIds(await decodeInPieces(body, cuts))).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });
});
