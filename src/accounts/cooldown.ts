/**
 * Cooldowns per (account, model family): upstream quotas are per family, so an account
 * out of Opus quota still serves Haiku. Times are epoch milliseconds passed in by the
 * caller; nothing here reads a clock.
 */

/**
 * The quota family of a model name, the key cooldowns are kept under:
 * - Claude: `claude-opus`, `claude-sonnet`, `claude-haiku`, whatever the version or date
 *   (`claude-opus-4-5-20251101`, `claude-3-5-sonnet-latest`, Copilot's `claude-sonnet-4.5`),
 *   as Anthropic limits each class across its versions;
 * - Gemini: version and tier (`gemini-2.5-pro`, `gemini-2.5-flash`, `gemini-2.5-flash-lite`,
 *   `gemini-3-pro`), without `-preview…`, `-001` or thinking-level suffixes, as Google
 *   limits each model;
 * - OpenAI: the name without a snapshot date (`gpt-5-2025-08-07` → `gpt-5`; `gpt-5-mini`
 *   stays apart);
 * - anything else: the model name itself.
 * A path prefix (`models/gemini-2.5-pro`, `anthropic/claude-…`) is ignored.
 */
export function modelFamily(model: string): string {
  // Every attempt asks, for the few model names a config routes to: each is classified once.
  let family = families.get(model);
  if (family === undefined) {
    if (families.size >= 1024) families.clear();
    families.set(model, (family = classify(model)));
  }
  return family;
}

const families = new Map<string, string>();

function classify(model: string): string {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  if (name.startsWith('claude-')) {
    const tier = /-(opus|sonnet|haiku)(?:-|$)/.exec(name)?.[1];
    if (tier) return `claude-${tier}`;
  }
  const gemini = /^gemini-\d+(?:\.\d+)*-(?:pro|flash|ultra)(?:-lite|-image)?(?=-|$)/.exec(name)?.[0];
  if (gemini) return gemini;
  if (/^(?:gpt-|o\d)/.test(name)) return name.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  return model;
}

/** Capped exponential backoff, for rate limits that name no reset time. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** The wait after the `strike`-th rate limit in a row (1-based): base, 2×base, 4×base … capped. */
export function backoffMs(strike: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, strike - 1));
}

interface Cooldown {
  until: number;
  /** Rate limits since the last success: the backoff exponent. Kept after `until` passes. */
  strikes: number;
}

export class Cooldowns {
  /** account id → model family → cooldown */
  private readonly entries = new Map<string, Map<string, Cooldown>>();

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /**
   * Records a 429 / quota answer and returns when the account may serve the family again:
   * `resetAt` when the upstream named one, else the next backoff step. A 429 arriving while
   * the cooldown runs was sent before it began, so it neither shortens the cooldown nor
   * grows the backoff (ten concurrent requests are one strike, not ten).
   */
  rateLimited(accountId: string, family: string, now: number, resetAt?: number): number {
    let families = this.entries.get(accountId);
    if (!families) this.entries.set(accountId, (families = new Map()));
    const previous = families.get(family);
    const cooling = previous !== undefined && previous.until > now;
    const strikes = (previous?.strikes ?? 0) + (cooling ? 0 : 1);
    const until = Math.max(resetAt ?? now + backoffMs(strikes, this.policy), cooling ? previous.until : 0);
    families.set(family, { until, strikes });
    return until;
  }

  /** A success: the family is usable and the backoff starts over. */
  succeeded(accountId: string, family: string): void {
    const families = this.entries.get(accountId);
    families?.delete(family);
    if (families?.size === 0) this.entries.delete(accountId);
  }

  /** When the account may serve the family again, or undefined when it may now. */
  coolingUntil(accountId: string, family: string, now: number): number | undefined {
    const until = this.entries.get(accountId)?.get(family)?.until;
    return until !== undefined && until > now ? until : undefined;
  }

  /** Every family the account is cooling down for at `now`, with when each cooldown ends. */
  active(accountId: string, now: number): Array<{ family: string; until: number }> {
    const families = this.entries.get(accountId) ?? new Map<string, Cooldown>();
    return [...families].filter(([, cooldown]) => cooldown.until > now).map(([family, cooldown]) => ({ family, until: cooldown.until }));
  }

  /** Drops everything about an account (removed from the pool). */
  forget(accountId: string): void {
    this.entries.delete(accountId);
  }
}
