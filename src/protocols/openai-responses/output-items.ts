import type { ReasoningSignature } from '../../core/request.ts';
import { reasoningHandle } from './signature.ts';
import type { FunctionCallItem, ItemStatus, MessageItem, OutputRefusal, OutputText, ReasoningItem } from './types.ts';

/** Builders for the output items of a response, shared by encodeResponse and the stream encoder. */

export function outputText(text: string): OutputText {
  return { type: 'output_text', text, annotations: [] };
}

export function outputRefusal(refusal: string): OutputRefusal {
  return { type: 'refusal', refusal };
}

export function messageItem(id: string, content: MessageItem['content'], status: ItemStatus): MessageItem {
  return { type: 'message', id, role: 'assistant', status, content };
}

/**
 * A reasoning item. Reasoning this protocol signed goes out under the item id its encrypted
 * content was issued for, with that content; anything else carries only its summary text.
 */
export function reasoningItem(id: string, text: string, signature: ReasoningSignature | undefined): ReasoningItem {
  const handle = reasoningHandle(signature);
  return {
    type: 'reasoning',
    id: handle?.id ?? id,
    summary: text ? [{ type: 'summary_text', text }] : [],
    ...(handle ? { encrypted_content: handle.encrypted_content } : {}),
  };
}

export function functionCallItem(
  id: string,
  call: { id: string; name: string; arguments: string },
  status: ItemStatus,
): FunctionCallItem {
  return { type: 'function_call', id, call_id: call.id, name: call.name, arguments: call.arguments, status };
}
