/** Token counts of one response, in the units every provider reports. */
export interface TokenUsage {
  input: number;
  output: number;
  /** Input tokens served from the provider's prompt cache (a subset of `input`). */
  cached: number;
  /** Output tokens spent on reasoning (a subset of `output`). */
  reasoning: number;
}
