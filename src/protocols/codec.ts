import type { ProxyError } from '../core/errors.ts';
import type { Protocol } from '../core/protocol.ts';
import type { CanonicalRequest } from '../core/request.ts';
import type { CanonicalResponse, StreamEvent } from '../core/response.ts';
import type { TokenUsage } from '../core/usage.ts';

/**
 * Each protocol has one codec per direction, to and from the canonical model in
 * src/core: N + M codecs instead of N × M translators. When client and upstream speak
 * the same protocol the gateway skips both and passes bytes through.
 */

/** What the client side knows about the exchange. */
export interface ClientContext {
  /** The model name as the client sent it (echoed back in responses). */
  model: string;
  /** OpenAI Chat clients get a usage chunk only when they ask (`stream_options.include_usage`). */
  streamUsage?: boolean;
}

/** The client-facing side of a protocol. */
export interface InboundCodec {
  readonly protocol: Protocol;
  /** Client body → canonical request. Throws ProxyError('invalid_request') with a clear message. */
  decodeRequest(body: unknown, context: ClientContext): CanonicalRequest;
  /** Canonical answer → the JSON body this protocol returns. */
  encodeResponse(response: CanonicalResponse, context: ClientContext): unknown;
  createStreamEncoder(context: ClientContext): StreamEncoder;
  /** An error as this protocol's clients expect it (HTTP status + body). */
  errorResponse(error: ProxyError): Response;
}

/** Turns canonical events into the client's stream format, one event at a time. */
export interface StreamEncoder {
  readonly contentType: string;
  /** The text to send for one event ('' when it produces nothing yet). */
  encode(event: StreamEvent): string;
  /** Called once after the last event: closing text (e.g. `data: [DONE]`), possibly ''. */
  end(): string;
  /**
   * Optional, for the gateway's byte lane: when `encode` would now write a text event of
   * this choice and block as `before` + the text's JSON string content + `after`, and change
   * nothing else, those two; otherwise undefined. Valid until the next `encode`.
   */
  textFrame?(choice: number, block: number): TextFrame | undefined;
}

/** What an encoder writes around a token's JSON string content (quotes included), in UTF-8. */
export interface TextFrame {
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

/** One message of an upstream stream: an SSE event, or one NDJSON line. */
export interface UpstreamMessage {
  event?: string;
  data: string;
}

/** The upstream-facing side of a protocol. */
export interface OutboundCodec {
  readonly protocol: Protocol;
  /** How this protocol frames a streamed body. */
  readonly streamFraming: 'sse' | 'ndjson';
  /** True when the API takes only inline (base64) images: the gateway fetches URL images first. */
  readonly inlineImagesOnly: boolean;
  /** Canonical request → the JSON body this protocol's API takes. */
  encodeRequest(request: CanonicalRequest): Record<string, unknown>;
  /** This protocol's non-streaming JSON answer → canonical. */
  decodeResponse(body: unknown): CanonicalResponse;
  /**
   * The usage a non-streaming JSON answer reports, read alone: a same-protocol answer
   * passes through as sent, and only its usage is recorded (as `decodeResponse` reads it).
   */
  usageOfResponse(body: unknown): TokenUsage | undefined;
  /**
   * The root member a whole answer reports its usage in, for usageOfResponse to be given
   * alone (see topLevelValue); absent where the counts are root members of their own (Ollama).
   */
  readonly usageKey?: string;
  createStreamDecoder(): StreamDecoder;
  /** An upstream HTTP error (status + body text) → ProxyError carrying the upstream's message. */
  decodeError(status: number, body: string): ProxyError;
  /**
   * Optional, for same-protocol passthrough: fold a stream into this protocol's own JSON
   * answer keeping vendor fields the canonical model drops (logprobs, fingerprints).
   */
  foldStream?(messages: AsyncIterable<UpstreamMessage>): Promise<FoldedStream>;
  /**
   * Optional, for same-protocol passthrough: a cheap watch for usage and failure that skips
   * the messages carrying neither (the stream decoder serves where this is absent).
   */
  watchStream?(): StreamWatcher;
}

/** Watches a stream passed through untouched for what the gateway records. */
export interface StreamWatcher {
  push(message: UpstreamMessage): void;
  readonly usage: TokenUsage | undefined;
  readonly failed: boolean;
}

/** A stream folded into one answer, or the error it ended in; usage either way when reported. */
export type FoldedStream = { body: unknown; usage?: TokenUsage } | { error: ProxyError; usage?: TokenUsage };

/** Turns an upstream stream into canonical events, one message at a time. */
export interface StreamDecoder {
  push(message: UpstreamMessage): StreamEvent[];
  /** The upstream body ended: whatever is still owed (closing blocks, a missing finish). */
  end(): StreamEvent[];
  /**
   * Optional, for the gateway's byte lane: the envelope of the last text-only message (see
   * string-slot.ts) when a message in that envelope with another non-empty text would now
   * decode to one text event of `choice` and `block` and change nothing else; otherwise
   * undefined. Valid until the next `push`.
   */
  textSlot?(): TextSlot | undefined;
}

/** A text-only upstream message around its text's JSON string. */
export interface TextSlot {
  /** The SSE event name it comes under, if any. */
  readonly event: string | undefined;
  /** The message's data before the text's opening quote, and after its closing quote. */
  readonly before: string;
  readonly after: string;
  /**
   * How the rest of a message may differ from `after`: not at all; in the width of its JSON
   * whitespace (Anthropic pads before the last brace, by a different width each time); or by
   * OpenAI's `obfuscation` field, a random string, before the closing brace.
   */
  readonly trailer: 'none' | 'whitespace' | 'obfuscation';
  readonly choice: number;
  readonly block: number;
}
