import type { GeminiPart } from './types.ts';

/**
 * Places thought signatures that have no part of their own. Gemini puts a signature on
 * the part after the thinking it signs (the first answer text or function call), or on
 * an empty text part at the end of the turn. A part holding nothing but
 * `thoughtSignature` is such a loose signature: the carrier puts it on the next text or
 * functionCall part that has none, and otherwise writes it as `{text: "", thoughtSignature}`.
 */
export class SignatureCarrier {
  private carried: string | undefined;

  /** A signature waits for the next part. */
  get carrying(): boolean {
    return this.carried !== undefined;
  }

  /** The parts to write now for `part` (none while a loose signature waits). */
  push(part: GeminiPart): GeminiPart[] {
    if (isLooseSignature(part)) {
      const flushed = this.flush();
      this.carried = part.thoughtSignature;
      return flushed;
    }
    if (this.carried === undefined) return [part];
    if (canCarry(part)) {
      const signed = { ...part, thoughtSignature: this.carried };
      this.carried = undefined;
      return [signed];
    }
    return [...this.flush(), part];
  }

  /** A signature still waiting at the end of the turn, as its own empty text part. */
  flush(): GeminiPart[] {
    if (this.carried === undefined) return [];
    const part = { text: '', thoughtSignature: this.carried };
    this.carried = undefined;
    return [part];
  }
}

/** A part that stands for a signature alone (see SignatureCarrier). */
export function looseSignature(signature: string): GeminiPart {
  return { thoughtSignature: signature };
}

function isLooseSignature(part: GeminiPart): part is GeminiPart & { thoughtSignature: string } {
  return part.thoughtSignature !== undefined && Object.keys(part).length === 1;
}

function canCarry(part: GeminiPart): boolean {
  return part.thoughtSignature === undefined && part.thought !== true && (part.text !== undefined || part.functionCall !== undefined);
}
