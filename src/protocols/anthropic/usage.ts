import { isRecord } from '../../core/json.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { AnthropicUsage } from './types.ts';

/** The usage of a Message body, when it reports one. */
export function usageOfMessage(body: unknown): TokenUsage | undefined {
  return isRecord(body) && isRecord(body.usage) ? usageFromAnthropic(body.usage as AnthropicUsage) : undefined;
}

/** Anthropic counts cache reads and writes apart from `input_tokens`: canonical input includes them. */
export function usageFromAnthropic(usage: AnthropicUsage): TokenUsage {
  const cached = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return {
    input: (usage.input_tokens ?? 0) + cached + cacheWrite,
    output: usage.output_tokens ?? 0,
    cached,
    cacheWrite,
    reasoning: usage.output_tokens_details?.thinking_tokens ?? 0,
  };
}

export function usageToAnthropic(usage: TokenUsage | undefined): Required<Omit<AnthropicUsage, 'output_tokens_details'>> {
  const cached = usage?.cached ?? 0;
  const cacheWrite = usage?.cacheWrite ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.input ?? 0) - cached - cacheWrite),
    output_tokens: usage?.output ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cached,
  };
}

/** Stream usage objects are cumulative but leave out (or null) what does not apply: keep the last value of each. */
export function mergeUsage(total: AnthropicUsage, update: AnthropicUsage): AnthropicUsage {
  return {
    input_tokens: update.input_tokens ?? total.input_tokens,
    output_tokens: update.output_tokens ?? total.output_tokens,
    cache_creation_input_tokens: update.cache_creation_input_tokens ?? total.cache_creation_input_tokens,
    cache_read_input_tokens: update.cache_read_input_tokens ?? total.cache_read_input_tokens,
    output_tokens_details: update.output_tokens_details ?? total.output_tokens_details,
  };
}
