/** Token counts of one response, in the units every provider reports. */
export interface TokenUsage {
  /** All input tokens, cached ones included (Anthropic's cache reads and writes are added in). */
  input: number;
  /** All output tokens, reasoning included. */
  output: number;
  /** Input tokens served from the provider's prompt cache (a subset of `input`). */
  cached: number;
  /** Output tokens spent on reasoning (a subset of `output`). */
  reasoning: number;
  /** Input tokens written to the prompt cache (Anthropic), a subset of `input`. */
  cacheWrite?: number;
}

/** Whether a usage report repeats the last one: streams send cumulative totals, often unchanged. */
export function sameUsage(last: TokenUsage | undefined, usage: TokenUsage): boolean {
  return (
    last !== undefined &&
    last.input === usage.input &&
    last.output === usage.output &&
    last.cached === usage.cached &&
    last.reasoning === usage.reasoning &&
    last.cacheWrite === usage.cacheWrite
  );
}
