// Several keys and accounts behind one provider, through the real server: each attempt
// picks a pool member, a 429 rests that member for the model family and moves the request
// on before the client sees anything, every member resting is a 429 with the earliest
// reset, session affinity, disabled / needs-login members, reloads. Accounts live in a real
// file credential store in the proxy's temp config dir.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from './support/cleanups.ts';
import { credentialsFilePath } from '../src/accounts/secret-store/file.ts';
import { fileAccountStore, seedAccounts, type SeedAccount } from './support/accounts.ts';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from './support/fake-upstream.ts';
import { startProxy, type TestProxy } from './support/llm-mux.ts';

const onCleanup = cleanupAfterEach();

/** Per key: answer 429 with this Retry-After (seconds), for every model or only the ones listed. */
type Limits = Map<string, { retryAfter: number; models?: string[] }>;

/** An OpenAI-compatible upstream that rate-limits the keys in `limits` and answers the rest with the key it saw. */
async function keyedUpstream(limits: Limits = new Map()): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream((request) => {
    const key = keyOf(request);
    const { model } = JSON.parse(request.body) as { model: string };
    const limit = limits.get(key);
    if (limit && (!limit.models || limit.models.includes(model))) {
      return {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': String(limit.retryAfter) },
        body: JSON.stringify({ error: { message: `Rate limit reached for ${key}`, type: 'requests', param: null, code: 'rate_limit_exceeded' } }),
      };
    }
    return {
      body: JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: `served by ${key}` }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    };
  });
  onCleanup(() => upstream.close());
  return upstream;
}

function keyOf(request: RecordedRequest): string {
  return (request.headers.authorization ?? '').replace(/^Bearer /, '');
}

/** The keys the upstream saw, in order. */
function keysSeen(upstream: FakeUpstream): string[] {
  return upstream.requests.map(keyOf);
}

/** `openai` pointed at the fake, with optional config keys and provider settings; accounts come from the store. */
function openaiConfig(upstream: FakeUpstream, options: { keys?: string[]; extra?: string[] } = {}): string {
  return [
    'credential-store: file',
    'providers:',
    '  openai:',
    `    base-url: ${upstream.url}/v1`,
    `    api-keys: ${JSON.stringify(options.keys ?? [])}`,
    ...(options.extra ?? []).map((line) => `    ${line}`),
  ].join('\n');
}

async function proxy(config: string, accounts: SeedAccount[] = [], managementKey = false): Promise<TestProxy> {
  const started = await startProxy(config, { managementKey, beforeStart: (dir) => seedAccounts(dir, accounts) });
  onCleanup(() => started.close());
  return started;
}

function accounts(...keys: string[]): SeedAccount[] {
  return keys.map((apiKey, index) => ({ id: `openai-${index}`, provider: 'openai', label: `acct-${index}`, apiKey }));
}

function chat(target: TestProxy, model = 'gpt-5', messages: unknown[] = [{ role: 'user', content: 'hi' }]): Promise<Response> {
  return fetch(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages }),
  });
}

async function servedBy(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  return body.choices[0]!.message.content.replace('served by ', '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rotation and cooldown', () => {
  it('two accounts: a 429 moves the request to the other; the rested one is skipped until its Retry-After', async () => {
    const limits: Limits = new Map([['sk-key-a', { retryAfter: 1 }]]);
    const up = await keyedUpstream(limits);
    const p = await proxy(openaiConfig(up), accounts('sk-key-a', 'sk-key-b'));

    expect(await servedBy(await chat(p))).toBe('sk-key-b');
    // The client saw only the success; upstream saw a, then the same request on b.
    expect(keysSeen(up)).toEqual(['sk-key-a', 'sk-key-b']);
    expect(up.requests[1]!.body).toBe(up.requests[0]!.body);

    expect(await servedBy(await chat(p))).toBe('sk-key-b');
    expect(await servedBy(await chat(p))).toBe('sk-key-b');
    expect(keysSeen(up)).toEqual(['sk-key-a', 'sk-key-b', 'sk-key-b', 'sk-key-b']);

    limits.clear();
    await sleep(1_100);
    expect([await servedBy(await chat(p)), await servedBy(await chat(p))].sort()).toEqual(['sk-key-a', 'sk-key-b']);
  });

  it('three members (a config key and two accounts): the rested one is skipped for its model family only', async () => {
    const up = await keyedUpstream(new Map([['sk-key-b', { retryAfter: 60, models: ['gpt-5'] }]]));
    const p = await proxy(openaiConfig(up, { keys: ['sk-key-a'] }), [
      { id: 'openai-b', provider: 'openai', apiKey: 'sk-key-b' },
      { id: 'openai-c', provider: 'openai', apiKey: 'sk-key-c' },
    ]);

    const gpt5: string[] = [];
    for (let i = 0; i < 5; i++) gpt5.push(await servedBy(await chat(p, 'gpt-5')));
    // Round-robin a, b (429 → c), a, c, a: b never serves gpt-5 while it rests.
    expect(gpt5).toEqual(['sk-key-a', 'sk-key-c', 'sk-key-a', 'sk-key-c', 'sk-key-a']);
    expect(keysSeen(up)).toEqual(['sk-key-a', 'sk-key-b', 'sk-key-c', 'sk-key-a', 'sk-key-c', 'sk-key-a']);

    // Another family: b serves it.
    const gpt4o: string[] = [];
    for (let i = 0; i < 3; i++) gpt4o.push(await servedBy(await chat(p, 'gpt-4o')));
    expect(gpt4o.sort()).toEqual(['sk-key-a', 'sk-key-b', 'sk-key-c']);
  });

  it('fill-first stays on the first member until it rests', async () => {
    const limits: Limits = new Map();
    const up = await keyedUpstream(limits);
    const p = await proxy(openaiConfig(up, { keys: ['sk-key-a', 'sk-key-b'], extra: ['strategy: fill-first'] }));
    for (let i = 0; i < 3; i++) expect(await servedBy(await chat(p))).toBe('sk-key-a');
    limits.set('sk-key-a', { retryAfter: 60 });
    for (let i = 0; i < 2; i++) expect(await servedBy(await chat(p))).toBe('sk-key-b');
    expect(keysSeen(up)).toEqual(['sk-key-a', 'sk-key-a', 'sk-key-a', 'sk-key-a', 'sk-key-b', 'sk-key-b']);
  });

  it('a 5xx is retried on the next member within request-retry, without resting the first', async () => {
    let failures = 1;
    const up = await startFakeUpstream((request) =>
      failures-- > 0
        ? { status: 502, body: '{"error":{"message":"bad gateway"}}' }
        : { body: JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'gpt-5', choices: [{ index: 0, message: { role: 'assistant', content: `served by ${keyOf(request)}` }, finish_reason: 'stop' }] }) },
    );
    onCleanup(() => up.close());
    const p = await proxy(openaiConfig(up), accounts('sk-key-a', 'sk-key-b'));
    expect(await servedBy(await chat(p))).toBe('sk-key-b');
    expect(await servedBy(await chat(p))).toBe('sk-key-a');
    expect(keysSeen(up)).toEqual(['sk-key-a', 'sk-key-b', 'sk-key-a']);
  });
});

describe('every member resting', () => {
  const formats = [
    {
      name: 'OpenAI',
      send: (p: TestProxy) => chat(p),
      // The upstream's own error passes through as sent; the proxy's is a rate_limit_error.
      check: (body: any) => expect(['rate_limit_exceeded', 'rate_limited']).toContain(body.error.code),
    },
    {
      name: 'Anthropic',
      send: (p: TestProxy) =>
        fetch(`${p.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ model: 'gpt-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
        }),
      check: (body: any) => expect(body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } }),
    },
    {
      name: 'Gemini',
      send: (p: TestProxy) =>
        fetch(`${p.url}/v1beta/models/gpt-5:generateContent`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
        }),
      check: (body: any) => expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' }),
    },
  ];

  it.each(formats)('is a 429 with Retry-After = the earliest reset, in the $name format', async ({ send, check }) => {
    const up = await keyedUpstream(
      new Map([
        ['sk-key-a', { retryAfter: 30 }],
        ['sk-key-b', { retryAfter: 20 }],
      ]),
    );
    const p = await proxy(openaiConfig(up), accounts('sk-key-a', 'sk-key-b'));

    // Both members answer 429: the client gets the last upstream answer, with the earliest reset.
    const first = await send(p);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('20');
    check(await first.json());
    expect(keysSeen(up)).toEqual(['sk-key-a', 'sk-key-b']);

    // While they rest, the proxy answers by itself: no upstream call.
    const second = await send(p);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
    expect(Number(second.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    check(await second.json());
    expect(up.requests).toHaveLength(2);
  });

  it('says so in its own words when no upstream was asked', async () => {
    const up = await keyedUpstream(new Map([['sk-key-a', { retryAfter: 45 }]]));
    const p = await proxy(openaiConfig(up, { keys: ['sk-key-a'] }));
    expect((await chat(p)).status).toBe(429);
    const response = await chat(p);
    expect(response.status).toBe(429);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/rate-limited; retry in \d+ s/);
    expect(up.requests).toHaveLength(1);
  });
});

describe('session affinity', () => {
  const conversation = (text: string) => [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: text },
  ];

  it('keeps a conversation on the member that served it, and moves it when that member rests', async () => {
    const limits: Limits = new Map();
    const up = await keyedUpstream(limits);
    const p = await proxy(openaiConfig(up, { keys: ['sk-key-a', 'sk-key-b'], extra: ['session-affinity-ttl: 600'] }));

    const first = await servedBy(await chat(p, 'gpt-5', conversation('story one')));
    for (let turn = 0; turn < 3; turn++) {
      const later = [...conversation('story one'), { role: 'assistant', content: 'ok' }, { role: 'user', content: `turn ${turn}` }];
      expect(await servedBy(await chat(p, 'gpt-5', later))).toBe(first);
    }
    // Another conversation goes on round-robin.
    const other = await servedBy(await chat(p, 'gpt-5', conversation('story two')));
    expect(other).not.toBe(first);

    limits.set(first, { retryAfter: 60 });
    expect(await servedBy(await chat(p, 'gpt-5', conversation('story one')))).toBe(other);
    limits.clear();
    // Re-bound: it stays on its new member even though the old one is fine again.
    expect(await servedBy(await chat(p, 'gpt-5', conversation('story one')))).toBe(other);
  });

  it('is off by default: the same conversation is spread round-robin', async () => {
    const up = await keyedUpstream();
    const p = await proxy(openaiConfig(up, { keys: ['sk-key-a', 'sk-key-b'] }));
    const served: string[] = [];
    for (let i = 0; i < 4; i++) served.push(await servedBy(await chat(p, 'gpt-5', conversation('same'))));
    expect(served).toEqual(['sk-key-a', 'sk-key-b', 'sk-key-a', 'sk-key-b']);
  });
});

describe('unusable accounts', () => {
  it('skips disabled and needs-login accounts; none left is a 503 naming the login', async () => {
    const up = await keyedUpstream();
    const p = await proxy(openaiConfig(up), [
      { id: 'openai-off', provider: 'openai', apiKey: 'sk-key-off', state: 'disabled' },
      // Listed, but its secret is not in the store.
      { id: 'openai-lost', provider: 'openai' },
    ]);
    const response = await chat(p);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string; type: string } };
    expect(body.error.code).toBe('no_usable_account');
    expect(body.error.message).toContain('1 disabled, 1 needs a login');
    expect(body.error.message).toContain('llm-mux login openai');
    expect(up.requests).toHaveLength(0);
    expect(p.runtime.state.accounts.map(({ record }) => [record.id, record.state])).toEqual([
      ['openai-off', 'disabled'],
      ['openai-lost', 'needs-login'],
    ]);
  });

  it('a provider with stored accounts only is enabled; without any it is not configured', async () => {
    const up = await keyedUpstream();
    const withAccount = await proxy(openaiConfig(up), accounts('sk-key-a'));
    expect(await servedBy(await chat(withAccount))).toBe('sk-key-a');
    const models = (await (await fetch(`${withAccount.url}/v1/models`)).json()) as { data: Array<{ owned_by: string }> };
    expect(models.data.length).toBeGreaterThan(0);
    expect(new Set(models.data.map((model) => model.owned_by))).toEqual(new Set(['openai']));

    const without = await proxy(openaiConfig(up));
    const response = await chat(without);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('no_provider');
  });
});

describe('reloads', () => {
  it('reads each secret once: a changed secret file does not change the key in use', async () => {
    const up = await keyedUpstream();
    const p = await proxy(openaiConfig(up), accounts('sk-key-a'));
    const file = credentialsFilePath(join(p.configPath, '..'));
    await writeFile(file, (await readFile(file, 'utf8')).replace('sk-key-a', 'sk-key-z'));
    expect(await servedBy(await chat(p))).toBe('sk-key-a');
  });

  it('a config reload picks up new accounts and keeps the cooldowns of the members that stay', async () => {
    const up = await keyedUpstream(new Map([['sk-key-a', { retryAfter: 60 }]]));
    const config = openaiConfig(up);
    const p = await proxy(config, accounts('sk-key-a', 'sk-key-b'), true);
    expect(await servedBy(await chat(p))).toBe('sk-key-b');

    await seedAccounts(join(p.configPath, '..'), [{ id: 'openai-c', provider: 'openai', apiKey: 'sk-key-c' }]);
    // Not watched here: the store changed, the running pool did not.
    const before = new Set<string>();
    for (let i = 0; i < 3; i++) before.add(await servedBy(await chat(p)));
    expect(before).toEqual(new Set(['sk-key-b']));

    const put = await fetch(`${p.url}/v0/management/config.yaml`, { method: 'PUT', headers: { 'x-management-key': p.managementKey! }, body: config });
    expect(put.status).toBe(200);
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add(await servedBy(await chat(p)));
    // c joined; a still rests.
    expect(after).toEqual(new Set(['sk-key-b', 'sk-key-c']));
    expect(keysSeen(up).filter((key) => key === 'sk-key-a')).toHaveLength(1);
  });

  it('a changed strategy or config key takes effect on reload; the key that changed starts without a cooldown', async () => {
    const limits: Limits = new Map([['sk-key-a', { retryAfter: 60 }]]);
    const up = await keyedUpstream(limits);
    const p = await proxy(openaiConfig(up, { keys: ['sk-key-a', 'sk-key-b'] }), [], true);
    expect(await servedBy(await chat(p))).toBe('sk-key-b');
    limits.clear();
    const put = await fetch(`${p.url}/v0/management/config.yaml`, {
      method: 'PUT',
      headers: { 'x-management-key': p.managementKey! },
      body: openaiConfig(up, { keys: ['sk-key-new', 'sk-key-b'], extra: ['strategy: fill-first'] }),
    });
    expect(put.status).toBe(200);
    for (let i = 0; i < 2; i++) expect(await servedBy(await chat(p))).toBe('sk-key-new');
  });

  it('with the accounts file watched (as under `serve`), a login or logout elsewhere reaches the pool', async () => {
    const up = await keyedUpstream();
    const p = await proxy(openaiConfig(up), accounts('sk-key-a'));
    const stop = p.runtime.watchAccounts();
    onCleanup(async () => stop());
    const dir = join(p.configPath, '..');

    await seedAccounts(dir, [{ id: 'openai-b', provider: 'openai', apiKey: 'sk-key-b' }]);
    await until(() => p.runtime.state.accounts.length === 2, 'account added');
    const served = new Set<string>();
    for (let i = 0; i < 2; i++) served.add(await servedBy(await chat(p)));
    expect(served).toEqual(new Set(['sk-key-a', 'sk-key-b']));

    await fileAccountStore(dir).remove('openai-0');
    await until(() => p.runtime.state.accounts.length === 1, 'account removed');
    for (let i = 0; i < 2; i++) expect(await servedBy(await chat(p))).toBe('sk-key-b');
  });
});

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}
