import type { TextFrame } from './codec.ts';

/** A string no JSON writer produces from ordinary values; it stands in for the variable field. */
export const MARKER = '\u0000llm-mux\u0000';
export const MARKER_JSON = JSON.stringify(MARKER);

const utf8 = new TextEncoder();

/** Writes one value's JSON; `parts` is the JSON around the value's string literal. */
export interface JsonTemplate {
  (value: string): string;
  /** Absent when the marker was not found exactly once: every value is then stringified in full. */
  readonly parts?: { readonly before: string; readonly after: string };
}

/**
 * `JSON.stringify(build(value))` for a stream of values that differ in one string field
 * (a text delta, once per chunk): the object is stringified once around a marker and each
 * value's own JSON is put in the marker's place, so only the string is stringified per
 * chunk. The result is the same text (with a `stringify` that indents, too: a string is
 * written the same at any depth). If the marker shows up more than once (a client put
 * it in the model name), every value is stringified in full instead.
 */
export function jsonTemplate(
  build: (value: string) => unknown,
  stringify: (json: unknown) => string = (json) => JSON.stringify(json),
): JsonTemplate {
  const template = stringify(build(MARKER));
  const at = template.indexOf(MARKER_JSON);
  if (at < 0 || template.indexOf(MARKER_JSON, at + 1) >= 0) return (value) => stringify(build(value));
  const before = template.slice(0, at);
  const after = template.slice(at + MARKER_JSON.length);
  return Object.assign((value: string) => before + stringLiteral(value) + after, { parts: { before, after } });
}

/**
 * How a template's value goes out when written as `prefix + template(value) + suffix`, for
 * the byte lane (see TextFrame); undefined when the template has no parts.
 */
export function templateFrame(template: JsonTemplate, prefix: string, suffix: string): TextFrame | undefined {
  const parts = template.parts;
  return parts && { before: utf8.encode(`${prefix}${parts.before}"`), after: utf8.encode(`"${parts.after}${suffix}`) };
}

/** Tokens are short: past this, `JSON.stringify` beats a character loop. */
const SHORT_TEXT = 64;

/** `JSON.stringify(text)`, without the native call for a short text with nothing to escape (most tokens). */
function stringLiteral(text: string): string {
  return text.length <= SHORT_TEXT && hasNothingToEscape(text, 0, text.length) ? `"${text}"` : JSON.stringify(text);
}

/**
 * True when `text[from, to)` holds no character JSON writes escaped (controls, quote,
 * backslash) and no surrogate (a lone one is escaped): its JSON string literal is the
 * characters between two quotes, and such a literal reads back as those characters.
 */
export function hasNothingToEscape(text: string, from: number, to: number): boolean {
  for (let at = from; at < to; at++) {
    const code = text.charCodeAt(at);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return false;
  }
  return true;
}
