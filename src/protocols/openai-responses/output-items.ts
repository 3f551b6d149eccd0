import type { ReasoningSignature } from '../../core/request.ts';
import { tagSignature } from '../signature-tag.ts';
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
 * content was issued for, with that content; reasoning another protocol signed carries its
 * signature tagged in `encrypted_content` (../signature-tag.ts), which the client's next
 * request brings back; unsigned reasoning carries only its summary text.
 */
export function reasoningItem(id: string, text: string, signature: ReasoningSignature | undefined): ReasoningItem {
  const handle = reasoningHandle(signature);
  const encrypted = handle?.encrypted_content ?? (signature && signature.protocol !== 'openai-responses' ? tagSignature(signature, 'openai-responses') : undefined);
  return {
    type: 'reasoning',
    id: handle?.id ?? id,
    summary: text ? [{ type: 'summary_text', text }] : [],
    ...(encrypted !== undefined ? { encrypted_content: encrypted } : {}),
  };
}

/**
 * Responses has no signature field on a function_call: a signed call (Gemini) gets an empty
 * reasoning item carrying the signature just before it, which decode-input turns into an
 * empty signed ReasoningPart before the call (the Gemini encoder moves it back onto the call).
 */
export function signatureCarrierItem(id: string, signature: ReasoningSignature): ReasoningItem {
  return reasoningItem(id, '', signature);
}

export function functionCallItem(
  id: string,
  call: { id: string; name: string; arguments: string },
  status: ItemStatus,
): FunctionCallItem {
  return { type: 'function_call', id, call_id: call.id, name: call.name, arguments: call.arguments, status };
}
