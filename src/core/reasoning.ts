import type { ReasoningConfig, ReasoningEffort } from './request.ts';

/**
 * The one effort ↔ token-budget table every codec uses (OpenAI speaks efforts,
 * Anthropic and Gemini 2.5 budgets). Round-trips: effort → budget → effort is stable.
 */
export const EFFORT_BUDGET: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = {
  minimal: 128,
  low: 1024,
  medium: 8192,
  high: 32768,
};

export function budgetForEffort(effort: ReasoningEffort): number {
  return effort === 'none' ? 0 : EFFORT_BUDGET[effort];
}

/** The largest effort whose budget fits in `budget`. */
export function effortForBudget(budget: number): ReasoningEffort {
  if (budget <= 0) return 'none';
  if (budget < EFFORT_BUDGET.low) return 'minimal';
  if (budget < EFFORT_BUDGET.medium) return 'low';
  if (budget < EFFORT_BUDGET.high) return 'medium';
  return 'high';
}

/** The budget a config implies, whichever form the client used. */
export function reasoningBudget(config: ReasoningConfig): number | undefined {
  return config.budgetTokens ?? (config.effort ? budgetForEffort(config.effort) : undefined);
}

/** The effort a config implies, whichever form the client used. */
export function reasoningEffort(config: ReasoningConfig): ReasoningEffort | undefined {
  return config.effort ?? (config.budgetTokens !== undefined ? effortForBudget(config.budgetTokens) : undefined);
}

const SUFFIX = /^(.+?)-(?:thinking-(\d+)|(nothinking)|(minimal|low|medium|high))$/;

/**
 * Model-name suffixes that set reasoning: `-thinking-<N>` (budget N), `-nothinking`,
 * `-minimal`/`-low`/`-medium`/`-high` (effort). Returns undefined for names without one.
 * The router tries the full name first, so a real model ending in `-high` still wins.
 */
export function parseReasoningSuffix(model: string): { model: string; reasoning: ReasoningConfig } | undefined {
  const match = SUFFIX.exec(model);
  if (!match) return undefined;
  const [, base, budget, off, effort] = match;
  if (budget !== undefined) return { model: base!, reasoning: { budgetTokens: Number(budget) } };
  if (off !== undefined) return { model: base!, reasoning: { effort: 'none', budgetTokens: 0 } };
  return { model: base!, reasoning: { effort: effort as ReasoningEffort } };
}
