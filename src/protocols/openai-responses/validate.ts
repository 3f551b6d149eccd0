import { ProxyError } from '../../core/errors.ts';
import { isRecord } from '../../core/json.ts';

/** Checks on a client body: each failure is a 400 naming the offending parameter. */

export function invalid(message: string, param: string): ProxyError {
  return new ProxyError('invalid_request', message, { param });
}

export function record(value: unknown, param: string): Record<string, unknown> {
  if (isRecord(value)) return value;
  throw invalid(`'${param}' must be an object.`, param);
}

export function list(value: unknown, param: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw invalid(`'${param}' must be an array.`, param);
}

export function string(value: unknown, param: string): string {
  if (typeof value === 'string') return value;
  throw invalid(`'${param}' must be a string.`, param);
}

/** null counts as absent, as the OpenAI API treats it. */
export function optionalString(value: unknown, param: string): string | undefined {
  return value == null ? undefined : string(value, param);
}

export function optionalNumber(value: unknown, param: string): number | undefined {
  if (value == null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalid(`'${param}' must be a number.`, param);
}

export function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value == null) return undefined;
  if (typeof value === 'boolean') return value;
  throw invalid(`'${param}' must be a boolean.`, param);
}

/** The object without its undefined fields, so optional canonical fields are absent rather than undefined. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
