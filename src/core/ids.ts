import { randomBytes } from 'node:crypto';

/** Random bytes drawn at once: an id per stream and per item, and one system call per pool. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/**
 * A fresh id in a provider's style, e.g. `newId('call_')`, `newId('msg_')`, `newId('chatcmpl-')`.
 * Ids only need to be unique, not secret: they are cut from a pool of random bytes (as
 * Node does for randomUUID) rather than a `randomBytes` call each.
 */
export function newId(prefix: string, bytes = 12): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    used = 0;
  }
  const id = pool.toString('base64url', used, used + bytes);
  used += bytes;
  return prefix + id;
}
