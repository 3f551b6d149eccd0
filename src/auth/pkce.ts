import { createHash, randomBytes } from 'node:crypto';

/** PKCE (RFC 7636): the verifier stays with us, the challenge goes in the authorize URL. */
export interface Pkce {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** 32 random bytes: a 43-character verifier, the minimum length RFC 7636 allows and plenty of entropy. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier), method: 'S256' };
}

/** BASE64URL(SHA256(ASCII(verifier))), unpadded. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** An unguessable `state`: ties the redirect we receive to the login we started. */
export function randomState(): string {
  return randomBytes(32).toString('base64url');
}
