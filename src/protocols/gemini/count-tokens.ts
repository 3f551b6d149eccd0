import { ProxyError } from '../../core/errors.ts';
import type { CanonicalRequest } from '../../core/request.ts';
import type { ClientContext } from '../codec.ts';
import { decodeGeminiRequest } from './decode-request.ts';
import { encodeGeminiRequest } from './encode-request.ts';

/**
 * countTokens: `{contents}` or `{generateContentRequest}` → `{totalTokens}`. The request
 * reads like a generateContent body, so counting can reuse the canonical request.
 */
export function decodeCountTokensRequest(body: unknown, context: ClientContext): CanonicalRequest {
  const request = (body as { generateContentRequest?: unknown } | null)?.generateContentRequest ?? body;
  return decodeGeminiRequest(request, context);
}

export function encodeCountTokensResponse(totalTokens: number): { totalTokens: number } {
  return { totalTokens };
}

/**
 * Canonical → a countTokens body. The `generateContentRequest` form counts the system
 * instruction and tools too, which `{contents}` alone would miss.
 */
export function encodeCountTokensRequest(request: CanonicalRequest): { generateContentRequest: Record<string, unknown> } {
  return { generateContentRequest: { model: `models/${request.model}`, ...encodeGeminiRequest(request) } };
}

export function decodeCountTokensResponse(body: unknown): number {
  const total = (body as { totalTokens?: unknown } | null)?.totalTokens;
  // proto3 JSON leaves out zero values: an empty prompt answers `{}`.
  if (total === undefined) return 0;
  if (typeof total !== 'number') throw new ProxyError('upstream', 'The upstream answered countTokens without a numeric totalTokens.');
  return total;
}
