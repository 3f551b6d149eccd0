import type { InboundCodec, OutboundCodec } from '../codec.ts';
import { decodeRequest } from './decode-request.ts';
import { decodeResponse } from './decode-response.ts';
import { encodeRequest } from './encode-request.ts';
import { encodeResponse } from './encode-response.ts';
import { decodeResponsesError, responsesErrorResponse } from './errors.ts';
import { createResponsesStreamDecoder } from './stream-decoder.ts';
import { createResponsesStreamEncoder } from './stream-encoder.ts';
import { usageOfResponseObject } from './usage.ts';

/** Clients speaking the OpenAI Responses API (`POST /v1/responses`, e.g. Codex CLI). */
export const responsesInbound: InboundCodec = {
  protocol: 'openai-responses',
  decodeRequest,
  encodeResponse,
  createStreamEncoder: createResponsesStreamEncoder,
  errorResponse: responsesErrorResponse,
};

/** Upstreams speaking the OpenAI Responses API (`POST {base}/responses`). */
export const responsesOutbound: OutboundCodec = {
  protocol: 'openai-responses',
  streamFraming: 'sse',
  inlineImagesOnly: false,
  encodeRequest,
  decodeResponse,
  usageOfResponse: usageOfResponseObject,
  usageKey: 'usage',
  createStreamDecoder: createResponsesStreamDecoder,
  decodeError: decodeResponsesError,
};
