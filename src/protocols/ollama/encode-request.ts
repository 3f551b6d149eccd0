import { ProxyError } from '../../core/errors.ts';
import type { CanonicalRequest } from '../../core/request.ts';
import { encodeMessages } from './encode-messages.ts';
import { formatToOllama } from './format.ts';
import { optionsToOllama } from './options.ts';
import { thinkForModel } from './think.ts';
import { toolToOllama } from './tools.ts';
import type { OllamaChatRequest } from './types.ts';

/**
 * Canonical → a POST /api/chat body (fields left undefined are dropped by JSON.stringify).
 * Ollama has no tool_choice: "none" withholds the tools, "required" and a named tool cannot
 * be enforced and leave the choice to the model. `user` and `parallelToolCalls` have no field.
 */
export function encodeRequest(request: CanonicalRequest): OllamaChatRequest {
  if ((request.n ?? 1) > 1) throw new ProxyError('invalid_request', 'Ollama does not support n>1', { param: 'n' });
  const tools = request.toolChoice?.type === 'none' ? [] : (request.tools ?? []);
  return {
    model: request.model,
    messages: encodeMessages(request),
    // Explicit either way: Ollama streams when `stream` is absent.
    stream: request.stream,
    tools: tools.length > 0 ? tools.map(toolToOllama) : undefined,
    format: formatToOllama(request.responseFormat),
    options: optionsToOllama(request),
    think: thinkForModel(request.model, request.reasoning),
  };
}
