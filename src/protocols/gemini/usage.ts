import { isRecord } from '../../core/json.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { GeminiUsageMetadata } from './types.ts';

/** The usage of a generateContent answer, when its metadata counts anything. */
export function usageOfGenerateContent(body: unknown): TokenUsage | undefined {
  return isRecord(body) && isRecord(body.usageMetadata) ? countedUsage(body.usageMetadata as GeminiUsageMetadata) : undefined;
}

/** The usage metadata counts, or undefined when it counts nothing (Vertex's first stream chunks carry only trafficType). */
export function countedUsage(metadata: GeminiUsageMetadata): TokenUsage | undefined {
  if (metadata.promptTokenCount === undefined && metadata.totalTokenCount === undefined) return undefined;
  return tokenUsageFromGemini(metadata);
}

/**
 * Gemini counts thoughts apart from the candidates and tool-use prompt tokens apart from
 * the prompt (total = prompt + toolUsePrompt + candidates + thoughts): add them back.
 */
function tokenUsageFromGemini(usage: GeminiUsageMetadata): TokenUsage {
  const thoughts = usage.thoughtsTokenCount ?? 0;
  return {
    input: (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0),
    output: (usage.candidatesTokenCount ?? 0) + thoughts,
    cached: usage.cachedContentTokenCount ?? 0,
    reasoning: thoughts,
  };
}

export function tokenUsageToGemini(usage: TokenUsage): GeminiUsageMetadata {
  const metadata: GeminiUsageMetadata = {
    promptTokenCount: usage.input,
    candidatesTokenCount: usage.output - usage.reasoning,
    totalTokenCount: usage.input + usage.output,
  };
  if (usage.cached > 0) metadata.cachedContentTokenCount = usage.cached;
  if (usage.reasoning > 0) metadata.thoughtsTokenCount = usage.reasoning;
  return metadata;
}
