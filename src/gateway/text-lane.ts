import { Buffer } from 'node:buffer';
import { BACKSLASH, CLOSE_BRACE, LF, QUOTE, SPACE, TAB } from '../core/char-codes.ts';
import { isJsonSpace } from '../core/json.ts';
import type { StreamDecoder, StreamEncoder, TextFrame, TextSlot } from '../protocols/codec.ts';
import { ByteOutput } from './byte-output.ts';

const utf8 = new TextEncoder();
const OBFUSCATION = utf8.encode(',"obfuscation":"');
/** memcmp without a copy, on any Uint8Array (Buffer's own is native). */
const compareBytes = Buffer.prototype.compare;

/** A slot and a frame, with the bytes of a token event around its text. */
interface SlotAndFrame {
  slot: TextSlot;
  frame: TextFrame;
  before: Uint8Array;
  /** The bytes after the text; with a `whitespace` trailer, without JSON whitespace (see `spacedPattern`). */
  after: Uint8Array;
  /** With a `whitespace` trailer: where JSON whitespace may stand before each byte of `after`. */
  spaces: Uint8Array | undefined;
}

/** Token events in a row the lane could not take, with a slot and a frame at hand, before it gives up on a stream. */
const MAX_MISSES = 8;

/**
 * The byte lane of a translated SSE stream. Most of a stream is token events that differ
 * only in their text, in the envelope the decoder learnt (`TextSlot`), and the encoder
 * writes each token in a frame of its own (`TextFrame`). Such an event is translated here
 * from its bytes to the client's: the text's JSON string content is copied between the
 * frame's halves as it is, with no text decoding, SSE parsing, JSON, canonical event or
 * text encoding. It applies only where that gives the same bytes as the full path: the
 * event is `event: …\ndata: …\n\n` exactly as the slot says (JSON whitespace aside, where
 * the slot allows it), and the text holds no escape, no control character and only
 * well-formed UTF-8. Anything else is left to the full path.
 */
export class TextLane {
  private misses = 0;
  /** The slot and frame in force; undefined until asked for again, null when there are none. */
  private current: SlotAndFrame | null | undefined;
  /** The last slot and frame in force, whose slot bytes serve again while the slot stays the same. */
  private last: SlotAndFrame | undefined;
  /** Where the text of the event `match` last took ends. */
  private textEnd = 0;

  private constructor(
    private readonly decoder: StreamDecoder & Required<Pick<StreamDecoder, 'textSlot'>>,
    private readonly encoder: StreamEncoder & Required<Pick<StreamEncoder, 'textFrame'>>,
  ) {}

  /** A lane between these two, when both take part. */
  static between(decoder: StreamDecoder, encoder: StreamEncoder): TextLane | undefined {
    if (!decoder.textSlot || !encoder.textFrame) return undefined;
    return new TextLane(decoder as TextLane['decoder'], encoder as TextLane['encoder']);
  }

  /** False once the stream's token events have not fitted several times in a row. */
  get open(): boolean {
    return this.misses < MAX_MISSES;
  }

  /** A message went the full way, through the decoder and the encoder: their slot and frame may have changed. */
  moved(): void {
    this.current = undefined;
  }

  /**
   * Translates the event starting at `at` (an event boundary) into `out` when it is a token
   * event the lane can take; returns the index after it, or -1 (nothing written).
   */
  take(bytes: Uint8Array, at: number, out: ByteOutput): number {
    const current = this.current === undefined ? this.ask() : this.current;
    if (!current) return -1;
    const end = this.match(bytes, at, current);
    if (end === CUT) return -1;
    if (end === MISS) {
      this.misses++;
      return -1;
    }
    this.misses = 0;
    out.framed(current.frame.before, bytes, at + current.before.length, this.textEnd, current.frame.after);
    return end;
  }

  /** The slot and frame in force, from the decoder and the encoder. */
  private ask(): SlotAndFrame | null {
    const slot = this.decoder.textSlot();
    const frame = slot && this.encoder.textFrame(slot.choice, slot.block);
    if (!slot || !frame) return (this.current = null);
    const last = this.last;
    const sameSlot = last !== undefined && sameEnvelope(last.slot, slot);
    const { before, after, spaces } = sameSlot ? last : slotBytes(slot);
    this.last = { slot, frame, before, after, spaces };
    return (this.current = this.last);
  }

  /** The end of the event at `at` (past its blank line) if it fits the slot; MISS, or CUT when the bytes end first. */
  private match(bytes: Uint8Array, at: number, { before, after, spaces, slot }: SlotAndFrame): number {
    const length = bytes.length;
    let i = at + before.length;
    if (i > length) return CUT;
    if (!sameBytes(bytes, at, before)) return MISS;
    const textStart = i;
    for (;;) {
      if (i >= length) return CUT;
      const code = bytes[i]!;
      if (code === QUOTE) break;
      if (code === BACKSLASH || code < SPACE) return MISS;
      if (code < 0x80) i++;
      else {
        const size = utf8SequenceLength(bytes, i);
        if (size <= 0) return size === 0 ? MISS : CUT;
        i += size;
      }
    }
    // An empty text decodes to no event at all: the full path knows that.
    if (i === textStart) return MISS;
    const textEnd = i;
    if (spaces) i = spacedEnd(bytes, i, after, spaces);
    else {
      i += after.length;
      if (i > length) return CUT;
      if (!sameBytes(bytes, textEnd, after)) return MISS;
      i = trailerEnd(bytes, i, slot.trailer);
    }
    if (i < 0) return i;
    if (i + 2 > length) return CUT;
    if (bytes[i] !== LF || bytes[i + 1] !== LF) return MISS;
    this.textEnd = textEnd;
    return i + 2;
  }
}

const MISS = -1;
const CUT = -2;

/** Below this length a loop compares faster than the native call. */
const SHORT_COMPARE = 32;

/** Whether `bytes` holds `expected` at `at` (which the caller has checked fits). */
function sameBytes(bytes: Uint8Array, at: number, expected: Uint8Array): boolean {
  const length = expected.length;
  if (length > SHORT_COMPARE) return compareBytes.call(expected, bytes, at, at + length) === 0;
  for (let k = 0; k < length; k++) if (bytes[at + k] !== expected[k]) return false;
  return true;
}

function sameEnvelope(one: TextSlot, other: TextSlot): boolean {
  return one.before === other.before && one.after === other.after && one.event === other.event && one.trailer === other.trailer;
}

/** A token event's bytes around its text, as the slot describes it. */
function slotBytes(slot: TextSlot): Pick<SlotAndFrame, 'before' | 'after' | 'spaces'> {
  const event = slot.event === undefined ? '' : `event: ${slot.event}\n`;
  const before = utf8.encode(`${event}data: ${slot.before}"`);
  if (slot.trailer === 'whitespace') return { before, ...spacedPattern(`"${slot.after}`) };
  return { before, after: utf8.encode(`"${slot.after}`), spaces: undefined };
}

/** Where the data line ends after the slot's trailer (`none` or `obfuscation`), from `at`; MISS or CUT. */
function trailerEnd(bytes: Uint8Array, at: number, trailer: TextSlot['trailer']): number {
  if (trailer !== 'obfuscation') return at;
  const length = bytes.length;
  let i = at;
  if (i + OBFUSCATION.length > length) return CUT;
  if (!sameBytes(bytes, i, OBFUSCATION)) return MISS;
  for (i += OBFUSCATION.length; i < length; i++) {
    const code = bytes[i]!;
    if (code === QUOTE) break;
    if (code === BACKSLASH || code < SPACE) return MISS;
  }
  if (i + 2 > length) return CUT;
  return bytes[i + 1] === CLOSE_BRACE ? i + 2 : MISS;
}

/**
 * `after` (starting with the text's closing quote) without its JSON whitespace, and for each
 * byte left whether whitespace may stand before it: between JSON tokens, not inside a string.
 */
function spacedPattern(after: string): { after: Uint8Array; spaces: Uint8Array } {
  const bytes = utf8.encode(after);
  const kept: number[] = [];
  const spaces: number[] = [];
  // It starts inside the text's string: its first byte is the closing quote.
  let inString = true;
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes[i]!;
    if (!inString && isJsonSpace(code)) continue;
    kept.push(code);
    spaces.push(inString ? 0 : 1);
    if (inString && code === BACKSLASH) {
      kept.push(bytes[++i]!);
      spaces.push(0);
    } else if (code === QUOTE) inString = !inString;
  }
  return { after: Uint8Array.from(kept), spaces: Uint8Array.from(spaces) };
}

/**
 * Where the data line ends if `bytes` from `at` hold `after` with JSON whitespace of any
 * width where `spaces` allows it, and after its end; MISS or CUT.
 */
function spacedEnd(bytes: Uint8Array, at: number, after: Uint8Array, spaces: Uint8Array): number {
  const length = bytes.length;
  let i = at;
  for (let k = 0; k < after.length; k++, i++) {
    if (spaces[k]) while (i < length && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
    if (i >= length) return CUT;
    if (bytes[i] !== after[k]) return MISS;
  }
  while (i < length && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
  return i < length ? i : CUT;
}

/**
 * The length of the well-formed UTF-8 sequence at `at` (its lead byte is not ASCII): 0 when
 * it is malformed (the full path would decode it as U+FFFD), -1 when the bytes end within it.
 */
function utf8SequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  let size: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) size = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    size = 3;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f; // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    size = 4;
    if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (at + size > bytes.length) return -1;
  const second = bytes[at + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < size; k++) {
    const next = bytes[at + k]!;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return size;
}
