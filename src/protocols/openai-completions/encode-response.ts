import type { CanonicalResponse } from '../../core/response.ts';
import type { ClientContext } from '../codec.ts';
import { completionId, finishReasonToCompletion } from './map.ts';
import { tokenUsageToChat } from '../openai-chat/usage.ts';

/**
 * Canonical → `text_completion`: each choice's text, tool calls and reasoning left out. A
 * refusal (OpenAI) is what the model said: it follows the text, as there is no refusal field.
 */
export function encodeCompletionResponse(response: CanonicalResponse, context: ClientContext) {
  return {
    id: completionId(response.id),
    object: 'text_completion',
    created: response.created,
    model: context.model,
    choices: response.choices.map((choice) => ({
      text: [...choice.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])), choice.refusal ?? ''].join(''),
      index: choice.index,
      logprobs: null,
      finish_reason: finishReasonToCompletion(choice.finishReason),
    })),
    ...(response.usage ? { usage: tokenUsageToChat(response.usage) } : {}),
  };
}
