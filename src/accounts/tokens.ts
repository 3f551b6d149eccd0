import { TokenError } from '../auth/errors.ts';
import { ProxyError } from '../core/errors.ts';
import type { Logger } from '../logging/logger.ts';
import { loginCommand } from './login-hint.ts';
import type { AccountRecord, AccountStore, Credentials } from './types.ts';

/**
 * A provider's way to renew an account's token: a standard OAuth refresh, GitHub's Copilot
 * token exchange… It returns the new token's credentials; fields it leaves out (id_token,
 * project id…) are kept from the old ones, except issuedAt and expiresAt, which describe
 * the new token only. It throws a TokenError, `permanent` when the grant is dead.
 */
export type RefreshFn = (credentials: Credentials) => Promise<Credentials>;

export interface TokenManagerOptions {
  store: AccountStore;
  /** By AccountRecord.provider. Accounts of other providers get their stored token as long as it lasts. */
  refreshers: Readonly<Record<string, RefreshFn>>;
  logger: Logger;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
}

/** Why an account cannot give a token right now; either way the gateway should try another account. */
export type AccountTokenProblem = 'needs-login' | 'unavailable';

/**
 * An account that has no usable token: `needs-login` until the user logs in again (the
 * record's lastError says how), `unavailable` for a while (the token endpoint failed and
 * the old token has expired). A 503 ProxyError, so that it renders as such should no
 * other account be left.
 */
export class AccountTokenError extends ProxyError {
  constructor(
    readonly accountId: string,
    readonly problem: AccountTokenProblem,
    message: string,
  ) {
    super('unavailable', message, { code: problem === 'needs-login' ? 'account_needs_login' : 'account_token_unavailable' });
    this.name = 'AccountTokenError';
  }
}

/** Without an issue time, the lifetime is unknown: refresh this long before expiry. */
const DEFAULT_REFRESH_LEAD_MS = 5 * 60_000;
/** A token this close to expiry may die while a request is in flight: treat it as expired. */
const EXPIRY_MARGIN_MS = 30_000;
/** After a failed refresh, how long to keep using the old token before asking the provider again. */
const RETRY_AFTER_FAILURE_MS = 30_000;
/** The background loop's sleep: never a busy loop, and at least once a minute to see new accounts. */
const LOOP_MIN_SLEEP_MS = 1_000;
const LOOP_MAX_SLEEP_MS = 60_000;

/** What the manager keeps in memory per account, so that requests do not read the secret store. */
interface Entry {
  id: string;
  provider: string;
  credentials: Credentials;
  /** The refresh in progress, which every concurrent caller awaits. */
  inflight?: Promise<UsableCredentials>;
  /** The last failed refresh: no new attempt before retryAt (Infinity once the grant is dead). */
  failure?: { message: string; retryAt: number };
  /** Refreshed credentials that could not be saved: the only copy of a rotated refresh token. */
  unsaved?: Credentials;
}

/** Credentials whose access token can be used now. */
export type UsableCredentials = Credentials & { accessToken: string };

/**
 * Keeps OAuth accounts' access tokens valid: refreshes at a quarter of their lifetime
 * left, one refresh at a time per account, saves rotated tokens before anyone uses them,
 * and marks accounts whose grant is dead as needs-login.
 */
export class TokenManager {
  private readonly store: AccountStore;
  private readonly refreshers: Readonly<Record<string, RefreshFn>>;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;

  constructor(options: TokenManagerOptions) {
    this.store = options.store;
    this.refreshers = options.refreshers;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  /** A valid access token for the account, refreshed first when it is due. Throws AccountTokenError. */
  async accessToken(accountId: string): Promise<string> {
    return (await this.credentials(accountId)).accessToken;
  }

  /** The account's credentials with a valid access token (and the provider values kept with it). Throws AccountTokenError. */
  async credentials(accountId: string): Promise<UsableCredentials> {
    const entry = await this.entry(accountId);
    const current = entry.credentials;
    if (usable(current, this.now()) && !this.due(entry)) return current;
    try {
      return await this.refresh(entry);
    } catch (error) {
      // A provider hiccup is no reason to drop a token that still works.
      const fallback = entry.credentials;
      if (error instanceof AccountTokenError && error.problem === 'unavailable' && usable(fallback, this.now())) return fallback;
      throw error;
    }
  }

  /**
   * For "401 → refresh once and retry": credentials with a token other than the one the
   * upstream refused. Refreshes only when nobody has since `tokenThatFailed` was handed
   * out; a second 401 is the caller's to handle (no loop here). Throws AccountTokenError.
   */
  async refreshAfterUnauthorized(accountId: string, tokenThatFailed: string): Promise<UsableCredentials> {
    const entry = await this.entry(accountId);
    if (entry.inflight) return entry.inflight;
    if (entry.credentials.accessToken !== tokenThatFailed) return this.credentials(accountId);
    return this.refresh(entry);
  }

  /** Drops what is cached about an account: call it after a new login replaced its credentials, or after removing it. */
  forget(accountId: string): void {
    this.entries.delete(accountId);
    this.loading.delete(accountId);
  }

  /** Starts refreshing tokens ahead of expiry in the background, so that requests seldom wait for one. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.timer) this.wake(0);
  }

  /** Stops the background loop; resolves once a pass in progress has finished. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  private async entry(id: string): Promise<Entry> {
    const cached = this.entries.get(id);
    if (cached) return cached;
    const pending = this.loading.get(id);
    if (pending) return pending;
    // Shared, so that a burst of first requests reads the secret store once.
    const loading = this.load(id);
    this.loading.set(id, loading);
    // Registered first, so it runs before any caller resumes; skipped when forget() came in between.
    loading.then(
      (entry) => {
        if (this.loading.get(id) !== loading) return;
        this.loading.delete(id);
        this.entries.set(id, entry);
      },
      () => {
        if (this.loading.get(id) === loading) this.loading.delete(id);
      },
    );
    return loading;
  }

  private async load(id: string): Promise<Entry> {
    let record: AccountRecord | undefined;
    let credentials: Credentials | undefined;
    try {
      record = await this.store.get(id);
      credentials = record && (await this.store.credentials(id));
    } catch (error) {
      throw new AccountTokenError(id, 'unavailable', `Account ${id}: its credentials could not be read: ${messageOf(error)}`);
    }
    if (!record) throw new AccountTokenError(id, 'unavailable', `There is no account ${id}.`);
    if (record.state === 'needs-login') throw new AccountTokenError(id, 'needs-login', `Account ${id}: ${record.lastError ?? needsLoginMessage(record)}`);
    if (!credentials) throw new AccountTokenError(id, 'needs-login', `Account ${id}: ${needsLoginMessage(record, 'its credentials are missing from the store')}`);
    return { id, provider: record.provider, credentials };
  }

  /** Whether to refresh before handing out the token: due, refreshable, and not right after a failure. */
  private due(entry: Entry): boolean {
    return this.refresherOf(entry.provider) !== undefined && this.nextRefresh(entry) <= this.now();
  }

  private nextRefresh(entry: Entry): number {
    return Math.max(refreshAt(entry.credentials), entry.failure?.retryAt ?? -Infinity);
  }

  /** Single-flight: concurrent callers share one refresh. */
  private refresh(entry: Entry): Promise<UsableCredentials> {
    entry.inflight ??= this.refreshNow(entry).finally(() => {
      entry.inflight = undefined;
    });
    return entry.inflight;
  }

  private async refreshNow(entry: Entry): Promise<UsableCredentials> {
    const refresh = this.refresherOf(entry.provider);
    if (!refresh) throw new AccountTokenError(entry.id, 'unavailable', `Account ${entry.id}: llm-mux cannot refresh ${entry.provider} tokens.`);
    const { failure } = entry;
    if (failure && failure.retryAt > this.now()) {
      throw new AccountTokenError(entry.id, 'unavailable', `Account ${entry.id}: token refresh failed recently (${failure.message}).`);
    }
    let fresh: Credentials;
    try {
      const newer = await this.adoptNewerFromStore(entry);
      if (newer) return newer;
      fresh = entry.unsaved ?? withAccessToken(merge(entry.credentials, await refresh(entry.credentials)));
    } catch (error) {
      if (error instanceof TokenError && error.permanent) throw await this.markNeedsLogin(entry, error.message);
      throw this.transientFailure(entry, error);
    }
    return this.save(entry, fresh as UsableCredentials);
  }

  /**
   * Another llm-mux process, or a new login, may have replaced the tokens since we cached
   * them; refreshing with our copy would then spend a rotated (dead) refresh token.
   */
  private async adoptNewerFromStore(entry: Entry): Promise<UsableCredentials | undefined> {
    const stored = await this.store.credentials(entry.id);
    if (!stored) throw new TokenError('its credentials are missing from the store', true);
    if (stored.accessToken === entry.credentials.accessToken && stored.refreshToken === entry.credentials.refreshToken) return undefined;
    entry.credentials = stored;
    entry.unsaved = undefined;
    return usable(stored, this.now()) && refreshAt(stored) > this.now() ? stored : undefined;
  }

  /** Saves before returning: once the provider rotated the refresh token, the store must have the new one. */
  private async save(entry: Entry, fresh: UsableCredentials): Promise<UsableCredentials> {
    try {
      await this.store.updateCredentials(entry.id, fresh);
    } catch (error) {
      entry.unsaved = fresh; // Saved on the next attempt instead of refreshing again.
      throw this.transientFailure(entry, error, 'refreshed credentials could not be saved');
    }
    entry.credentials = fresh;
    entry.unsaved = undefined;
    entry.failure = undefined;
    await this.markActive(entry.id, fresh);
    return fresh;
  }

  private async markActive(id: string, credentials: Credentials): Promise<void> {
    try {
      const record = await this.store.get(id);
      await this.store.update(id, {
        expiresAt: credentials.expiresAt === undefined ? undefined : new Date(credentials.expiresAt).toISOString(),
        lastError: undefined,
        // A disabled account stays disabled: that was the user's choice, not a token problem.
        state: record?.state === 'disabled' ? 'disabled' : 'active',
      });
    } catch (error) {
      // The token is saved and works; only the listing lags behind.
      this.logger.warn('account record not updated after token refresh', { account: id, error: messageOf(error) });
    }
  }

  private async markNeedsLogin(entry: Entry, reason: string): Promise<AccountTokenError> {
    // Never again with these credentials (the background pass in progress reads this).
    entry.failure = { message: reason, retryAt: Infinity };
    // The next use reads the store again, which says needs-login until a new login.
    if (this.entries.get(entry.id) === entry) this.entries.delete(entry.id);
    this.logger.warn('token refresh refused; account needs login', { account: entry.id, provider: entry.provider, error: reason });
    try {
      const record = await this.store.get(entry.id);
      const lastError = needsLoginMessage(record ?? { provider: entry.provider }, reason);
      await this.store.update(entry.id, { lastError, state: record?.state === 'disabled' ? 'disabled' : 'needs-login' });
      return new AccountTokenError(entry.id, 'needs-login', `Account ${entry.id}: ${lastError}`);
    } catch (error) {
      this.logger.warn('account not marked needs-login', { account: entry.id, error: messageOf(error) });
      return new AccountTokenError(entry.id, 'needs-login', `Account ${entry.id}: ${needsLoginMessage({ provider: entry.provider }, reason)}`);
    }
  }

  private transientFailure(entry: Entry, error: unknown, what = 'token refresh failed'): AccountTokenError {
    const message = `${what}: ${messageOf(error)}`;
    entry.failure = { message, retryAt: this.now() + RETRY_AFTER_FAILURE_MS };
    // TokenError messages name the host and OAuth error, never a token.
    this.logger.warn('token refresh failed; will retry', {
      account: entry.id,
      provider: entry.provider,
      error: message,
      retryInS: RETRY_AFTER_FAILURE_MS / 1000,
    });
    return new AccountTokenError(entry.id, 'unavailable', `Account ${entry.id}: ${message}`);
  }

  private refresherOf(provider: string): RefreshFn | undefined {
    return Object.hasOwn(this.refreshers, provider) ? this.refreshers[provider] : undefined;
  }

  private wake(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pass = this.runPass();
    }, delayMs);
    // Never the reason the process stays alive.
    this.timer.unref();
  }

  private async runPass(): Promise<void> {
    let next: number;
    try {
      next = await this.refreshDue();
    } catch (error) {
      this.logger.warn('background token refresh failed', { error: messageOf(error) });
      next = this.now() + RETRY_AFTER_FAILURE_MS;
    }
    if (this.running && !this.timer) this.wake(Math.min(Math.max(next - this.now(), LOOP_MIN_SLEEP_MS), LOOP_MAX_SLEEP_MS));
  }

  /** Refreshes every active account that is due; returns when the next one will be. */
  private async refreshDue(): Promise<number> {
    const records = (await this.store.list()).filter((record) => record.state === 'active' && this.refresherOf(record.provider));
    const entries: Entry[] = [];
    for (const record of records) {
      // One unreadable account must not stop the others' refreshes.
      await this.entry(record.id).then(
        (entry) => entries.push(entry),
        (error: unknown) => this.logger.warn('background token refresh skipped an account', { account: record.id, error: messageOf(error) }),
      );
    }
    const now = this.now();
    // Failures are logged and recorded where they happen.
    await Promise.all(entries.filter((entry) => this.nextRefresh(entry) <= now).map((entry) => this.refresh(entry).catch(() => undefined)));
    return Math.min(Infinity, ...entries.map((entry) => this.nextRefresh(entry)));
  }
}

/** Refresh at a quarter of the lifetime left (or a default lead when the issue time is unknown); now when there is no token. */
function refreshAt(credentials: Credentials): number {
  const { accessToken, issuedAt, expiresAt } = credentials;
  if (!accessToken) return -Infinity;
  if (expiresAt === undefined) return Infinity;
  const lead = issuedAt !== undefined && issuedAt < expiresAt ? (expiresAt - issuedAt) / 4 : DEFAULT_REFRESH_LEAD_MS;
  return expiresAt - Math.max(lead, EXPIRY_MARGIN_MS);
}

function usable(credentials: Credentials, now: number): credentials is UsableCredentials {
  const { accessToken, expiresAt } = credentials;
  return accessToken !== undefined && accessToken !== '' && (expiresAt === undefined || now < expiresAt - EXPIRY_MARGIN_MS);
}

/** The old credentials updated with the refresh's; expiry and issue time belong to the new token alone. */
function merge(old: Credentials, fresh: Credentials): Credentials {
  const { issuedAt: _issuedAt, expiresAt: _expiresAt, ...kept } = old;
  const merged: Credentials = { ...kept, ...fresh };
  if (old.extra && fresh.extra) merged.extra = { ...old.extra, ...fresh.extra };
  return merged;
}

function withAccessToken(credentials: Credentials): UsableCredentials {
  if (!credentials.accessToken) throw new Error('the refresh returned no access token');
  return credentials as UsableCredentials;
}

/** The record's lastError for a dead grant: what happened and the command that fixes it. */
function needsLoginMessage(record: Pick<AccountRecord, 'provider'> & { label?: string }, reason = 'the login has expired'): string {
  return `needs a new login (\`${loginCommand(record.provider, record.label)}\`): ${reason}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
