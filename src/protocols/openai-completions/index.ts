import type { InboundCodec } from '../codec.ts';
import { openAIErrorResponse } from '../openai-chat/errors.ts';
import { decodeCompletionRequest } from './decode-request.ts';
import { encodeCompletionResponse } from './encode-response.ts';
import { CompletionStreamEncoder } from './stream-encoder.ts';

/**
 * Clients of the legacy `POST /v1/completions`. It shares OpenAI's error shape; there is
 * no such upstream to pass through to, so requests are always translated.
 */
export const completionsInbound: InboundCodec = {
  protocol: 'openai-chat',
  decodeRequest: (body) => decodeCompletionRequest(body),
  encodeResponse: encodeCompletionResponse,
  createStreamEncoder: (context) => new CompletionStreamEncoder(context),
  errorResponse: openAIErrorResponse,
};
