import type { TokenUsage } from '../../core/usage.ts';
import type { ChatUsage } from './types.ts';

export function tokenUsageFromChat(usage: ChatUsage): TokenUsage {
  return {
    input: usage.prompt_tokens ?? 0,
    output: usage.completion_tokens ?? 0,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    reasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
