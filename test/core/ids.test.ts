import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';

describe('newId', () => {
  it('gives the prefix and 16 base64url characters for the default 12 bytes', () => {
    expect(newId('chatcmpl-')).toMatch(/^chatcmpl-[A-Za-z0-9_-]{16}$/);
  });

  it('never repeats, across several refills of the random pool', () => {
    // 4096-byte pools of 12-byte ids: 2,000 ids span six pools, and cross their ends.
    const ids = Array.from({ length: 2000 }, () => newId('call_'));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes an id longer than the pool', () => {
    expect(newId('x', 5000)).toMatch(/^x[A-Za-z0-9_-]{6667}$/);
  });
});
