// The network may cut a stream anywhere, even inside a multi-byte character or between the
// CR and LF of Google's `\r\n\r\n`: the decoded events must not depend on where.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listFixtures } from '../../support/fixtures.ts';
import { decodeSse, normalize } from './support.ts';

const streams = listFixtures('gemini').filter((fixture) => fixture.contentType === 'text/event-stream');

/** The body cut at the given byte offsets. */
function cut(body: Buffer, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets)].sort((a, b) => a - b);
  return [0, ...points].map((start, index) => body.subarray(start, points[index] ?? body.length));
}

describe('random chunk boundaries', () => {
  it.each(streams.map((fixture) => [fixture.name, fixture] as const))('%s decodes the same however it is cut', async (_name, fixture) => {
    const whole = normalize(await decodeSse([fixture.body]));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: fixture.body.length - 1 }), { maxLength: 60 }), async (offsets) => {
        expect(normalize(await decodeSse(cut(fixture.body, offsets)))).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('one byte at a time', async () => {
    for (const fixture of streams) {
      const bytes = [...fixture.body].map((byte) => Uint8Array.of(byte));
      expect(normalize(await decodeSse(bytes))).toEqual(normalize(await decodeSse([fixture.body])));
    }
  });
});
