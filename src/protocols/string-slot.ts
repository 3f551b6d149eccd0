import { hasNothingToEscape, MARKER, MARKER_JSON } from './json-template.ts';

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

  /** Learn the slot of a message just parsed in full that carried only text (see `findStringSlot`). */
  learn(data: string, key: string, holds: (parsed: unknown, marker: string) => boolean, where: T, end?: number): void {
    if (this.fruitless >= MAX_FRUITLESS_SLOTS) return;
    this.fruitless++;
    const slot = findStringSlot(data, key, holds, end);
    this.current = slot && { slot, where };
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The slot of the string value of `"key":` in `data` (up to `end`, by default up to
 * trailing whitespace; what follows is not compared), confirmed by `holds`: the message
 * with a marker in the slot, parsed, must have the marker where `holds` looks. That check
 * makes the slot exactly that value, even when the key's name shows up inside some other
 * string too.
 */
export function findStringSlot(
  data: string,
  key: string,
  holds: (parsed: unknown, marker: string) => boolean,
  end = endOfContent(data),
): StringSlot | undefined {
  const name = `"${key}":`;
  for (let at = data.indexOf(name); at >= 0 && at < end; at = data.indexOf(name, at + 1)) {
    let start = at + name.length;
    while (isJsonSpace(data.charCodeAt(start))) start++;
    if (data.charCodeAt(start) !== QUOTE) continue;
    const close = closingQuote(data, start + 1);
    if (close < 0 || close >= end) continue;
    const before = data.slice(0, start);
    const after = data.slice(close + 1, end);
    if (parsesWithMarker(before + MARKER_JSON + data.slice(close + 1), holds)) return slotBetween(before, after);
  }
  return undefined;
}

function slotBetween(before: string, after: string): StringSlot {
  return {
    before,
    after,
    read(data, end = endOfContent(data)) {
      const valueEnd = end - after.length;
      if (valueEnd - before.length < 2 || data.charCodeAt(before.length) !== QUOTE) return undefined;
      if (!data.startsWith(before) || !data.endsWith(after, end)) return undefined;
      // Same bytes around it, so the middle is the value if it is one JSON string on its own:
      // mostly plain characters between quotes, read as they are; anything else is parsed.
      const from = before.length + 1;
      const to = valueEnd - 1;
      if (data.charCodeAt(to) === QUOTE && hasNothingToEscape(data, from, to)) return data.slice(from, to);
      try {
        const value: unknown = JSON.parse(data.slice(before.length, valueEnd));
        return typeof value === 'string' ? value : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

function parsesWithMarker(json: string, holds: (parsed: unknown, marker: string) => boolean): boolean {
  try {
    return holds(JSON.parse(json), MARKER);
  } catch {
    return false;
  }
}

/** The index of the quote ending a JSON string whose characters start at `from`, or -1. */
function closingQuote(data: string, from: number): number {
  for (let at = from; at < data.length; at++) {
    const code = data.charCodeAt(at);
    if (code === BACKSLASH) at++;
    else if (code === QUOTE) return at;
  }
  return -1;
}

/** The end of `data` without trailing whitespace (Anthropic pads some events with spaces). */
function endOfContent(data: string): number {
  let end = data.length;
  while (end > 0 && isJsonSpace(data.charCodeAt(end - 1))) end--;
  return end;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
export function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}
