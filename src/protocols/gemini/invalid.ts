import { ProxyError } from '../../core/errors.ts';

/** A 400 for a client body that does not follow the Gemini format, naming the field. */
export function invalid(message: string, param?: string): ProxyError {
  return new ProxyError('invalid_request', message, { param, code: 'INVALID_ARGUMENT' });
}
