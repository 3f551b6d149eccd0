import { isRecord } from '../../core/json.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { ChatUsage } from './types.ts';

/** The usage of a `chat.completion` body, when it reports one. */
export function usageOfChatCompletion(body: unknown): TokenUsage | undefined {
  return isRecord(body) && isRecord(body.usage) ? tokenUsageFromChat(body.usage as ChatUsage) : undefined;
}

export function tokenUsageFromChat(usage: ChatUsage): TokenUsage {
  return {
    input: usage.prompt_tokens ?? 0,
    output: usage.completion_tokens ?? 0,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    reasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

export function tokenUsageToChat(usage: TokenUsage): ChatUsage {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
  };
}
