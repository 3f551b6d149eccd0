import { Buffer } from 'node:buffer';

/**
 * Output is written into slabs of this size shared by every stream, each taking the
 * bytes after the last: a short stream's output costs no allocation of its own, and a
 * long one's no fresh large buffer (whose pages fault on first write). As with Node's
 * Buffer pool, a piece handed out keeps its slab alive until the client's socket has it.
 */
const SLAB = 64 * 1024;

/** Copies this short or shorter go byte by byte: cheaper than a subarray and `set`. */
const SHORT_COPY = 32;

let slab: Buffer = Buffer.allocUnsafe(SLAB);
/** The slab's bytes before this are written (handed out, or pending in some ByteOutput). */
let used = 0;

/** Room for `count` bytes at `used`: a new slab when they do not fit. The old one lives on in what was handed out. */
function reserve(count: number): void {
  if (used + count <= slab.length) return;
  // Not zeroed (much cheaper to get): only bytes written are ever handed out.
  slab = Buffer.allocUnsafe(Math.max(count, SLAB));
  used = 0;
}

/** Copies `source[from, to)` into the slab at `at`; returns where it ends. */
function copy(source: Uint8Array, from: number, to: number, at: number): number {
  const target = slab;
  if (to - from <= SHORT_COPY) {
    for (let i = from; i < to; i++) target[at++] = source[i]!;
    return at;
  }
  target.set(from === 0 && to === source.length ? source : source.subarray(from, to), at);
  return at + (to - from);
}

/**
 * Output bytes built up in place until `flush` hands them over, in as few pieces as the
 * slabs allow.
 */
export class ByteOutput {
  /** Pieces complete (their slab moved on, or another output wrote after them). */
  private readonly pieces: Uint8Array[] = [];
  /** The piece being written: `slab` from `start` up to `used`, if it is still the last thing there. */
  private pieceSlab: Uint8Array | undefined;
  private start = 0;
  private end = 0;

  /** `before`, `source[from, to)`, `after`. */
  framed(before: Uint8Array, source: Uint8Array, from: number, to: number, after: Uint8Array): void {
    let at = this.open(before.length + (to - from) + after.length);
    at = copy(before, 0, before.length, at);
    at = copy(source, from, to, at);
    this.close(copy(after, 0, after.length, at));
  }

  text(text: string): void {
    if (text === '') return;
    const at = this.open(text.length * 3);
    // Buffer's write takes the offset: no view of the slab to make, as encodeInto needs.
    this.close(at + slab.write(text, at));
  }

  /** Hands over everything written since the last flush; false when there was nothing. */
  flush(sink: (bytes: Uint8Array) => void): boolean {
    this.endPiece();
    if (this.pieces.length === 0) return false;
    for (const piece of this.pieces) sink(piece);
    this.pieces.length = 0;
    return true;
  }

  /** Where to write up to `count` bytes: at the slab's end, continuing this output's piece when it ends there. */
  private open(count: number): number {
    reserve(count);
    if (this.pieceSlab !== slab || this.end !== used) {
      this.endPiece();
      this.pieceSlab = slab;
      this.start = used;
    }
    return used;
  }

  private close(end: number): void {
    used = end;
    this.end = end;
  }

  private endPiece(): void {
    if (this.pieceSlab && this.end > this.start) this.pieces.push(this.pieceSlab.subarray(this.start, this.end));
    this.pieceSlab = undefined;
  }
}
