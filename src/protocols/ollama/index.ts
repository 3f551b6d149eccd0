import type { CanonicalRequest } from '../../core/request.ts';
import type { ClientContext, InboundCodec, OutboundCodec } from '../codec.ts';
import { decodeGenerateRequest } from './decode-generate-request.ts';
import { decodeChatRequest } from './decode-request.ts';
import { decodeResponse } from './decode-response.ts';
import { encodeRequest } from './encode-request.ts';
import { encodeResponse } from './encode-response.ts';
import { decodeOllamaError, ollamaErrorResponse } from './errors.ts';
import type { OllamaEndpoint } from './shape.ts';
import { OllamaStreamDecoder } from './stream-decoder.ts';
import { OllamaStreamEncoder } from './stream-encoder.ts';
import { usageOfOllamaAnswer } from './usage.ts';

function inbound(endpoint: OllamaEndpoint, decodeRequest: (body: unknown, context: ClientContext) => CanonicalRequest): InboundCodec {
  return {
    protocol: 'ollama',
    decodeRequest,
    encodeResponse: (response, context) => encodeResponse(response, context, endpoint),
    createStreamEncoder: (context) => new OllamaStreamEncoder(context, endpoint),
    errorResponse: ollamaErrorResponse,
  };
}

/** Clients of POST /api/chat. */
export const ollamaInbound: InboundCodec = inbound('chat', decodeChatRequest);

/** Clients of POST /api/generate: a prompt in, `response`/`thinking` out. */
export const ollamaGenerateInbound: InboundCodec = inbound('generate', decodeGenerateRequest);

/** An Ollama server upstream, POST {base}/api/chat. */
export const ollamaOutbound: OutboundCodec = {
  protocol: 'ollama',
  streamFraming: 'ndjson',
  inlineImagesOnly: true,
  // Spread into a plain object: an interface has no index signature to match Record<string, unknown>.
  encodeRequest: (request) => ({ ...encodeRequest(request) }),
  decodeResponse,
  usageOfResponse: usageOfOllamaAnswer,
  createStreamDecoder: () => new OllamaStreamDecoder(),
  decodeError: decodeOllamaError,
};
