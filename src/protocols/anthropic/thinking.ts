import { reasoningBudget } from '../../core/reasoning.ts';
import type { CanonicalRequest } from '../../core/request.ts';
import type { AnthropicMessageParam, AnthropicRequest } from './types.ts';

/** Anthropic's smallest thinking budget. */
const MIN_BUDGET_TOKENS = 1024;

/** With thinking on, Anthropic accepts top_p only from here up. */
const MIN_TOP_P_WITH_THINKING = 0.95;

/** The answer's share of max_tokens when the client set none: Anthropic requires a maximum. */
const DEFAULT_MAX_TOKENS = 8192;

/**
 * The thinking budget to request, or undefined for no thinking. Thinking stays off when the
 * client forces a tool (Anthropic refuses forced tool use with thinking, and a client that
 * forces a tool depends on getting the call), and when the last assistant turn called tools
 * with no Anthropic thinking in front (history from another upstream, whose reasoning was
 * dropped): Anthropic rejects such a request unless thinking is off.
 */
export function thinkingBudget(request: CanonicalRequest, messages: AnthropicMessageParam[]): number | undefined {
  const budget = request.reasoning ? reasoningBudget(request.reasoning) : undefined;
  if (!budget) return undefined;
  const forced = (request.tools?.length ?? 0) > 0 && (request.toolChoice?.type === 'required' || request.toolChoice?.type === 'tool');
  if (forced || !lastToolTurnThinks(messages)) return undefined;
  return Math.max(budget, MIN_BUDGET_TOKENS);
}

function lastToolTurnThinks(messages: AnthropicMessageParam[]): boolean {
  const last = messages.findLast((message) => message.role === 'assistant');
  if (!last?.content.some((block) => block.type === 'tool_use')) return true;
  return last.content.some((block) => block.type === 'thinking' || block.type === 'redacted_thinking');
}

/** The most output tokens (thinking included) each model family writes; first match wins. */
const MAX_OUTPUT_TOKENS: ReadonlyArray<[RegExp, number]> = [
  [/claude-opus-4-[5-9]/, 64000],
  [/claude-opus-4/, 32000],
  [/claude-(sonnet-4|haiku-4|3-7-sonnet)/, 64000],
  [/claude-3-5-/, 8192],
  [/claude-3-/, 4096],
];

/** The answer's minimum share of max_tokens when the model's cap squeezes the thinking budget. */
const MIN_ANSWER_TOKENS = 1024;

/**
 * max_tokens and the thinking budget to send. Thinking counts toward max_tokens, which must
 * exceed the budget: a smaller cap becomes the answer's share on top. Both stay within the
 * model's output limit, where known, or Anthropic refuses the request.
 */
export function tokenLimits(model: string, requested: number | undefined, budget: number | undefined): { maxTokens: number; budget?: number } {
  const limit = MAX_OUTPUT_TOKENS.find(([pattern]) => pattern.test(model))?.[1] ?? Number.POSITIVE_INFINITY;
  if (budget === undefined) return { maxTokens: Math.min(requested ?? DEFAULT_MAX_TOKENS, limit) };
  const wanted = requested !== undefined && requested > budget ? requested : budget + (requested || DEFAULT_MAX_TOKENS);
  if (wanted <= limit) return { maxTokens: wanted, budget };
  return { maxTokens: limit, budget: Math.max(MIN_BUDGET_TOKENS, Math.min(budget, limit - MIN_ANSWER_TOKENS)) };
}

/**
 * Sampling settings Anthropic takes. With thinking it accepts no temperature but 1 (the
 * default), no top_k and top_p only from 0.95 up; otherwise temperature stops at 1 where
 * OpenAI's goes to 2.
 */
export function sampling(request: CanonicalRequest, thinking: boolean): Pick<AnthropicRequest, 'temperature' | 'top_p' | 'top_k'> {
  if (thinking) return request.topP === undefined ? {} : { top_p: Math.max(request.topP, MIN_TOP_P_WITH_THINKING) };
  return {
    ...(request.temperature !== undefined && { temperature: Math.min(request.temperature, 1) }),
    ...(request.topP !== undefined && { top_p: request.topP }),
    ...(request.topK !== undefined && { top_k: request.topK }),
  };
}
