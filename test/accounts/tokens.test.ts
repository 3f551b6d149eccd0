// The token lifecycle against a real (loopback) OAuth server: refresh ahead of expiry,
// single-flight, refresh-once on 401, rotated tokens saved before use, needs-login for a
// dead grant, the old token through a provider outage, and the background loop.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountTokenError, TokenManager, type RefreshFn } from '../../src/accounts/tokens.ts';
import type { AccountRecord, AccountStore, Credentials } from '../../src/accounts/types.ts';
import { exchangeCode, refreshTokens, toCredentials, type TokenEndpoint } from '../../src/auth/token-client.ts';
import { Logger } from '../../src/logging/logger.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';

const MINUTE = 60_000;

/** The store is not under test: records and secrets in memory, with the real store's semantics. */
class MemoryStore implements AccountStore {
  readonly records = new Map<string, AccountRecord>();
  /** Serialized, as a SecretStore holds them: what a crash leaves behind. */
  readonly secrets = new Map<string, string>();
  readonly calls = { list: 0, credentials: 0, updateCredentials: 0 };
  /** Slow saves, to show the manager waits for them. */
  saveDelayMs = 0;
  failNextSave = false;

  async list(): Promise<AccountRecord[]> {
    this.calls.list++;
    return [...this.records.values()].map((record) => ({ ...record }));
  }
  async get(id: string): Promise<AccountRecord | undefined> {
    const record = this.records.get(id);
    return record && { ...record };
  }
  async add(record: AccountRecord, credentials: Credentials): Promise<void> {
    this.secrets.set(record.id, JSON.stringify(credentials));
    this.records.set(record.id, { ...record });
  }
  async credentials(id: string): Promise<Credentials | undefined> {
    this.calls.credentials++;
    const secret = this.secrets.get(id);
    return secret === undefined ? undefined : (JSON.parse(secret) as Credentials);
  }
  async updateCredentials(id: string, credentials: Credentials): Promise<void> {
    this.calls.updateCredentials++;
    await new Promise((resolve) => setTimeout(resolve, this.saveDelayMs));
    if (this.failNextSave) {
      this.failNextSave = false;
      throw new Error('keychain is locked');
    }
    this.secrets.set(id, JSON.stringify(credentials));
    // Like the real store: fresh credentials end needs-login.
    const record = this.records.get(id)!;
    if (record.state === 'needs-login') this.records.set(id, { ...record, state: 'active', lastError: undefined });
  }
  async update(id: string, patch: Partial<Omit<AccountRecord, 'id' | 'provider' | 'createdAt'>>): Promise<AccountRecord> {
    const current = this.records.get(id);
    if (!current) throw new Error(`no account ${id}`);
    const next = { ...current, ...patch };
    for (const key of Object.keys(next) as (keyof AccountRecord)[]) if (next[key] === undefined) delete next[key];
    this.records.set(id, next);
    return { ...next };
  }
  async remove(id: string): Promise<boolean> {
    return this.secrets.delete(id) && this.records.delete(id);
  }
  stored(id: string): Credentials {
    return JSON.parse(this.secrets.get(id)!) as Credentials;
  }
}

let fake: FakeOAuthServer;
let endpoint: TokenEndpoint;
let store: MemoryStore;
let logger: Logger;
let clock: number;
const managers: TokenManager[] = [];

beforeEach(async () => {
  fake = await startFakeOAuthServer();
  endpoint = { url: `${fake.url}/token`, clientId: fake.config.clientId };
  store = new MemoryStore();
  logger = new Logger({ level: 'debug', bufferLines: 1000, write: () => {} });
  clock = Date.now();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop()));
  await fake.close();
});

/** A standard OAuth refresh against the fake, as a provider module would write it. */
const oauthRefresh: RefreshFn = async (credentials) => toCredentials(await refreshTokens(endpoint, credentials.refreshToken ?? ''));

function manager(options: { store?: AccountStore; now?: () => number } = {}): TokenManager {
  const created = new TokenManager({ store: options.store ?? store, refreshers: { claude: oauthRefresh }, logger, now: options.now ?? (() => clock) });
  managers.push(created);
  return created;
}

/** A finished authorization-code login at the fake: a live refresh token. */
async function login(): Promise<{ accessToken: string; refreshToken: string }> {
  await fetch(fake.authorizeUrl({ client_id: fake.config.clientId, redirect_uri: `${fake.url}/done`, state: 's' }));
  const code = new URL((await fake.approve()).url).searchParams.get('code')!;
  const tokens = await exchangeCode(endpoint, { code, redirectUri: `${fake.url}/done` });
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken! };
}

/** An account logged in at the fake whose token has the given times (the fake does not check them). */
async function account(
  times: { issuedAt?: number; expiresAt?: number },
  record: Partial<AccountRecord> = {},
): Promise<{ id: string; tokens: Credentials }> {
  const id = record.id ?? 'claude-1';
  const tokens: Credentials = { ...(await login()), idToken: 'id-token-from-login', ...times };
  await store.add({ id, provider: 'claude', label: 'work', createdAt: new Date(0).toISOString(), state: 'active', ...record }, tokens);
  return { id, tokens };
}

async function failure(promise: Promise<unknown>): Promise<AccountTokenError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AccountTokenError);
  return error as AccountTokenError;
}

describe('accessToken', () => {
  it('uses the stored token until a quarter of its lifetime is left, then refreshes first', async () => {
    const issuedAt = clock;
    const { id, tokens } = await account({ issuedAt, expiresAt: issuedAt + 60 * MINUTE }, { lastError: 'an old problem' });
    const tokens$ = manager();

    clock = issuedAt + 44 * MINUTE; // 16 minutes left of 60
    expect(await tokens$.accessToken(id)).toBe(tokens.accessToken);
    expect(fake.counts.refresh).toBe(0);

    clock = issuedAt + 45 * MINUTE + 1; // just under 15 left
    const fresh = await tokens$.accessToken(id);
    expect(fresh).not.toBe(tokens.accessToken);
    expect(fake.counts.refresh).toBe(1);
    expect(await tokens$.accessToken(id)).toBe(fresh);
    expect(fake.counts.refresh).toBe(1);

    const stored = store.stored(id);
    expect(stored.accessToken).toBe(fresh);
    expect(stored.refreshToken).not.toBe(tokens.refreshToken);
    expect(stored.expiresAt).toBe(stored.issuedAt! + 60 * MINUTE);
    const record = await store.get(id);
    expect(record).toMatchObject({ state: 'active', expiresAt: new Date(stored.expiresAt!).toISOString() });
    expect(record).not.toHaveProperty('lastError');
  });

  it('without an issue time, refreshes five minutes before expiry', async () => {
    const expiresAt = clock + 60 * MINUTE;
    const { id, tokens } = await account({ expiresAt });
    const tokens$ = manager();
    clock = expiresAt - 5 * MINUTE - 1;
    expect(await tokens$.accessToken(id)).toBe(tokens.accessToken);
    clock = expiresAt - 5 * MINUTE;
    expect(await tokens$.accessToken(id)).not.toBe(tokens.accessToken);
    expect(fake.counts.refresh).toBe(1);
  });

  it('keeps fields the refresh did not resend, and takes the new expiry even when the refresh gives none', async () => {
    const { id, tokens } = await account({ issuedAt: clock - 50 * MINUTE, expiresAt: clock + 10 * MINUTE });
    await store.updateCredentials(id, { ...store.stored(id), extra: { projectId: 'p-1' } });
    fake.config.expiresIn = undefined;
    expect(await manager().accessToken(id)).not.toBe(tokens.accessToken);
    const stored = store.stored(id);
    expect(stored.extra).toEqual({ projectId: 'p-1' });
    expect(stored.expiresAt).toBeUndefined();
  });

  it('refreshes once for 100 concurrent callers, reading the secret store once', async () => {
    const { id, tokens } = await account({ issuedAt: clock - 50 * MINUTE, expiresAt: clock + 10 * MINUTE });
    const tokens$ = manager();
    const results = await Promise.all(Array.from({ length: 100 }, () => tokens$.accessToken(id)));
    expect(fake.counts.refresh).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).not.toBe(tokens.accessToken);
    // One read to load the account, one just before the refresh (for tokens replaced elsewhere).
    expect(store.calls.credentials).toBe(2);
    expect(store.calls.updateCredentials).toBe(1);
  });
});

describe('refreshAfterUnauthorized', () => {
  it('refreshes once for two requests refused with the same token, and not again for a late third', async () => {
    const { id, tokens } = await account({ issuedAt: clock, expiresAt: clock + 60 * MINUTE });
    const tokens$ = manager();
    const old = await tokens$.accessToken(id);
    expect(old).toBe(tokens.accessToken);

    const [first, second] = await Promise.all([tokens$.refreshAfterUnauthorized(id, old), tokens$.refreshAfterUnauthorized(id, old)]);
    expect(first.accessToken).not.toBe(old);
    expect(second.accessToken).toBe(first.accessToken);
    expect(fake.counts.refresh).toBe(1);

    expect((await tokens$.refreshAfterUnauthorized(id, old)).accessToken).toBe(first.accessToken);
    expect(fake.counts.refresh).toBe(1);

    // The new token refused too: that is a new refresh (the caller decides whether to retry again).
    const third = await tokens$.refreshAfterUnauthorized(id, first.accessToken);
    expect(third.accessToken).not.toBe(first.accessToken);
    expect(fake.counts.refresh).toBe(2);
  });
});

describe('rotated refresh tokens', () => {
  it('are saved before the new access token is returned: a crash right after loses nothing', async () => {
    const { id, tokens } = await account({ issuedAt: clock - 50 * MINUTE, expiresAt: clock + 10 * MINUTE });
    store.saveDelayMs = 50;
    const fresh = await manager().accessToken(id);

    // "Crash": all that survives is what the store holds at this instant.
    const survivor = new MemoryStore();
    survivor.records.set(id, (await store.get(id))!);
    survivor.secrets.set(id, store.secrets.get(id)!);
    expect(survivor.stored(id)).toMatchObject({ accessToken: fresh });
    expect(survivor.stored(id).refreshToken).not.toBe(tokens.refreshToken);

    // The restarted process refreshes with the saved token; the provider accepts it.
    const restarted = manager({ store: survivor });
    expect(await restarted.refreshAfterUnauthorized(id, fresh)).not.toBe(fresh);
    expect(await survivor.get(id)).toMatchObject({ state: 'active' });
    expect(fake.counts.refresh).toBe(2);
  });

  it('that could not be saved are kept and saved on the next attempt, without refreshing again', async () => {
    const { id, tokens } = await account({ issuedAt: clock - 50 * MINUTE, expiresAt: clock + 10 * MINUTE });
    const tokens$ = manager();
    store.failNextSave = true;
    // Not saved, so not handed out; the old token still works.
    expect(await tokens$.accessToken(id)).toBe(tokens.accessToken);
    expect(store.stored(id).refreshToken).toBe(tokens.refreshToken);
    expect(fake.counts.refresh).toBe(1);

    clock += 31_000;
    const fresh = await tokens$.accessToken(id);
    expect(fresh).not.toBe(tokens.accessToken);
    expect(fake.counts.refresh).toBe(1);
    expect(store.stored(id)).toMatchObject({ accessToken: fresh });
  });

  it('refreshed by another process are picked up from the store instead of spending a dead refresh token', async () => {
    // Issued 50 minutes ago: both processes cached it back then, and now it is due.
    const issuedAt = clock - 50 * MINUTE;
    const { id, tokens } = await account({ issuedAt, expiresAt: issuedAt + 60 * MINUTE });
    const now = clock;
    clock = issuedAt;
    const one = manager();
    const two = manager();
    expect(await one.accessToken(id)).toBe(tokens.accessToken);
    expect(await two.accessToken(id)).toBe(tokens.accessToken);

    clock = now;
    const fresh = await one.accessToken(id);
    expect(await two.accessToken(id)).toBe(fresh);
    expect(fake.counts.refresh).toBe(1);
    expect(await store.get(id)).toMatchObject({ state: 'active' });
  });
});

describe('a dead grant', () => {
  it('marks the account needs-login with the command that fixes it, and stops asking the provider', async () => {
    const { id } = await account({ issuedAt: clock - 50 * MINUTE, expiresAt: clock + 10 * MINUTE }, { label: 'work laptop' });
    const tokens$ = manager();
    fake.revokeRefreshTokens();

    const error = await failure(tokens$.accessToken(id));
    expect(error).toMatchObject({ problem: 'needs-login', accountId: id, status: 503, code: 'account_needs_login' });
    const record = await store.get(id);
    expect(record?.state).toBe('needs-login');
    expect(record?.lastError).toContain("llm-mux login claude --label 'work laptop'");
    expect(record?.lastError).toContain('invalid_grant');
    expect(error.message).toContain(record!.lastError!);
    expect(fake.counts.refresh).toBe(1);

    expect((await failure(tokens$.accessToken(id))).problem).toBe('needs-login');
    expect((await failure(tokens$.refreshAfterUnauthorized(id, 'anything'))).problem).toBe('needs-login');
    expect(fake.counts.refresh).toBe(1);

    // A new login brings it back.
    const relogin = await login();
    await store.updateCredentials(id, { ...relogin, issuedAt: clock, expiresAt: clock + 60 * MINUTE });
    expect(await tokens$.accessToken(id)).toBe(relogin.accessToken);
  });
});

describe('a provider outage (5xx)', () => {
  it('keeps the account active and its old token in use while it lasts, without hammering the provider', async () => {
    const expiresAt = clock + 10 * MINUTE;
    const { id, tokens } = await account({ issuedAt: clock - 50 * MINUTE, expiresAt });
    const tokens$ = manager();

    fake.failNextToken(503, { error: 'temporarily_unavailable' });
    expect(await tokens$.accessToken(id)).toBe(tokens.accessToken);
    clock += 1000;
    expect(await tokens$.accessToken(id)).toBe(tokens.accessToken);
    expect(fake.counts.refresh).toBe(0); // The failed request never reached the refresh grant handler.
    expect(fake.tokenRequests).toHaveLength(2); // The login's code exchange and one refresh attempt.
    expect(await store.get(id)).toMatchObject({ state: 'active' });

    const warning = logger.lines().find((line) => line.message === 'token refresh failed; will retry');
    expect(warning?.fields).toMatchObject({ account: id, provider: 'claude', error: expect.stringContaining('temporarily_unavailable') });
    const logged = JSON.stringify(logger.lines());
    expect(logged).not.toContain(tokens.refreshToken!);
    expect(logged).not.toContain(tokens.accessToken!);

    // Expired: nothing left to fall back on.
    clock = expiresAt;
    fake.failNextToken(502);
    const error = await failure(tokens$.accessToken(id));
    expect(error).toMatchObject({ problem: 'unavailable', code: 'account_token_unavailable' });
    expect(fake.tokenRequests).toHaveLength(3);
    // Right after a failure, callers are told at once, without another request.
    clock += 1000;
    expect((await failure(tokens$.accessToken(id))).problem).toBe('unavailable');
    expect(fake.tokenRequests).toHaveLength(3);
    expect(await store.get(id)).toMatchObject({ state: 'active' });

    clock += 30_000;
    expect(await tokens$.accessToken(id)).not.toBe(tokens.accessToken);
    expect(fake.counts.refresh).toBe(1);
  });
});

describe('the background loop', () => {
  it('refreshes accounts as they fall due, and only active, refreshable ones', async () => {
    const now = Date.now();
    const dueNow = await account({ issuedAt: now - 120 * MINUTE, expiresAt: now + 10 * MINUTE }, { id: 'claude-due' });
    const dueSoon = await account({ expiresAt: now + 5 * MINUTE + 600 }, { id: 'claude-soon', label: 'soon' });
    const fresh = await account({ issuedAt: now, expiresAt: now + 60 * MINUTE }, { id: 'claude-fresh', label: 'fresh' });
    const dead = await account({ expiresAt: now }, { id: 'claude-dead', label: 'dead', state: 'needs-login' });
    const off = await account({ expiresAt: now }, { id: 'claude-off', label: 'off', state: 'disabled' });
    await store.add({ id: 'openai-1', provider: 'openai', label: 'key', createdAt: new Date(0).toISOString(), state: 'active' }, { apiKey: 'sk-x' });
    const tokens$ = manager({ now: Date.now });

    tokens$.start();
    await expect.poll(() => store.stored(dueNow.id).accessToken, { timeout: 5000, interval: 20 }).not.toBe(dueNow.tokens.accessToken);
    expect(store.stored(dueSoon.id).accessToken).toBe(dueSoon.tokens.accessToken);
    await expect.poll(() => store.stored(dueSoon.id).accessToken, { timeout: 5000, interval: 20 }).not.toBe(dueSoon.tokens.accessToken);
    await tokens$.stop();

    expect(fake.counts.refresh).toBe(2);
    for (const untouched of [fresh, dead, off]) expect(store.stored(untouched.id)).toEqual(untouched.tokens);
    // Requests now get the refreshed token without waiting for anything.
    expect(await tokens$.accessToken(dueNow.id)).toBe(store.stored(dueNow.id).accessToken);
    expect(fake.counts.refresh).toBe(2);
  });

  it('stops cleanly: the next wake is cancelled', async () => {
    const now = Date.now();
    const { id, tokens } = await account({ expiresAt: now + 5 * MINUTE + 300 });
    const tokens$ = manager({ now: Date.now });
    tokens$.start();
    await expect.poll(() => store.calls.list, { timeout: 5000, interval: 10 }).toBe(1);
    await tokens$.stop();

    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(store.calls.list).toBe(1);
    expect(fake.counts.refresh).toBe(0);
    expect(store.stored(id)).toEqual(tokens);
  });
});

describe('forget', () => {
  it('drops the cached credentials, so that a new login is used at once', async () => {
    const { id, tokens } = await account({ issuedAt: clock, expiresAt: clock + 60 * MINUTE });
    const tokens$ = manager();
    expect(await tokens$.accessToken(id)).toBe(tokens.accessToken);
    const relogin = await login();
    await store.updateCredentials(id, { ...relogin, issuedAt: clock, expiresAt: clock + 60 * MINUTE });
    expect(await tokens$.accessToken(id)).toBe(tokens.accessToken);
    tokens$.forget(id);
    expect(await tokens$.accessToken(id)).toBe(relogin.accessToken);
  });
});
