// Several accounts per provider: which account serves the next request (round-robin or
// fill-first), cooldowns per (account, model family) with capped exponential backoff,
// disabled / needs-login accounts skipped, session affinity. A fake clock: no timers.
import { describe, expect, it } from 'vitest';
import { AffinityTable, affinityKey } from '../../src/accounts/affinity.ts';
import { backoffMs, modelFamily } from '../../src/accounts/cooldown.ts';
import { AccountPool, type AccountPoolOptions, type PickRequest, type PickResult, type PoolAccount } from '../../src/accounts/pool.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const SONNET = 'claude-sonnet';
const HAIKU = 'claude-haiku';

function active(...ids: string[]): PoolAccount[] {
  return ids.map((id) => ({ id, state: 'active' }));
}

/** A pool on a clock the test moves with `advance`. */
function poolOf(accounts: PoolAccount[], options: Omit<AccountPoolOptions, 'clock'> = {}) {
  let now = T0;
  const pool = new AccountPool(accounts, { ...options, clock: () => now });
  return {
    pool,
    advance: (ms: number) => (now += ms),
    now: () => now,
    /** The account picked, failing the test on any other result. */
    next: (request: Partial<PickRequest> = {}): string => accountOf(pool.pick({ modelFamily: SONNET, ...request })),
  };
}

function accountOf(result: PickResult): string {
  if (result.kind !== 'account') throw new Error(`expected an account, got ${JSON.stringify(result)}`);
  return result.accountId;
}

function picks(next: () => string, count: number): string[] {
  return Array.from({ length: count }, () => next());
}

describe('AccountPool selection', () => {
  it('round-robin takes two accounts in turn', () => {
    const { next } = poolOf(active('a', 'b'));
    expect(picks(next, 5)).toEqual(['a', 'b', 'a', 'b', 'a']);
  });

  it('round-robin takes three accounts in list order, then starts over', () => {
    const { next } = poolOf(active('a', 'b', 'c'));
    expect(picks(next, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('round-robin skips an account while it cools down and takes it back after', () => {
    const { pool, next, advance } = poolOf(active('a', 'b', 'c'));
    expect(next()).toBe('a');
    pool.rateLimited('b', SONNET, T0 + 10_000);
    expect(picks(next, 4)).toEqual(['c', 'a', 'c', 'a']);
    advance(10_000);
    expect(picks(next, 3)).toEqual(['b', 'c', 'a']);
  });

  it('fill-first stays on the first account until it cools down, then goes back to it', () => {
    const { pool, next, advance } = poolOf(active('a', 'b', 'c'), { strategy: 'fill-first' });
    expect(picks(next, 3)).toEqual(['a', 'a', 'a']);
    pool.rateLimited('a', SONNET, T0 + 60_000);
    expect(picks(next, 2)).toEqual(['b', 'b']);
    pool.rateLimited('b', SONNET, T0 + 30_000);
    expect(next()).toBe('c');
    advance(30_000);
    expect(next()).toBe('b');
    advance(30_000);
    expect(next()).toBe('a');
  });

  it('skips disabled and needs-login accounts', () => {
    const { next } = poolOf([
      { id: 'a', state: 'disabled' },
      { id: 'b', state: 'active' },
      { id: 'c', state: 'needs-login' },
      { id: 'd', state: 'active' },
    ]);
    expect(picks(next, 4)).toEqual(['b', 'd', 'b', 'd']);
  });

  it('answers no-usable-account when every account is disabled or needs a login', () => {
    const { pool } = poolOf([
      { id: 'a', state: 'disabled' },
      { id: 'b', state: 'needs-login' },
    ]);
    expect(pool.pick({ modelFamily: SONNET })).toEqual({ kind: 'no-usable-account' });
    expect(new AccountPool([]).pick({ modelFamily: SONNET })).toEqual({ kind: 'no-usable-account' });
  });

  it('setAccounts adds, re-states and removes accounts; a removed account comes back without its cooldown', () => {
    const { pool, next } = poolOf(active('a', 'b'), { strategy: 'fill-first' });
    pool.rateLimited('a', SONNET, T0 + 60_000);
    pool.setAccounts([{ id: 'a', state: 'active' }, { id: 'b', state: 'needs-login' }, ...active('c')]);
    expect(next()).toBe('c');
    pool.setAccounts(active('b'));
    expect(next()).toBe('b');
    pool.setAccounts(active('a', 'b'));
    expect(next()).toBe('a');
  });
});

describe('AccountPool cooldowns', () => {
  it('answers all-cooling-down with the earliest reset across usable accounts', () => {
    const { pool, advance } = poolOf([...active('a', 'b', 'c'), { id: 'd', state: 'disabled' }]);
    pool.rateLimited('a', SONNET, T0 + 90_000);
    pool.rateLimited('b', SONNET, T0 + 30_500);
    pool.rateLimited('c', SONNET, T0 + 60_000);
    pool.rateLimited('d', SONNET, T0 + 1_000); // disabled: its reset frees nothing
    expect(pool.pick({ modelFamily: SONNET })).toEqual({ kind: 'all-cooling-down', resetAt: T0 + 30_500, retryAfterSeconds: 31 });
    advance(30_000);
    expect(pool.pick({ modelFamily: SONNET })).toEqual({ kind: 'all-cooling-down', resetAt: T0 + 30_500, retryAfterSeconds: 1 });
    advance(500);
    expect(pool.pick({ modelFamily: SONNET })).toMatchObject({ kind: 'account', accountId: 'b' });
  });

  it('keeps model families apart: an account cooling for Sonnet still serves Haiku', () => {
    const { pool, next } = poolOf(active('a', 'b'), { strategy: 'fill-first' });
    pool.rateLimited('a', SONNET, T0 + 60_000);
    expect(next({ modelFamily: SONNET })).toBe('b');
    expect(next({ modelFamily: HAIKU })).toBe('a');
    pool.rateLimited('b', SONNET, T0 + 30_000);
    expect(pool.pick({ modelFamily: SONNET })).toMatchObject({ kind: 'all-cooling-down', resetAt: T0 + 30_000 });
    expect(next({ modelFamily: HAIKU })).toBe('a');
  });

  it('uses the upstream reset time when there is one, the backoff otherwise', () => {
    const { pool } = poolOf(active('a'));
    expect(pool.rateLimited('a', SONNET, T0 + 3_600_000)).toBe(T0 + 3_600_000);
    expect(pool.rateLimited('a', HAIKU)).toBe(T0 + 1_000);
  });

  it('backs off 1 s, 2 s, 4 s … capped at 5 min, and starts over after a success', () => {
    const { pool, advance, now } = poolOf(active('a'));
    const waits: number[] = [];
    for (let strike = 0; strike < 11; strike++) {
      const until = pool.rateLimited('a', SONNET);
      waits.push(until - now());
      expect(pool.pick({ modelFamily: SONNET })).toMatchObject({ kind: 'all-cooling-down', resetAt: until });
      advance(until - now());
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map((seconds) => seconds * 1_000));
    pool.succeeded('a', SONNET);
    expect(pool.rateLimited('a', SONNET) - now()).toBe(1_000);
  });

  it('a success on one family leaves another family’s backoff alone', () => {
    const { pool, advance, now } = poolOf(active('a'));
    pool.rateLimited('a', SONNET);
    pool.rateLimited('a', HAIKU);
    advance(1_000);
    pool.succeeded('a', HAIKU);
    expect(pool.rateLimited('a', SONNET) - now()).toBe(2_000);
    expect(pool.rateLimited('a', HAIKU) - now()).toBe(1_000);
  });

  it('429s arriving during a cooldown (concurrent requests) neither grow the backoff nor shorten the cooldown', () => {
    const { pool, advance, now } = poolOf(active('a'));
    expect(pool.rateLimited('a', SONNET)).toBe(T0 + 1_000);
    expect(pool.rateLimited('a', SONNET)).toBe(T0 + 1_000);
    expect(pool.rateLimited('a', SONNET, T0 + 500)).toBe(T0 + 1_000);
    expect(pool.rateLimited('a', SONNET, T0 + 5_000)).toBe(T0 + 5_000);
    advance(5_000);
    expect(pool.rateLimited('a', SONNET) - now()).toBe(2_000);
  });

  it('backoffMs doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 9, 10, 1_000].map((strike) => backoffMs(strike))).toEqual([1_000, 2_000, 4_000, 256_000, 300_000, 300_000]);
    expect([1, 2, 3].map((strike) => backoffMs(strike, { baseMs: 500, maxMs: 1_500 }))).toEqual([500, 1_000, 1_500]);
  });
});

describe('AccountPool retries within one request', () => {
  it('skips the accounts already tried', () => {
    const { next } = poolOf(active('a', 'b', 'c'), { strategy: 'fill-first' });
    expect(next({ exclude: ['a'] })).toBe('b');
    expect(next({ exclude: new Set(['a', 'b']) })).toBe('c');
  });

  it('answers all-cooling-down when the accounts tried were rate limited', () => {
    const { pool } = poolOf(active('a', 'b'));
    expect(accountOf(pool.pick({ modelFamily: SONNET }))).toBe('a');
    pool.rateLimited('a', SONNET, T0 + 20_000);
    expect(accountOf(pool.pick({ modelFamily: SONNET, exclude: ['a'] }))).toBe('b');
    pool.rateLimited('b', SONNET, T0 + 10_000);
    expect(pool.pick({ modelFamily: SONNET, exclude: ['a', 'b'] })).toEqual({ kind: 'all-cooling-down', resetAt: T0 + 10_000, retryAfterSeconds: 10 });
  });

  it('answers all-tried when every usable account was tried and none is cooling down', () => {
    const { pool } = poolOf([...active('a', 'b'), { id: 'c', state: 'disabled' }]);
    expect(pool.pick({ modelFamily: SONNET, exclude: ['a', 'b'] })).toEqual({ kind: 'all-tried' });
  });
});

describe('AccountPool session affinity', () => {
  const TTL = 5 * 60_000;

  it('keeps a conversation on its account while round-robin spreads new ones', () => {
    const { pool } = poolOf(active('a', 'b', 'c'), { affinityTtlMs: TTL });
    const pick = (affinityKey?: string) => pool.pick({ modelFamily: SONNET, affinityKey });
    expect(pick('one')).toEqual({ kind: 'account', accountId: 'a', sticky: false });
    expect(pick('two')).toEqual({ kind: 'account', accountId: 'b', sticky: false });
    expect(pick('one')).toEqual({ kind: 'account', accountId: 'a', sticky: true });
    expect(pick()).toEqual({ kind: 'account', accountId: 'c', sticky: false });
    expect(pick('two')).toEqual({ kind: 'account', accountId: 'b', sticky: true });
    expect(pick('three')).toEqual({ kind: 'account', accountId: 'a', sticky: false });
  });

  it('forgets a conversation TTL after its last request; each request restarts the TTL', () => {
    const { next, advance } = poolOf(active('a', 'b'), { affinityTtlMs: TTL });
    expect(next({ affinityKey: 'one' })).toBe('a');
    advance(TTL - 1);
    expect(next({ affinityKey: 'one' })).toBe('a');
    advance(TTL - 1);
    expect(next({ affinityKey: 'one' })).toBe('a');
    advance(TTL);
    expect(next({ affinityKey: 'one' })).toBe('b'); // expired: round-robin's turn
  });

  it('moves the conversation when its account cools down, and keeps it where it moved', () => {
    const { pool, next, advance } = poolOf(active('a', 'b'), { affinityTtlMs: TTL });
    expect(next({ affinityKey: 'one' })).toBe('a');
    pool.rateLimited('a', SONNET, T0 + 10_000);
    expect(pool.pick({ modelFamily: SONNET, affinityKey: 'one' })).toEqual({ kind: 'account', accountId: 'b', sticky: false });
    advance(10_000);
    expect(pool.pick({ modelFamily: SONNET, affinityKey: 'one' })).toEqual({ kind: 'account', accountId: 'b', sticky: true });
  });

  it('moves the conversation when its account is tried already, disabled or needs a login', () => {
    const { pool, next } = poolOf(active('a', 'b', 'c'), { affinityTtlMs: TTL, strategy: 'fill-first' });
    expect(next({ affinityKey: 'one', exclude: ['a'] })).toBe('b');
    expect(next({ affinityKey: 'one', exclude: ['b'] })).toBe('a');
    pool.setAccounts([{ id: 'a', state: 'needs-login' }, ...active('b', 'c')]);
    expect(next({ affinityKey: 'one' })).toBe('b');
    pool.setAccounts([{ id: 'a', state: 'active' }, { id: 'b', state: 'disabled' }, ...active('c')]);
    expect(next({ affinityKey: 'one' })).toBe('a');
  });

  it('binds per model family: a side request on another model does not move the conversation', () => {
    const { pool, next } = poolOf(active('a', 'b'), { affinityTtlMs: TTL });
    expect(next({ affinityKey: 'one', modelFamily: SONNET })).toBe('a');
    pool.rateLimited('a', HAIKU, T0 + 60_000);
    expect(next({ affinityKey: 'one', modelFamily: HAIKU })).toBe('b');
    expect(next({ affinityKey: 'one', modelFamily: SONNET })).toBe('a');
  });

  it('is off without a TTL: the key is ignored', () => {
    const { next } = poolOf(active('a', 'b'));
    expect(picks(() => next({ affinityKey: 'one' }), 3)).toEqual(['a', 'b', 'a']);
  });

  it('AffinityTable holds a bounded number of bindings, dropping the least recently used', () => {
    const table = new AffinityTable(TTL, 2);
    table.set('one', 'a', T0);
    table.set('two', 'b', T0);
    expect(table.get('one', T0)).toBe('a');
    table.set('one', 'a', T0 + 1); // 'one' is now the most recently used
    table.set('three', 'c', T0 + 2);
    expect([table.get('one', T0 + 3), table.get('two', T0 + 3), table.get('three', T0 + 3)]).toEqual(['a', undefined, 'c']);
  });
});

describe('modelFamily', () => {
  it.each([
    ['claude-opus-4-5-20251101', 'claude-opus'],
    ['claude-opus-4-1', 'claude-opus'],
    ['claude-3-opus-20240229', 'claude-opus'],
    ['claude-opus-4-5-thinking', 'claude-opus'],
    ['claude-sonnet-4-5', 'claude-sonnet'],
    ['claude-sonnet-4.5', 'claude-sonnet'],
    ['claude-3-5-sonnet-latest', 'claude-sonnet'],
    ['claude-haiku-4-5-20251001', 'claude-haiku'],
    ['anthropic/claude-sonnet-4', 'claude-sonnet'],
    ['gemini-2.5-pro', 'gemini-2.5-pro'],
    ['models/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['gemini-2.5-flash', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-preview-09-2025', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
    ['gemini-2.5-flash-image-preview', 'gemini-2.5-flash-image'],
    ['gemini-2.0-flash-001', 'gemini-2.0-flash'],
    ['gemini-3-pro-preview', 'gemini-3-pro'],
    ['gemini-3-pro-high', 'gemini-3-pro'],
    ['gemini-3.1-pro-preview', 'gemini-3.1-pro'],
    ['gpt-5', 'gpt-5'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['gpt-5-mini', 'gpt-5-mini'],
    ['gpt-5-mini-2025-08-07', 'gpt-5-mini'],
    ['gpt-5.1-codex-max', 'gpt-5.1-codex-max'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['qwen3-coder-plus', 'qwen3-coder-plus'],
    ['claude-instant-1', 'claude-instant-1'],
    ['gemini-exp-1206', 'gemini-exp-1206'],
    ['llama3.1:8b', 'llama3.1:8b'],
  ])('%s → %s', (model, family) => {
    expect(modelFamily(model)).toBe(family);
  });
});

describe('affinityKey', () => {
  const system = 'You are a careful assistant.';
  const first = 'Refactor the parser.';

  it('uses Anthropic metadata.user_id, then OpenAI prompt_cache_key', () => {
    expect(affinityKey({ metadata: { user_id: 'user_abc_session_123' }, messages: [{ role: 'user', content: first }] })).toBe('user:user_abc_session_123');
    expect(affinityKey({ prompt_cache_key: 'conv-42', input: first })).toBe('cache:conv-42');
  });

  it('otherwise hashes the system prompt and first user message, identical for every later turn', () => {
    const turn1 = { system, messages: [{ role: 'user', content: [{ type: 'text', text: first, cache_control: { type: 'ephemeral' } }] }] };
    const turn2 = {
      system,
      messages: [
        { role: 'user', content: [{ type: 'text', text: first }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Done.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Now add tests.', cache_control: { type: 'ephemeral' } }] },
      ],
    };
    const key = affinityKey(turn1);
    expect(key).toMatch(/^prompt:[0-9a-f]{32}$/);
    expect(affinityKey(turn2)).toBe(key);
    expect(affinityKey({ ...turn1, system: 'Another system prompt.' })).not.toBe(key);
    expect(affinityKey({ system, messages: [{ role: 'user', content: 'Another question.' }] })).not.toBe(key);
  });

  it('gives one conversation the same key in every protocol and in canonical form', () => {
    const bodies = {
      anthropic: { system, messages: [{ role: 'user', content: first }] },
      canonical: { system: [{ type: 'text', text: system }], messages: [{ role: 'user', content: [{ type: 'text', text: first }] }], stream: false },
      chat: { messages: [{ role: 'system', content: system }, { role: 'user', content: first }] },
      responses: { instructions: system, input: first },
      responsesItems: { input: [{ role: 'developer', content: system }, { type: 'message', role: 'user', content: [{ type: 'input_text', text: first }] }] },
      gemini: { systemInstruction: { parts: [{ text: system }] }, contents: [{ parts: [{ text: first }] }] },
      ollamaGenerate: { system, prompt: first },
    };
    const keys = new Set(Object.values(bodies).map(affinityKey));
    expect([...keys]).toHaveLength(1);
    expect([...keys][0]).toMatch(/^prompt:/);
  });

  it('ignores images, so a re-encoded image keeps the key', () => {
    const withImage = (data: string) => ({
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }, { type: 'text', text: first }] }],
    });
    expect(affinityKey(withImage('AAAA'))).toBe(affinityKey(withImage('BBBB')));
    expect(affinityKey(withImage('AAAA'))).toBe(affinityKey({ messages: [{ role: 'user', content: first }] }));
  });

  it('is undefined when there is nothing to key on', () => {
    expect(affinityKey(undefined)).toBeUndefined();
    expect(affinityKey('text')).toBeUndefined();
    expect(affinityKey({ model: 'x' })).toBeUndefined();
    expect(affinityKey({ messages: [{ role: 'user', content: '  ' }] })).toBeUndefined();
    expect(affinityKey({ metadata: { user_id: '' }, prompt_cache_key: '', messages: [] })).toBeUndefined();
  });
});
