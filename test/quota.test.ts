// A subscription's quota through the real proxy: GET /v0/management/accounts/:id/quota with
// OAuth accounts seeded in a file store, a fake upstream standing in for the providers'
// usage (and token) endpoints; then `llm-mux accounts --quota` as a child process asking
// that running proxy.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeedAccount } from './support/accounts.ts';
import { seedAccounts } from './support/accounts.ts';
import { isolatedCliEnv, startCli } from './support/cli.ts';
import { startFakeUpstream, type CannedResponse, type FakeUpstream, type RecordedRequest } from './support/fake-upstream.ts';
import { startProxy, type TestProxy } from './support/llm-mux.ts';

const HOUR = 3_600_000;
const CLAUDE_USAGE = {
  five_hour: { utilization: 37, resets_at: '2031-09-14T19:40:00.000000+00:00' },
  seven_day: { utilization: 10, resets_at: '2031-09-19T08:00:00.000000+00:00' },
  seven_day_opus: null,
  extra_usage: { is_enabled: false, monthly_limit: null, used_credits: null, utilization: null },
};
const COPILOT_USER = {
  login: 'octocat',
  copilot_plan: 'individual_pro',
  quota_reset_date: '2031-10-01',
  quota_snapshots: {
    chat: { entitlement: 0, percent_remaining: 100, remaining: 0, unlimited: true },
    premium_interactions: { entitlement: 1500, percent_remaining: 65.3, remaining: 979, unlimited: false },
  },
};

function json(body: unknown, status = 200): CannedResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Claude's usage and token endpoints and GitHub's Copilot user endpoint; the `limited` Claude token gets a 429. */
function providers(request: RecordedRequest): CannedResponse {
  const path = request.url.split('?')[0];
  if (path === '/claude/usage') {
    if (request.headers.authorization === 'Bearer sk-ant-oat01-limited') {
      return json({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited. Please try again later.' } }, 429);
    }
    return request.headers.authorization?.startsWith('Bearer sk-ant-oat01-') ? json(CLAUDE_USAGE) : json({ type: 'error', error: { type: 'authentication_error', message: 'Invalid bearer token' } }, 401);
  }
  if (path === '/claude/token') return json({ access_token: 'sk-ant-oat01-refreshed', refresh_token: 'sk-ant-ort01-rotated', expires_in: 28_800, token_type: 'Bearer' });
  if (path === '/github/copilot_internal/user') return request.headers.authorization === 'token gho_github-token' ? json(COPILOT_USER) : json({ message: 'Bad credentials' }, 401);
  return json({ error: { message: `no route ${request.url}` } }, 404);
}

function oauth(accessToken: string, refreshToken: string, expiresAt = Date.now() + HOUR): SeedAccount['oauth'] {
  return { accessToken, refreshToken, issuedAt: Date.now(), expiresAt };
}

const ACCOUNTS: SeedAccount[] = [
  { id: 'claude-main', provider: 'claude', label: 'me@example.com', oauth: oauth('sk-ant-oat01-main', 'sk-ant-ort01-main') },
  { id: 'claude-limited', provider: 'claude', label: 'limited', oauth: oauth('sk-ant-oat01-limited', 'sk-ant-ort01-limited') },
  { id: 'copilot-1', provider: 'copilot', label: 'octocat', oauth: { ...oauth('tid=copilot-token', 'gho_github-token'), extra: { apiBase: 'http://127.0.0.1:9' } } },
  { id: 'qwen-1', provider: 'qwen', label: 'qwen-user', oauth: oauth('qwen-access', 'qwen-refresh') },
  { id: 'openai-1', provider: 'openai', label: 'work', apiKey: 'sk-openai-key-0001' },
];

let upstream: FakeUpstream;
let proxy: TestProxy;
let configYaml: string;

beforeAll(async () => {
  upstream = await startFakeUpstream(providers);
  configYaml = [
    'credential-store: file',
    'providers:',
    `  openai: {api-keys: ["sk-config-key-0002"], base-url: "${upstream.url}/openai/v1"}`,
    `  claude: {endpoints: {usage: "${upstream.url}/claude/usage", token: "${upstream.url}/claude/token"}}`,
    `  copilot: {endpoints: {quota: "${upstream.url}/github/copilot_internal/user"}}`,
  ].join('\n');
  proxy = await startProxy(configYaml, { managementKey: true, beforeStart: (dir) => seedAccounts(dir, ACCOUNTS) });
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

function quota(id: string, target: TestProxy = proxy): Promise<Response> {
  return fetch(`${target.url}/v0/management/accounts/${encodeURIComponent(id)}/quota`, { headers: { 'x-management-key': target.managementKey! } });
}

async function logText(): Promise<string> {
  const response = await fetch(`${proxy.url}/v0/management/logs`, { headers: { 'x-management-key': proxy.managementKey! } });
  return JSON.stringify(await response.json());
}

describe('GET /v0/management/accounts/:id/quota', () => {
  it("answers a Claude account's windows, read with its access token", async () => {
    const response = await quota('claude-main');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      id: 'claude-main',
      provider: 'claude',
      windows: [
        { name: 'five_hour', remainingFraction: 0.63, resetsAt: '2031-09-14T19:40:00.000Z' },
        { name: 'seven_day', remainingFraction: 0.9, resetsAt: '2031-09-19T08:00:00.000Z' },
      ],
    });
    expect(text).not.toContain('sk-ant-');
    const asked = upstream.requests.filter((request) => request.url === '/claude/usage').at(-1)!;
    expect(asked.headers).toMatchObject({ authorization: 'Bearer sk-ant-oat01-main', 'anthropic-beta': 'oauth-2025-04-20' });
  });

  it("answers a Copilot account's plan and monthly quotas, asked with its GitHub token", async () => {
    const response = await quota('copilot-1');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: 'copilot-1',
      provider: 'copilot',
      plan: 'individual_pro',
      windows: [
        { name: 'chat', unlimited: true },
        { name: 'premium_interactions', remainingFraction: 0.653, remaining: 979, limit: 1500, resetsAt: '2031-10-01T00:00:00.000Z' },
      ],
    });
  });

  it('refreshes an expired token before asking', async () => {
    const expired = await startProxy(configYaml, {
      managementKey: true,
      beforeStart: (dir) => seedAccounts(dir, [{ id: 'claude-old', provider: 'claude', label: 'old', oauth: oauth('sk-ant-oat01-expired', 'sk-ant-ort01-old', Date.now() - HOUR) }]),
    });
    try {
      const seen = upstream.requests.length;
      const response = await quota('claude-old', expired);
      expect(response.status).toBe(200);
      expect(upstream.requests.slice(seen).map((request) => [request.url, request.headers.authorization])).toEqual([
        ['/claude/token', undefined],
        ['/claude/usage', 'Bearer sk-ant-oat01-refreshed'],
      ]);
    } finally {
      await expired.close();
    }
  });

  it('refreshes once and asks again when the usage endpoint refuses a token that has not expired', async () => {
    const refused = await startProxy(configYaml, {
      managementKey: true,
      beforeStart: (dir) => seedAccounts(dir, [{ id: 'claude-revoked', provider: 'claude', label: 'revoked', oauth: oauth('revoked-token', 'sk-ant-ort01-old') }]),
    });
    try {
      const seen = upstream.requests.length;
      const response = await quota('claude-revoked', refused);
      expect(response.status).toBe(200);
      expect(upstream.requests.slice(seen).map((request) => [request.url, request.headers.authorization])).toEqual([
        ['/claude/usage', 'Bearer revoked-token'],
        ['/claude/token', undefined],
        ['/claude/usage', 'Bearer sk-ant-oat01-refreshed'],
      ]);
    } finally {
      await refused.close();
    }
  });

  it('answers 404 for an unknown account', async () => {
    const response = await quota('claude-nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: 'No account "claude-nope".', code: 'unknown_account' } });
  });

  it('answers 501 for a provider without a usage endpoint, a stored API key and a config.yaml key', async () => {
    const [qwen, openai, configKey] = await Promise.all([quota('qwen-1'), quota('openai-1'), quota('config:openai:0')]);
    expect([qwen.status, openai.status, configKey.status]).toEqual([501, 501, 501]);
    expect(await qwen.json()).toMatchObject({ error: { message: 'Qwen Code (legacy: its free tier ended 2026-04-15) has no usage endpoint llm-mux can read.', code: 'quota_unsupported' } });
    expect(await openai.json()).toMatchObject({ error: { message: 'openai account "work" is an API key; API keys have no plan quota to read.', code: 'quota_unsupported' } });
    expect(await configKey.json()).toMatchObject({ error: { message: '"config:openai:0" is an API key from config.yaml; API keys have no plan quota to read.' } });
  });

  it("answers 502 naming the upstream's status when the usage endpoint fails, and logs it without the token", async () => {
    const response = await quota('claude-limited');
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      error: { message: "Claude's usage endpoint answered HTTP 429: Rate limited. Please try again later.", code: 'quota_upstream_error' },
    });
    expect(text).not.toContain('sk-ant-');
    const logs = await logText();
    expect(logs).toContain('account quota not read');
    expect(logs).not.toContain('sk-ant-');
  });

  it('answers 503 for an account that needs a new login', async () => {
    const stale = await startProxy(configYaml, {
      managementKey: true,
      beforeStart: (dir) => seedAccounts(dir, [{ id: 'claude-stale', provider: 'claude', label: 'stale', oauth: oauth('sk-ant-oat01-x', 'sk-ant-ort01-x'), state: 'needs-login' }]),
    });
    try {
      const response = await quota('claude-stale', stale);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: 'account_needs_login' } });
    } finally {
      await stale.close();
    }
  });
});

describe('llm-mux accounts --quota', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let cliConfig: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'llm-mux-quota-cli-'));
    // UTC, so that reset times print the same everywhere.
    env = await isolatedCliEnv(work, { TZ: 'UTC' });
    // The CLI reads the accounts beside its config and finds the daemon where that config says it listens.
    cliConfig = join(proxy.configPath, '..', 'cli.yaml');
    await writeFile(cliConfig, `${configYaml}\nport: ${new URL(proxy.url).port}\n`);
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function run(extraEnv: NodeJS.ProcessEnv = {}) {
    const result = await startCli(['accounts', '--quota', '--config', cliConfig], { cwd: work, env: { ...env, ...extraEnv } }).result;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    return result;
  }

  it("prints one line per subscription account with the daemon's quota under the table", async () => {
    const { stdout } = await run({ LLM_MUX_MANAGEMENT_KEY: proxy.managementKey });
    const lines = stdout.trim().split('\n');
    const quotaLines = lines.slice(lines.findIndex((line) => line.startsWith('Also in config.yaml')) + 1);
    expect(quotaLines).toEqual([
      'claude "me@example.com": five_hour 63% left, resets Sep 14 19:40; seven_day 90% left, resets Sep 19 08:00',
      `claude "limited": Claude's usage endpoint answered HTTP 429: Rate limited. Please try again later.`,
      'copilot "octocat" (individual_pro): chat unlimited; premium_interactions 65% left (979/1500), resets Oct 1 00:00',
      'qwen "qwen-user": Qwen Code (legacy: its free tier ended 2026-04-15) has no usage endpoint llm-mux can read.',
    ]);
    expect(stdout).not.toContain('sk-ant-');
  });

  it('says how to enable it without the management key', async () => {
    const { stdout } = await run();
    expect(stdout).toMatch(/^claude\s+me@example\.com\s/m);
    expect(stdout.trim().split('\n').at(-1)).toBe(
      'Quota is read by the running daemon: set $LLM_MUX_MANAGEMENT_KEY to its management key (the one llm-mux init printed).',
    );
  });

  it('says so when no daemon accepts the key', async () => {
    const { stdout } = await run({ LLM_MUX_MANAGEMENT_KEY: 'not-the-key' });
    expect(stdout.trim().split('\n').at(-1)).toBe(
      `No llm-mux daemon accepted $LLM_MUX_MANAGEMENT_KEY at http://127.0.0.1:${new URL(proxy.url).port}/v0/management/: start llm-mux serve, or check the key.`,
    );
  });
});
