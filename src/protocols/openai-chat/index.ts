import type { InboundCodec, OutboundCodec } from '../codec.ts';
import { decodeChatRequest } from './decode-request.ts';
import { decodeChatResponse } from './decode-response.ts';
import { encodeChatRequest } from './encode-request.ts';
import { encodeChatResponse } from './encode-response.ts';
import { decodeChatError, openAIErrorResponse } from './errors.ts';
import { foldChatStream } from './fold-stream.ts';
import { ChatStreamDecoder } from './stream-decoder.ts';
import { ChatStreamEncoder } from './stream-encoder.ts';
import { ChatStreamWatcher } from './stream-watcher.ts';
import { usageOfChatCompletion } from './usage.ts';

export const chatInbound: InboundCodec = {
  protocol: 'openai-chat',
  decodeRequest: (body) => decodeChatRequest(body),
  encodeResponse: encodeChatResponse,
  createStreamEncoder: (context) => new ChatStreamEncoder(context),
  errorResponse: openAIErrorResponse,
};

export const chatOutbound: OutboundCodec = {
  protocol: 'openai-chat',
  streamFraming: 'sse',
  inlineImagesOnly: false,
  encodeRequest: encodeChatRequest,
  decodeResponse: decodeChatResponse,
  usageOfResponse: usageOfChatCompletion,
  usageKey: 'usage',
  createStreamDecoder: () => new ChatStreamDecoder(),
  decodeError: (status, body) => decodeChatError(status, body),
  foldStream: foldChatStream,
  watchStream: () => new ChatStreamWatcher(),
};
