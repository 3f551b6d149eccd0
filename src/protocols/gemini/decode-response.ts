import type { CanonicalResponse } from '../../core/response.ts';
import { collectResponse } from './collect-response.ts';
import { GeminiStreamDecoder } from './stream-decoder.ts';

/** A generateContent answer → canonical, by the same rules as a streamed one. */
export function decodeGeminiResponse(body: unknown): CanonicalResponse {
  const decoder = new GeminiStreamDecoder();
  return collectResponse([...decoder.pushChunk(body), ...decoder.end()]);
}
