import { reasoningBudget, reasoningEffort } from '../../core/reasoning.ts';
import type { ReasoningConfig, ReasoningEffort } from '../../core/request.ts';
import { invalid } from './invalid.ts';
import { isGemini3 } from './models.ts';
import type { GeminiThinkingConfig } from './types.ts';

const LEVELS: Record<string, ReasoningEffort> = { minimal: 'minimal', low: 'low', medium: 'medium', high: 'high' };

/** Gemini's "dynamic" budget: the model decides. */
const DYNAMIC_BUDGET = -1;

/**
 * `thinkingConfig` → canonical. A dynamic budget (-1) has no canonical form: it reads as
 * effort `medium`, the middle of the table and OpenAI's default. Budget 0 turns thinking off.
 */
export function reasoningFromThinking(config: GeminiThinkingConfig): ReasoningConfig | undefined {
  const reasoning: ReasoningConfig = {};
  const { thinkingLevel: level, thinkingBudget: budget, includeThoughts } = config;
  if (level !== undefined && level !== 'THINKING_LEVEL_UNSPECIFIED') {
    const effort = LEVELS[String(level).toLowerCase()];
    if (!effort) throw invalid(`Unknown thinkingLevel "${level}".`, 'generationConfig.thinkingConfig.thinkingLevel');
    reasoning.effort = effort;
  }
  if (budget !== undefined && !Number.isInteger(budget)) {
    throw invalid('thinkingBudget must be an integer.', 'generationConfig.thinkingConfig.thinkingBudget');
  }
  if (budget === DYNAMIC_BUDGET) reasoning.effort ??= 'medium';
  else if (budget !== undefined) {
    reasoning.budgetTokens = budget;
    if (budget === 0) reasoning.effort = 'none';
  }
  if (includeThoughts !== undefined) reasoning.includeThoughts = includeThoughts;
  return Object.keys(reasoning).length > 0 ? reasoning : undefined;
}

/**
 * Canonical → `thinkingConfig`. Gemini 3 gets a level (it cannot switch thinking off, so
 * `none` asks for the lowest), older models a budget from the shared table. Thoughts are
 * included whenever reasoning is on, unless the client said otherwise.
 */
export function thinkingConfigFor(model: string, reasoning: ReasoningConfig): GeminiThinkingConfig {
  const config: GeminiThinkingConfig = {};
  const effort = reasoningEffort(reasoning);
  if (isGemini3(model)) {
    if (effort) config.thinkingLevel = effort === 'medium' || effort === 'high' ? 'high' : 'low';
  } else {
    const budget = reasoningBudget(reasoning);
    if (budget !== undefined) config.thinkingBudget = budgetWithinLimits(model, budget);
  }
  const includeThoughts = reasoning.includeThoughts ?? (effort === undefined ? undefined : effort !== 'none');
  if (includeThoughts !== undefined) config.includeThoughts = includeThoughts;
  return config;
}

/** Documented thinkingBudget ranges; first match wins. Pro cannot switch thinking off. */
const BUDGET_RANGES: ReadonlyArray<[RegExp, { min: number; max: number; canDisable: boolean }]> = [
  [/gemini-2\.5-pro/, { min: 128, max: 32768, canDisable: false }],
  [/gemini-2\.5-flash-lite/, { min: 512, max: 24576, canDisable: true }],
  [/gemini-2\.5-flash/, { min: 1, max: 24576, canDisable: true }],
];

/** The budget clamped into what the model accepts, so the shared table never earns a 400. */
function budgetWithinLimits(model: string, budget: number): number {
  const range = BUDGET_RANGES.find(([pattern]) => pattern.test(model))?.[1];
  if (!range) return budget;
  if (budget === 0) return range.canDisable ? 0 : range.min;
  return Math.min(Math.max(budget, range.min), range.max);
}
