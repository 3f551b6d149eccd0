import { ProxyError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { ReasoningPart, TextPart, ToolCallPart } from '../../core/request.ts';
import type { CanonicalResponse } from '../../core/response.ts';
import { streamFailure } from './errors.ts';
import { finishReasonFromResponse } from './map-finish-reason.ts';
import { SEGMENT_SEPARATOR, joinSegments, messageRefusal, messageSegments, reasoningSegments } from './read-items.ts';
import { signReasoning } from './signature.ts';
import type { WireOutputItem, WireResponse } from './types.ts';
import { tokenUsageFromResponses } from './usage.ts';

type ContentPart = TextPart | ReasoningPart | ToolCallPart;

/** A Response object → canonical answer, read the way the stream decoder reads the same items. */
export function decodeResponse(body: unknown): CanonicalResponse {
  if (body === null || typeof body !== 'object') {
    throw new ProxyError('upstream', 'The upstream answered with something other than a Response object.');
  }
  const response = body as WireResponse;
  if (response.status === 'failed') throw streamFailure(response.error);
  const items = response.output ?? [];
  const content = items.flatMap(contentOf);
  const refusals = items.flatMap((item) => (item.type === 'message' ? (messageRefusal(item) ?? []) : []));
  const finishReason = finishReasonFromResponse(response, content.some((part) => part.type === 'tool_call'));
  return {
    id: response.id ?? newId('resp_'),
    model: response.model ?? '',
    created: response.created_at ?? 0,
    choices: [{ index: 0, content, finishReason, ...(refusals.length > 0 ? { refusal: refusals.join('') } : {}) }],
    ...(response.usage ? { usage: tokenUsageFromResponses(response.usage) } : {}),
  };
}

function contentOf(item: WireOutputItem): ContentPart[] {
  switch (item.type) {
    case 'message': {
      const text = joinSegments(messageSegments(item), SEGMENT_SEPARATOR.text);
      return text ? [{ type: 'text', text }] : [];
    }
    case 'reasoning': {
      const text = joinSegments(reasoningSegments(item), SEGMENT_SEPARATOR.reasoning);
      const signature = item.id && item.encrypted_content ? signReasoning(item.id, item.encrypted_content) : undefined;
      // An empty, unsigned reasoning item (no summary requested) carries nothing.
      if (!text && !signature) return [];
      return [{ type: 'reasoning', text, ...(signature ? { signature } : {}) }];
    }
    case 'function_call':
      return [{ type: 'tool_call', id: item.call_id ?? newId('call_'), name: item.name ?? '', arguments: item.arguments ?? '' }];
    default:
      return [];
  }
}
