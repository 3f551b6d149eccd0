// A passthrough answer's usage is read from its bytes without parsing the rest. Whatever
// it reads must be what JSON.parse reads as the root member; where it cannot be sure it
// reads nothing, and the caller parses the whole.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topLevelValue } from '../../src/core/top-level-value.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const read = (text: string, key = 'usage') => topLevelValue(bytes(text), key);
const USAGE = { prompt_tokens: 5, completion_tokens: 20, details: { cached: [1, 2], note: 'a "quoted" } ]' } };

describe('topLevelValue', () => {
  it('reads a root member wherever it sits, compact or pretty-printed', () => {
    const answer = { id: 'chatcmpl-1', choices: [{ message: { content: 'hi' } }], usage: USAGE };
    expect(read(JSON.stringify(answer))).toEqual(USAGE);
    expect(read(JSON.stringify(answer, null, 2))).toEqual(USAGE);
    expect(read(JSON.stringify({ usage: USAGE, model: 'm', tail: { x: [1, { y: '}' }] } }))).toEqual(USAGE);
    expect(read(JSON.stringify({ usageMetadata: 7, modelVersion: 'v' }), 'usageMetadata')).toBe(7);
    expect(read(JSON.stringify({ a: 1, usage: 'text' }))).toBe('text');
    expect(read(JSON.stringify({ a: 1, usage: null }))).toBeNull();
    // Quoted inside a string, "usage" is written \"usage\": not the key's bytes.
    expect(read(JSON.stringify({ usage: 1, text: 'say "usage": 2' }))).toBe(1);
    expect(read(`\n ${JSON.stringify({ usage: [1, 2] })} \n`)).toEqual([1, 2]);
  });

  it('reads nothing where the last "usage" is not provably a root member', () => {
    // Nested, after the root member or alone.
    expect(read(JSON.stringify({ usage: USAGE, choices: [{ usage: 1 }] }))).toBeUndefined();
    expect(read(JSON.stringify({ meta: { usage: USAGE } }))).toBeUndefined();
    expect(read(JSON.stringify([{ usage: USAGE }]))).toBeUndefined();
    // A value, not a key; inside a string; written with an escape.
    expect(read(JSON.stringify({ kind: 'usage' }))).toBeUndefined();
    expect(read(JSON.stringify({ usage: 1, text: 'say "usage' }))).toBeUndefined();
    expect(read(JSON.stringify({ usage: 1, 'say "usage': 2 }))).toBeUndefined();
    expect(read('{"\\u0075sage": 1}')).toBeUndefined();
    // Absent, or cut short.
    expect(read(JSON.stringify({ id: 'x' }))).toBeUndefined();
    expect(read('{"id":"x","usage":{"prompt_tokens":5')).toBeUndefined();
    expect(read('{"usage":{"prompt_tokens":5}')).toBeUndefined();
    // Closed by a bracket that is not the object's.
    expect(read('{"usage":1]')).toBeUndefined();
  });

  it('agrees with JSON.parse on any document holding "usage" members and strings anywhere', () => {
    const key = fc.constantFrom('usage', 'a', 'b', 'say "usage', 'say "usage": {', '}', ']');
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constantFrom('usage', '"usage":', '\\', '}]'));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), fc.array(tie('value'), { maxLength: 3 })),
      object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    }));
    const documents = fc.tuple(fc.dictionary(key, value, { maxKeys: 5 }), fc.option(value, { nil: undefined }), fc.constantFrom(0, 2));
    fc.assert(
      fc.property(documents, ([root, usage, indent]) => {
        const document = usage === undefined ? root : { ...root, usage };
        const text = JSON.stringify(document, null, indent);
        const found = read(text);
        const parsed = (JSON.parse(text) as { usage?: unknown }).usage;
        if (found !== undefined) expect(found).toEqual(parsed);
        // The usual layout, the member last and nothing named alike inside: always read.
        if (usage !== undefined && !JSON.stringify(usage).includes('"usage"') && !JSON.stringify(root).includes('usage')) {
          expect(found).toEqual(usage);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
