import { randomBytes } from 'node:crypto';

/** A fresh id in a provider's style, e.g. `newId('call_')`, `newId('msg_')`, `newId('chatcmpl-')`. */
export function newId(prefix: string, bytes = 12): string {
  return prefix + randomBytes(bytes).toString('base64url');
}
