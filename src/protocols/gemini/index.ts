import type { InboundCodec, OutboundCodec } from '../codec.ts';
import { decodeGeminiRequest } from './decode-request.ts';
import { decodeGeminiResponse } from './decode-response.ts';
import { encodeGeminiRequest } from './encode-request.ts';
import { encodeGeminiResponse } from './encode-response.ts';
import { decodeGeminiError, geminiErrorResponse } from './errors.ts';
import { createGeminiStreamDecoder } from './stream-decoder.ts';
import { createGeminiStreamEncoder } from './stream-encoder.ts';
import { usageOfGenerateContent } from './usage.ts';

/**
 * Gemini generateContent. Inbound, the route supplies what the URL says: the model
 * (`context.model`), streaming (it sets `stream` on the decoded request for
 * streamGenerateContent) and the framing (`createGeminiStreamEncoder(context, {framing})`:
 * SSE for `alt=sse`, a JSON array otherwise); `createStreamEncoder` gives SSE.
 */
export const geminiInbound: InboundCodec = {
  protocol: 'gemini',
  decodeRequest: decodeGeminiRequest,
  encodeResponse: encodeGeminiResponse,
  createStreamEncoder: (context) => createGeminiStreamEncoder(context, { framing: 'sse' }),
  errorResponse: geminiErrorResponse,
};

/** Upstream streams are always requested with alt=sse. */
export const geminiOutbound: OutboundCodec = {
  protocol: 'gemini',
  streamFraming: 'sse',
  inlineImagesOnly: true,
  encodeRequest: encodeGeminiRequest,
  decodeResponse: decodeGeminiResponse,
  usageOfResponse: usageOfGenerateContent,
  usageKey: 'usageMetadata',
  createStreamDecoder: () => createGeminiStreamDecoder(),
  decodeError: decodeGeminiError,
};

export { createGeminiStreamDecoder, type GeminiStreamDecoderOptions } from './stream-decoder.ts';
export { createGeminiStreamEncoder, type GeminiStreamOptions } from './stream-encoder.ts';
export {
  unwrapCodeAssistRequest,
  unwrapCodeAssistResponse,
  wrapCodeAssistCountTokens,
  wrapCodeAssistRequest,
  wrapCodeAssistResponse,
} from './code-assist.ts';
export { decodeCountTokensRequest, decodeCountTokensResponse, encodeCountTokensRequest, encodeCountTokensResponse } from './count-tokens.ts';
