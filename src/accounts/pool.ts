/**
 * The accounts of one provider and which one serves the next request: skipping accounts
 * that are disabled, need a login, or are cooling down for the model family; keeping a
 * conversation on its account while it can serve it.
 */
import { AffinityTable } from './affinity.ts';
import { type BackoffPolicy, Cooldowns, DEFAULT_BACKOFF } from './cooldown.ts';
import type { AccountRecord } from './types.ts';

/**
 * `round-robin` spreads requests (and so quota use) across accounts; `fill-first` uses the
 * first usable account until it cools down, keeping the others' quota in reserve.
 */
export type SelectionStrategy = 'round-robin' | 'fill-first';

export type PoolAccount = Pick<AccountRecord, 'id' | 'state'>;

export interface AccountPoolOptions {
  strategy?: SelectionStrategy;
  /** How long a conversation stays on its account after its last request; 0 (default) turns affinity off. */
  affinityTtlMs?: number;
  backoff?: BackoffPolicy;
  /** Epoch milliseconds; tests pass a fake clock. */
  clock?: () => number;
}

export interface PickRequest {
  /** See modelFamily() in ./cooldown.ts. */
  modelFamily: string;
  /** See affinityKey() in ./affinity.ts; without one every pick follows the strategy. */
  affinityKey?: string;
  /** Accounts already tried for this request. */
  exclude?: Iterable<string>;
}

export type PickResult =
  /** Try this account; `sticky` when the conversation's binding chose it. */
  | { kind: 'account'; accountId: string; sticky: boolean }
  /** Every usable account is cooling down for the family: answer 429 with this Retry-After. */
  | { kind: 'all-cooling-down'; resetAt: number; retryAfterSeconds: number }
  /** Every usable account was tried for this request and none is cooling: answer with the last upstream answer. */
  | { kind: 'all-tried' }
  /** No account is active (all disabled or needing a login): answer 503 with the `llm-mux login <provider>` hint. */
  | { kind: 'no-usable-account' };

export class AccountPool {
  private accounts: readonly PoolAccount[];
  private readonly strategy: SelectionStrategy;
  private readonly cooldowns: Cooldowns;
  private readonly affinity: AffinityTable | undefined;
  private readonly clock: () => number;
  /** Round-robin: the index in `accounts` to look at first. */
  private cursor = 0;

  constructor(accounts: readonly PoolAccount[], options: AccountPoolOptions = {}) {
    this.accounts = [...accounts];
    this.strategy = options.strategy ?? 'round-robin';
    this.cooldowns = new Cooldowns(options.backoff ?? DEFAULT_BACKOFF);
    this.affinity = options.affinityTtlMs ? new AffinityTable(options.affinityTtlMs) : undefined;
    this.clock = options.clock ?? Date.now;
  }

  /** Replaces the account list (after a login, a state change, a removal); cooldowns of accounts still listed survive. */
  setAccounts(accounts: readonly PoolAccount[]): void {
    const kept = new Set(accounts.map((account) => account.id));
    for (const account of this.accounts) if (!kept.has(account.id)) this.cooldowns.forget(account.id);
    this.accounts = [...accounts];
  }

  pick(request: PickRequest): PickResult {
    const now = this.clock();
    const family = request.modelFamily;
    const usable = this.accounts.filter((account) => account.state === 'active');
    if (usable.length === 0) return { kind: 'no-usable-account' };

    const excluded = request.exclude && new Set(request.exclude);
    const ready = (account: PoolAccount) =>
      account.state === 'active' && !excluded?.has(account.id) && this.cooldowns.coolingUntil(account.id, family, now) === undefined;
    // Per family: a side request on another model (Claude Code's Haiku calls share the
    // session id) must not move the main conversation off its account. Caches are per model anyway.
    const affinity = request.affinityKey === undefined ? undefined : this.affinity;
    const binding = affinity && `${family}\u0000${request.affinityKey}`;
    const boundId = binding && affinity.get(binding, now);
    const bound = boundId === undefined ? undefined : usable.find((account) => account.id === boundId && ready(account));
    const chosen = bound ?? this.select(ready);
    if (chosen) {
      if (binding) affinity.set(binding, chosen.id, now);
      return { kind: 'account', accountId: chosen.id, sticky: chosen === bound };
    }

    const resets = usable.flatMap((account) => this.cooldowns.coolingUntil(account.id, family, now) ?? []);
    if (resets.length === 0) return { kind: 'all-tried' };
    const resetAt = Math.min(...resets);
    return { kind: 'all-cooling-down', resetAt, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1_000)) };
  }

  /**
   * The account answered 429 / quota exhausted for the family: it rests until `resetAt`
   * (from resetTime() in ./reset-time.ts) or, when the upstream named none, a backoff that
   * doubles with each rate limit in a row. Returns when the cooldown ends.
   */
  rateLimited(accountId: string, modelFamily: string, resetAt?: number): number {
    return this.cooldowns.rateLimited(accountId, modelFamily, this.clock(), resetAt);
  }

  /** The account served the family: its backoff starts over. */
  succeeded(accountId: string, modelFamily: string): void {
    this.cooldowns.succeeded(accountId, modelFamily);
  }

  /** The families the account is cooling down for now, with when each cooldown ends (epoch ms). */
  coolingDown(accountId: string): Array<{ family: string; until: number }> {
    return this.cooldowns.active(accountId, this.clock());
  }

  /** Starts an account over without cooldowns: its credentials changed (a new key under the same id). */
  forget(accountId: string): void {
    this.cooldowns.forget(accountId);
  }

  private select(ready: (account: PoolAccount) => boolean): PoolAccount | undefined {
    if (this.strategy === 'fill-first') return this.accounts.find(ready);
    const count = this.accounts.length;
    for (let step = 0; step < count; step++) {
      const index = (this.cursor + step) % count;
      const account = this.accounts[index]!;
      if (!ready(account)) continue;
      this.cursor = (index + 1) % count;
      return account;
    }
    return undefined;
  }
}
