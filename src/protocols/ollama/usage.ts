import { isRecord } from '../../core/json.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { OllamaStats } from './types.ts';

/** The usage of a non-streamed answer, from its final statistics. */
export function usageOfOllamaAnswer(body: unknown): TokenUsage | undefined {
  return isRecord(body) ? tokenUsageFromOllama(body as OllamaStats) : undefined;
}

/** Counts from a final line; undefined when it reports none. Ollama reports no cache or reasoning split. */
export function tokenUsageFromOllama(stats: OllamaStats): TokenUsage | undefined {
  if (stats.prompt_eval_count === undefined && stats.eval_count === undefined) return undefined;
  return { input: stats.prompt_eval_count ?? 0, output: stats.eval_count ?? 0, cached: 0, reasoning: 0 };
}

/** Nanoseconds, as Ollama reports them. */
export interface Durations {
  total: number;
  promptEval: number;
  eval: number;
}

const NO_DURATIONS: Durations = { total: 0, promptEval: 0, eval: 0 };

/**
 * The statistics of a final line, every field present: the official clients type them as
 * numbers. Unknown counts are 0; there is no model loading to time (load_duration 0).
 */
export function ollamaStats(usage: TokenUsage | undefined, durations: Durations = NO_DURATIONS): Required<OllamaStats> {
  return {
    total_duration: durations.total,
    load_duration: 0,
    prompt_eval_count: usage?.input ?? 0,
    prompt_eval_duration: durations.promptEval,
    eval_count: usage?.output ?? 0,
    eval_duration: durations.eval,
  };
}
