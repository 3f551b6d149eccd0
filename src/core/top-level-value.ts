import { Buffer } from 'node:buffer';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './char-codes.ts';
import { isJsonSpace } from './json.ts';

/**
 * One member of a JSON object read from its bytes without parsing the rest: a passthrough
 * answer is sent on as it came, and only its usage is wanted. Parsing a whole answer for
 * it cost about 7% of a non-streaming request under load, growing with the answer.
 *
 * The last `"key"` in the bytes is taken when it can be shown to be a member of the root
 * object: the quote before it opens a string (the byte before it, past whitespace, is `{`
 * or `,`: a quote inside a string is escaped, so cannot follow either raw), a colon follows,
 * and the object holding it closes at the document's end, which only the root object does.
 * The value is parsed alone. Anything else (the key not found, or not provably a root
 * member) is undefined: the caller then parses the whole. The bytes are taken to be JSON;
 * of bytes that are not, a value may be read that a whole parse would refuse.
 */
export function topLevelValue(bytes: Uint8Array, key: string): unknown {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buffer.lastIndexOf(quotedKey(key));
  if (at < 0) return undefined;
  const before = skipBlanksBackward(bytes, at - 1);
  if (before < 0 || (bytes[before] !== OPEN_BRACE && bytes[before] !== COMMA)) return undefined;
  const colon = skipBlanks(bytes, at + key.length + 2);
  if (bytes[colon] !== COLON) return undefined;
  const start = skipBlanks(bytes, colon + 1);
  const end = valueEnd(bytes, start);
  if (end < 0 || !closesDocument(bytes, end)) return undefined;
  try {
    return JSON.parse(buffer.toString('utf8', start, end));
  } catch {
    return undefined;
  }
}

/** `"key"` as bytes, built once per key: this runs once per answer, with one of a few keys. */
const quotedKeys = new Map<string, Buffer>();

function quotedKey(key: string): Buffer {
  let quoted = quotedKeys.get(key);
  if (!quoted) quotedKeys.set(key, (quoted = Buffer.from(`"${key}"`)));
  return quoted;
}

function skipBlanks(bytes: Uint8Array, at: number): number {
  while (isJsonSpace(bytes[at])) at++;
  return at;
}

function skipBlanksBackward(bytes: Uint8Array, at: number): number {
  while (at >= 0 && isJsonSpace(bytes[at])) at--;
  return at;
}

/** Just past the string that opens at `at` (its closing quote), or -1 when it does not close. */
function stringEnd(bytes: Uint8Array, at: number): number {
  for (let i = at + 1; i < bytes.length; i++) {
    if (bytes[i] === BACKSLASH) i++;
    else if (bytes[i] === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * Just past the bracket that brings `depth` (the brackets open at `at`) to zero, strings
 * skipped, or -1 when none does.
 */
function closingEnd(bytes: Uint8Array, at: number, depth: number): number {
  for (let i = at; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      i = stringEnd(bytes, i) - 1;
      if (i < 0) return -1;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return -1;
}

/** Just past the value that starts at `at`, or -1 when it does not end. */
function valueEnd(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === QUOTE) return stringEnd(bytes, at);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return closingEnd(bytes, at, 0);
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  while (i < bytes.length && bytes[i] !== COMMA && bytes[i] !== CLOSE_BRACE && bytes[i] !== CLOSE_BRACKET && !isJsonSpace(bytes[i])) i++;
  return i > at ? i : -1;
}

/**
 * Whether the object holding a member whose value ends at `at` closes at the end of the
 * document (whitespace aside): the members after it are skipped, brackets counted.
 */
function closesDocument(bytes: Uint8Array, at: number): boolean {
  const end = closingEnd(bytes, at, 1);
  return end > 0 && bytes[end - 1] === CLOSE_BRACE && skipBlanks(bytes, end) === bytes.length;
}
