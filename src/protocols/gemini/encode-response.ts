import type { CanonicalResponse } from '../../core/response.ts';
import type { ClientContext } from '../codec.ts';
import { geminiParts } from './encode-parts.ts';
import { finishReasonToGemini } from './map-finish-reason.ts';
import type { GeminiCandidate, GenerateContentResponse } from './types.ts';
import { tokenUsageToGemini } from './usage.ts';

/**
 * Canonical answer → GenerateContentResponse. All reasoning is shown as thought parts;
 * signatures other protocols issued go out tagged (see encode-parts.ts). A refusal (OpenAI)
 * reads as answer text.
 */
export function encodeGeminiResponse(response: CanonicalResponse, context: ClientContext): GenerateContentResponse {
  const candidates = response.choices.map((choice): GeminiCandidate => {
    const content = choice.refusal ? [...choice.content, { type: 'text' as const, text: choice.refusal }] : choice.content;
    const parts = geminiParts(content, 'client');
    return {
      // Like Google, a candidate with nothing to show (filtered) has no content.
      ...(parts.length > 0 ? { content: { role: 'model', parts } } : {}),
      finishReason: finishReasonToGemini(choice.finishReason),
      index: choice.index,
    };
  });
  return {
    candidates,
    ...(response.usage ? { usageMetadata: tokenUsageToGemini(response.usage) } : {}),
    modelVersion: context.model,
    responseId: response.id,
  };
}
