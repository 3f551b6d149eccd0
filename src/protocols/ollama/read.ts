import { ProxyError } from '../../core/errors.ts';
import { isRecord } from '../../core/json.ts';

/**
 * Checked reads of a client body: a wrong type becomes a 400 naming the field, as Ollama
 * itself answers, instead of a TypeError deep in a codec.
 */

export type Json = Record<string, unknown>;

export function invalid(message: string): ProxyError {
  return new ProxyError('invalid_request', message);
}

export function readObject(value: unknown, path: string): Json {
  if (isRecord(value)) return value as Json;
  throw invalid(`${path} must be an object`);
}

export function readArray(value: unknown, path: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw invalid(`${path} must be an array`);
}

export function readString(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  throw invalid(`${path} must be a string`);
}

export function readNumber(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalid(`${path} must be a number`);
}

export function readBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  throw invalid(`${path} must be a boolean`);
}

/** `read` applied unless the field is absent (undefined or null, as Go's decoder treats null). */
export function optional<T>(value: unknown, path: string, read: (value: unknown, path: string) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value, path);
}
