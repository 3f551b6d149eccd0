import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readTextIfExists, writeFileAtomic } from './files.ts';

/** What is stored on disk: only a hash, so a leaked file does not leak the key. */
interface StoredManagementKey {
  sha256: string;
  created: string;
}

export function generateManagementKey(): string {
  return `mux-mgmt-${randomBytes(32).toString('base64url')}`;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export async function storeManagementKeyHash(file: string, key: string): Promise<void> {
  const stored: StoredManagementKey = { sha256: sha256(key).toString('hex'), created: new Date().toISOString() };
  await writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`);
}

/** The stored hash, or undefined when `llm-mux init` has not generated a key yet. */
export async function readManagementKeyHash(file: string): Promise<Buffer | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const stored = JSON.parse(text) as Partial<StoredManagementKey>;
  if (typeof stored.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(stored.sha256)) return undefined;
  return Buffer.from(stored.sha256, 'hex');
}

/**
 * Constant-time check of a presented secret against stored SHA-256 hashes. Hashing first
 * makes every comparison the same length; every hash is compared so timing does not
 * reveal which one matched.
 */
export function matchesAnyHash(presented: string, hashes: readonly Buffer[]): boolean {
  const digest = sha256(presented);
  let matched = false;
  for (const hash of hashes) matched = timingSafeEqual(digest, hash) || matched;
  return matched;
}
