import { ProxyError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { CanonicalChoice, CanonicalResponse } from '../../core/response.ts';
import { inStreamError } from './errors.ts';
import { finishReasonFromOllama } from './map-finish-reason.ts';
import { outputOf } from './shape.ts';
import { unixSeconds } from './time.ts';
import { toolCallFromOllama } from './tools.ts';
import type { OllamaResponse } from './types.ts';
import { tokenUsageFromOllama } from './usage.ts';

/** A non-streamed /api/chat answer (or /api/generate: both shapes are read) → canonical. */
export function decodeResponse(body: unknown): CanonicalResponse {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProxyError('upstream', 'Ollama answered with something other than a JSON object');
  }
  const answer = body as OllamaResponse;
  if (typeof answer.error === 'string') throw inStreamError(answer.error);
  const output = outputOf(answer);
  const content: CanonicalChoice['content'] = [
    ...(output.thinking === '' ? [] : [{ type: 'reasoning' as const, text: output.thinking }]),
    ...(output.content === '' ? [] : [{ type: 'text' as const, text: output.content }]),
    ...output.toolCalls.map((call) => toolCallFromOllama(call, newId('call_'))),
  ];
  return {
    // Ollama answers carry no id.
    id: newId('ollama-'),
    model: answer.model ?? '',
    created: unixSeconds(answer.created_at),
    choices: [{ index: 0, content, finishReason: finishReasonFromOllama(answer.done_reason, output.toolCalls.length > 0) }],
    usage: tokenUsageFromOllama(answer),
  };
}
