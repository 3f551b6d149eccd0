import type { CanonicalChoice, CanonicalResponse } from '../../core/response.ts';
import type { ClientContext } from '../codec.ts';
import { doneReasonFromFinish } from './map-finish-reason.ts';
import { outputFields, type OllamaEndpoint, type Output } from './shape.ts';
import { createdAt } from './time.ts';
import { toolCallToOllama } from './tools.ts';
import type { OllamaResponse } from './types.ts';
import { ollamaStats } from './usage.ts';

/**
 * Canonical answer → the body of a non-streamed /api/chat or /api/generate. Ollama has one
 * choice: the first is answered. Durations are 0: nothing here timed the generation.
 */
export function encodeResponse(response: CanonicalResponse, context: ClientContext, endpoint: OllamaEndpoint): OllamaResponse {
  const choice = response.choices[0];
  return {
    model: context.model,
    created_at: createdAt(response.created * 1000),
    ...outputFields(endpoint, choiceOutput(choice?.content ?? [], choice?.refusal)),
    done: true,
    done_reason: doneReasonFromFinish(choice?.finishReason),
    ...ollamaStats(response.usage),
  };
}

/**
 * Parts joined as a stream would show them. Ollama has no refusal field: a refusal is what
 * the model said, so it is content.
 */
function choiceOutput(content: CanonicalChoice['content'], refusal: string | undefined): Output {
  const output: Output = { content: '', thinking: '', toolCalls: [] };
  for (const part of content) {
    if (part.type === 'text') output.content += part.text;
    else if (part.type === 'reasoning') output.thinking += part.text;
    else output.toolCalls.push(toolCallToOllama(part, output.toolCalls.length));
  }
  output.content += refusal ?? '';
  return output;
}
