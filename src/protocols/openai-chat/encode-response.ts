import type { CanonicalResponse } from '../../core/response.ts';
import type { ClientContext } from '../codec.ts';
import { finishReasonToChat } from './map-finish-reason.ts';
import type { ChatCompletion, ChatCompletionChoice } from './types.ts';
import { tokenUsageToChat } from './usage.ts';

/** Canonical response → `chat.completion`. Reasoning goes in DeepSeek's `reasoning_content`. */
export function encodeChatResponse(response: CanonicalResponse, context: ClientContext): ChatCompletion {
  const completion: ChatCompletion = {
    id: response.id.startsWith('chatcmpl') ? response.id : `chatcmpl-${response.id}`,
    object: 'chat.completion',
    created: response.created,
    model: context.model,
    choices: response.choices.map((choice): ChatCompletionChoice => {
      const text = choice.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
      const reasoning = choice.content.flatMap((part) => (part.type === 'reasoning' ? [part.text] : [])).join('');
      const toolCalls = choice.content.flatMap((part) =>
        part.type === 'tool_call' ? [{ id: part.id, type: 'function' as const, function: { name: part.name, arguments: part.arguments } }] : [],
      );
      const message: ChatCompletionChoice['message'] = {
        role: 'assistant',
        content: text === '' && (toolCalls.length > 0 || choice.refusal) ? null : text,
        refusal: choice.refusal ?? null,
      };
      if (reasoning) message.reasoning_content = reasoning;
      if (toolCalls.length > 0) message.tool_calls = toolCalls;
      return { index: choice.index, message, finish_reason: finishReasonToChat(choice.finishReason), logprobs: null };
    }),
  };
  if (response.usage) completion.usage = tokenUsageToChat(response.usage);
  return completion;
}
