import type { Context } from 'hono';
import { ProxyError } from '../../core/errors.ts';

export async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ProxyError('invalid_request', 'The request body is not valid JSON.', { code: 'invalid_json' });
  }
}
