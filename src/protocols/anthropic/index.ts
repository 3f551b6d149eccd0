import type { InboundCodec, OutboundCodec } from '../codec.ts';
import { decodeRequest } from './decode-request.ts';
import { decodeResponse } from './decode-response.ts';
import { encodeRequest } from './encode-request.ts';
import { encodeResponse } from './encode-response.ts';
import { anthropicErrorResponse, decodeAnthropicError } from './errors.ts';
import { AnthropicStreamDecoder } from './stream-decoder.ts';
import { AnthropicStreamEncoder } from './stream-encoder.ts';
import { AnthropicStreamWatcher } from './stream-watcher.ts';
import { usageOfMessage } from './usage.ts';

/** Clients speaking Anthropic Messages (`POST /v1/messages`). */
export const anthropicInbound: InboundCodec = {
  protocol: 'anthropic',
  decodeRequest,
  encodeResponse,
  createStreamEncoder: (context) => new AnthropicStreamEncoder(context),
  errorResponse: anthropicErrorResponse,
};

/** Upstreams speaking Anthropic Messages. */
export const anthropicOutbound: OutboundCodec = {
  protocol: 'anthropic',
  streamFraming: 'sse',
  inlineImagesOnly: false,
  encodeRequest,
  decodeResponse,
  usageOfResponse: usageOfMessage,
  usageKey: 'usage',
  createStreamDecoder: () => new AnthropicStreamDecoder(),
  decodeError: decodeAnthropicError,
  watchStream: () => new AnthropicStreamWatcher(),
};
