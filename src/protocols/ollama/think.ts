import { reasoningEffort } from '../../core/reasoning.ts';
import type { ReasoningConfig, ReasoningEffort } from '../../core/request.ts';
import { invalid } from './read.ts';
import type { OllamaThink } from './types.ts';

/**
 * `think` → canonical reasoning. `true` means "think, at the model's default level"; the
 * canonical model needs a level, and medium is gpt-oss's default (and maps to a mid-size
 * budget for Anthropic/Gemini). Ollama's `"max"` is above high: canonical high is the top.
 */
export function reasoningFromThink(think: unknown, path: string): ReasoningConfig | undefined {
  if (think === undefined || think === null) return undefined;
  if (think === false) return { effort: 'none' };
  if (think === true) return { effort: 'medium', includeThoughts: true };
  if (think === 'low' || think === 'medium' || think === 'high') return { effort: think, includeThoughts: true };
  if (think === 'max') return { effort: 'high', includeThoughts: true };
  throw invalid(`${path} must be true, false, "low", "medium", "high" or "max"`);
}

/** gpt-oss takes levels (and cannot turn thinking off); other thinking models take a boolean. */
const TAKES_LEVELS = /gpt-oss/i;

/** Canonical reasoning → `think` for `model`; undefined leaves the model's default. */
export function thinkForModel(model: string, reasoning: ReasoningConfig | undefined): OllamaThink | undefined {
  if (!reasoning) return undefined;
  const effort = reasoningEffort(reasoning);
  if (effort === undefined) return reasoning.includeThoughts ? true : undefined;
  return TAKES_LEVELS.test(model) ? levelFor(effort) : effort !== 'none';
}

/** gpt-oss knows low/medium/high only: its lowest level is the closest to "none" and "minimal". */
function levelFor(effort: ReasoningEffort): OllamaThink {
  return effort === 'none' || effort === 'minimal' ? 'low' : effort;
}
