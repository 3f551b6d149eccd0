import type { CanonicalRequest } from '../../core/request.ts';
import type { ClientContext } from '../codec.ts';
import { decodeMessages } from './decode-messages.ts';
import { responseFormatFromOllama } from './format.ts';
import { samplingFromOptions } from './options.ts';
import { optional, readArray, readBoolean, readObject, type Json } from './read.ts';
import { reasoningFromThink } from './think.ts';
import { toolFromOllama } from './tools.ts';

/**
 * A POST /api/chat body → canonical. `keep_alive`, `logprobs` and options without a
 * canonical field (num_ctx…) have no meaning past an Ollama server and are dropped.
 */
export function decodeChatRequest(body: unknown, context: ClientContext): CanonicalRequest {
  const request = readObject(body, 'body');
  return {
    ...decodeCommon(request, context),
    ...decodeMessages(request.messages ?? [], 'messages'),
    tools: optional(request.tools, 'tools', readArray)?.map((tool, index) => toolFromOllama(tool, `tools[${index}]`)),
  };
}

/** What /api/chat and /api/generate bodies share. */
export function decodeCommon(request: Json, context: ClientContext): Omit<CanonicalRequest, 'system' | 'messages'> {
  return {
    model: context.model,
    // Ollama streams unless told not to.
    stream: optional(request.stream, 'stream', readBoolean) ?? true,
    ...samplingFromOptions(request.options, 'options'),
    responseFormat: responseFormatFromOllama(request.format, 'format'),
    reasoning: reasoningFromThink(request.think, 'think'),
  };
}
