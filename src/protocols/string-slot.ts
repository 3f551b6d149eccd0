import { BACKSLASH, COLON, QUOTE } from '../core/char-codes.ts';
import { isJsonSpace } from '../core/json.ts';
import { hasNothingToEscape } from './json-template.ts';

/**
 * A stream message with one string value cut out of it. Upstreams wrap every token in the
 * same envelope (`{"id":…,"choices":[{"index":0,"delta":{"content":"…"}}]}`), so a later
 * message that has the same bytes before and after that value differs only in the value:
 * reading it parses a few characters instead of the whole message. The reading side of
 * what `jsonTemplate` does for writing.
 */
export interface StringSlot {
  /** The reference message before the value's opening quote, and after its closing quote (up to `end`). */
  readonly before: string;
  readonly after: string;
  /**
   * The string in the slot when `data` up to `end` (by default: up to trailing whitespace)
   * is the reference message with another string there; undefined for any other message,
   * which the caller then parses in full.
   */
  read(data: string, end?: number): string | undefined;
}

/**
 * Slots learnt in a row without one match before a stream is left to full parsing (its
 * messages all differ, e.g. with logprobs).
 */
const MAX_FRUITLESS_SLOTS = 3;

/**
 * The slot of the latest message that carried only a token's text, learnt again as the
 * envelope changes (a new block, a new choice), with what the caller needs to know about
 * where it was (`T`: the choice, the block index…).
 */
export class TextSlotReader<T> {
  private current: { slot: StringSlot; where: T } | undefined;
  private fruitless = 0;

  /** The text when `data` fits the current slot (see `StringSlot.read`). */
  read(data: string, end?: number): string | undefined {
    const text = this.current?.slot.read(data, end);
    if (text !== undefined) this.fruitless = 0;
    return text;
  }

  /** Where the current slot was learnt; valid after `read` returned a string. */
  get where(): T {
    return this.current!.where;
  }

  /**
   * The current slot, for reading elsewhere (the gateway's byte lane): it counts as read,
   * as a match does here. The lane stops asking on a stream whose messages do not fit.
   */
  lend(): { slot: StringSlot; where: T } | undefined {
    if (this.current) this.fruitless = 0;
    return this.current;
  }

  /**
   * Learn the slot of a message just parsed in full that carried only text: `value` is
   * the text the parse found under `key` (see `findStringSlot`).
   */
  learn(data: string, key: string, value: string, where: T, end?: number): void {
    if (this.fruitless >= MAX_FRUITLESS_SLOTS) return;
    this.fruitless++;
    const slot = findStringSlot(data, key, value, end);
    this.current = slot && { slot, where };
  }
}

/**
 * The slot of the string value of `"key":` in `data`, a JSON text the caller has parsed and
 * found `value` in under that key (compared up to `end`, by default up to trailing
 * whitespace). One scan over the text's strings, skipping their contents, finds its keys:
 * when exactly one is `key`, written without escapes (so no other could decode to it), it
 * is the one the parse read, and its string must read back as `value`. Anything less
 * certain (the key twice, an escaped key, another value) gives no slot.
 */
export function findStringSlot(data: string, key: string, value: string, end = endOfContent(data)): StringSlot | undefined {
  let start = -1;
  /** The first backslash at or after the string being looked at, -1 when there is none. */
  let slash = data.indexOf('\\');
  for (let open = data.indexOf('"'); open >= 0; ) {
    const close = closingQuote(data, open + 1);
    if (close < 0) return undefined;
    let next = close + 1;
    while (isJsonSpace(data.charCodeAt(next))) next++;
    if (data.charCodeAt(next) === COLON) {
      if (slash >= 0 && slash < open) slash = data.indexOf('\\', open);
      if (slash >= 0 && slash < close) return undefined;
      if (close - open - 1 === key.length && data.startsWith(key, open + 1)) {
        if (start >= 0) return undefined;
        start = next + 1;
        while (isJsonSpace(data.charCodeAt(start))) start++;
      }
    }
    open = data.indexOf('"', next);
  }
  if (start < 0 || data.charCodeAt(start) !== QUOTE) return undefined;
  const close = closingQuote(data, start + 1);
  if (close < 0 || close >= end || readString(data, start, close + 1) !== value) return undefined;
  return slotBetween(data.slice(0, start), data.slice(close + 1, end));
}

function slotBetween(before: string, after: string): StringSlot {
  return {
    before,
    after,
    read(data, end = endOfContent(data)) {
      const valueEnd = end - after.length;
      if (valueEnd - before.length < 2 || data.charCodeAt(before.length) !== QUOTE) return undefined;
      if (!data.startsWith(before) || !data.endsWith(after, end)) return undefined;
      // Same bytes around it, so the middle is the value if it is one JSON string on its own.
      return readString(data, before.length, valueEnd);
    },
  };
}

/**
 * The string whose JSON is `data[from, to)`, or undefined when that is not one JSON string:
 * mostly plain characters between quotes, read as they are; anything else is parsed.
 */
function readString(data: string, from: number, to: number): string | undefined {
  if (data.charCodeAt(to - 1) === QUOTE && hasNothingToEscape(data, from + 1, to - 1)) return data.slice(from + 1, to - 1);
  try {
    const value: unknown = JSON.parse(data.slice(from, to));
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The index of the quote ending a JSON string whose characters start at `from` (after its opening quote), or -1. */
function closingQuote(data: string, from: number): number {
  for (let at = data.indexOf('"', from); at >= 0; at = data.indexOf('"', at + 1)) {
    // Escaped when an odd number of backslashes stands before it (the opening quote stops the count).
    let slashes = 0;
    while (data.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
  }
  return -1;
}

/** The end of `data` without trailing whitespace (Anthropic pads some events with spaces). */
function endOfContent(data: string): number {
  let end = data.length;
  while (end > 0 && isJsonSpace(data.charCodeAt(end - 1))) end--;
  return end;
}
