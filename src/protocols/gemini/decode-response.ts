import type { CanonicalResponse } from '../../core/response.ts';
import { aggregateEvents } from '../../core/aggregate.ts';
import { GeminiStreamDecoder } from './stream-decoder.ts';

/** A generateContent answer → canonical, by the same rules as a streamed one. */
export function decodeGeminiResponse(body: unknown): CanonicalResponse {
  const decoder = new GeminiStreamDecoder();
  return aggregateEvents([...decoder.pushChunk(body), ...decoder.end()]);
}
