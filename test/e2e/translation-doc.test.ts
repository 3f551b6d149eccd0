// docs/translation.md is generated from docs/translation-matrix.json (which the matrix test
// writes with UPDATE_MATRIX=1): this fails when someone edits one without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MATRIX_JSON, TRANSLATION_MD, renderTranslationDoc } from '../../scripts/translation-doc.ts';
import type { Matrix } from './matrix/results.ts';

describe('docs/translation.md', () => {
  it('is what scripts/translation-doc.ts renders from docs/translation-matrix.json', () => {
    const matrix = JSON.parse(readFileSync(MATRIX_JSON, 'utf8')) as Matrix;
    const current = readFileSync(TRANSLATION_MD, 'utf8');
    expect(current === renderTranslationDoc(matrix), 'docs/translation.md is out of date: run npx tsx scripts/translation-doc.ts').toBe(true);
  });

  it('covers every client and upstream protocol and every feature in the JSON', () => {
    const matrix = JSON.parse(readFileSync(MATRIX_JSON, 'utf8')) as Matrix;
    for (const inbound of matrix.inbound) {
      for (const upstream of matrix.upstream) {
        for (const feature of matrix.features) expect(matrix.cells[inbound.name]?.[upstream.name]?.[feature.name], `${inbound.name} ← ${upstream.name}: ${feature.name}`).toBeDefined();
      }
    }
  });
});
