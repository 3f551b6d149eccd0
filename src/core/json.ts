import { CR, LF, SPACE, TAB } from './char-codes.ts';

/** JSON's whitespace: space, tab, line feed, carriage return (a byte or a UTF-16 code; undefined past the end is none). */
export function isJsonSpace(code: number | undefined): boolean {
  return code === SPACE || code === TAB || code === LF || code === CR;
}

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `value` when it is a JSON object, else an empty one: for optional sections of an answer. */
export function recordOrEmpty(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** The value of JSON text; undefined when it is not JSON. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The JSON object `text` holds; undefined when it is not JSON, or not an object. */
export function parseJsonRecord(text: string): Record<string, unknown> | undefined {
  const value = tryParseJson(text);
  return isRecord(value) ? value : undefined;
}

/** Parses JSON text that a model produced (tool arguments), falling back to `{}` when it is not an object. */
export function parseArgumentsObject(text: string): Record<string, unknown> {
  return text.trim() === '' ? {} : (parseJsonRecord(text) ?? {});
}
