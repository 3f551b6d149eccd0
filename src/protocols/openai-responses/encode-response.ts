import { newId } from '../../core/ids.ts';
import type { CanonicalChoice, CanonicalResponse } from '../../core/response.ts';
import type { ClientContext } from '../codec.ts';
import { functionCallItem, messageItem, outputRefusal, outputText, reasoningItem, signatureCarrierItem } from './output-items.ts';
import { responseId, responseObject } from './response-object.ts';
import type { OutputItem, ResponseObject } from './types.ts';

/** Canonical answer → Response object. Responses has one answer per request: choice 0. */
export function encodeResponse(response: CanonicalResponse, context: ClientContext): ResponseObject {
  const choice = response.choices.find((candidate) => candidate.index === 0) ?? response.choices[0];
  const head = { id: responseId(response.id), model: context.model, createdAt: response.created };
  return responseObject(
    head,
    { type: 'finished', reason: choice?.finishReason ?? 'stop' },
    choice ? outputItems(choice) : [],
    response.usage,
  );
}

function outputItems(choice: CanonicalChoice): OutputItem[] {
  const items = choice.content.flatMap((part): OutputItem[] => {
    switch (part.type) {
      case 'text':
        return [messageItem(newId('msg_'), [outputText(part.text)], 'completed')];
      case 'tool_call': {
        const call = functionCallItem(newId('fc_'), part, 'completed');
        // A signed call (Gemini) has its signature in an empty reasoning item just before it.
        return part.signature ? [signatureCarrierItem(newId('rs_'), part.signature), call] : [call];
      }
      case 'reasoning': {
        // Anthropic's redacted thinking has no place here (its data is no signature of a text).
        if (part.redacted !== undefined) return [];
        const item = reasoningItem(newId('rs_'), part.text, part.signature);
        return item.summary.length > 0 || item.encrypted_content !== undefined ? [item] : [];
      }
    }
  });
  if (choice.refusal !== undefined) items.push(messageItem(newId('msg_'), [outputRefusal(choice.refusal)], 'completed'));
  return items;
}
