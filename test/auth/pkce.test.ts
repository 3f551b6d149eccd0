import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPkce, pkceChallenge, randomState } from '../../src/auth/pkce.ts';

describe('PKCE', () => {
  it('matches the RFC 7636 appendix B example', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a 43-character unreserved verifier whose challenge is its unpadded base64url SHA-256', () => {
    const pkce = createPkce();
    expect(pkce.method).toBe('S256');
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9\-._~]{43}$/);
    expect(pkce.challenge).toBe(createHash('sha256').update(pkce.verifier).digest('base64url'));
    expect(pkce.challenge).not.toMatch(/[=+/]/);
  });

  it('never repeats a verifier or a state', () => {
    const values = Array.from({ length: 200 }, () => [createPkce().verifier, randomState()]).flat();
    expect(new Set(values).size).toBe(values.length);
    expect(randomState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
