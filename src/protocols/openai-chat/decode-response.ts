import { ProxyError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { CanonicalChoice, CanonicalResponse } from '../../core/response.ts';
import { finishReasonFromChat } from './map-finish-reason.ts';
import type { ChatCompletion } from './types.ts';
import { tokenUsageFromChat } from './usage.ts';

/** A `chat.completion` body → canonical. Reasoning comes as `reasoning_content` (DeepSeek) or `reasoning` (OpenRouter). */
export function decodeChatResponse(body: unknown): CanonicalResponse {
  const completion = body as Partial<ChatCompletion> | null;
  if (!completion || !Array.isArray(completion.choices)) {
    throw new ProxyError('upstream', 'The upstream answered without choices.', { code: 'malformed_response' });
  }
  const response: CanonicalResponse = {
    id: completion.id || newId('chatcmpl-'),
    model: completion.model ?? '',
    created: completion.created ?? Math.floor(Date.now() / 1000),
    choices: completion.choices.map((choice): CanonicalChoice => {
      const message = (choice.message ?? {}) as ChatCompletion['choices'][number]['message'] & { reasoning?: string };
      const content: CanonicalChoice['content'] = [];
      const reasoning = message.reasoning_content ?? message.reasoning;
      if (reasoning) content.push({ type: 'reasoning', text: reasoning });
      if (message.content) content.push({ type: 'text', text: message.content });
      for (const call of message.tool_calls ?? []) {
        content.push({ type: 'tool_call', id: call.id || newId('call_'), name: call.function.name, arguments: call.function.arguments ?? '' });
      }
      const finish = finishReasonFromChat(choice.finish_reason ?? 'stop');
      const madeToolCalls = (message.tool_calls?.length ?? 0) > 0;
      const decoded: CanonicalChoice = {
        index: choice.index ?? 0,
        content,
        finishReason: finish === 'stop' && madeToolCalls ? 'tool_calls' : finish,
      };
      if (message.refusal) decoded.refusal = message.refusal;
      return decoded;
    }),
  };
  if (completion.usage) response.usage = tokenUsageFromChat(completion.usage);
  return response;
}
