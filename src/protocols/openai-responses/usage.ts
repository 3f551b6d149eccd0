import { isRecord } from '../../core/json.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { ResponsesUsage, UsageObject } from './types.ts';

/** The usage of a Response object, when it reports one. */
export function usageOfResponseObject(body: unknown): TokenUsage | undefined {
  return isRecord(body) && isRecord(body.usage) ? tokenUsageFromResponses(body.usage as ResponsesUsage) : undefined;
}

export function tokenUsageFromResponses(usage: ResponsesUsage): TokenUsage {
  const cacheWrite = usage.input_tokens_details?.cache_write_tokens;
  return {
    input: usage.input_tokens ?? 0,
    output: usage.output_tokens ?? 0,
    cached: usage.input_tokens_details?.cached_tokens ?? 0,
    reasoning: usage.output_tokens_details?.reasoning_tokens ?? 0,
    ...(cacheWrite ? { cacheWrite } : {}),
  };
}

export function responsesUsage(usage: TokenUsage): UsageObject {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cached, cache_write_tokens: usage.cacheWrite ?? 0 },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}
