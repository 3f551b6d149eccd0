// `llm-mux login`, `accounts` and `logout` as a user runs them: `node bin/llm-mux` in a
// child process, the key on stdin, HOME and XDG_CONFIG_HOME in temp dirs, a real file
// credential store, fake upstreams standing in for the providers' key checks.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAfterEach } from './support/cleanups.ts';
import { isolatedCliEnv } from './support/cli.ts';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from './support/fake-upstream.ts';
import { seedAccounts } from './support/accounts.ts';
import { startProxy, type TestProxy } from './support/llm-mux.ts';
import { unusedPort } from './support/ports.ts';

const BIN = fileURLToPath(new URL('../bin/llm-mux', import.meta.url));
const GOOD_KEY = 'sk-good-key-0000wxyz';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work = '';
let env: NodeJS.ProcessEnv = {};
let upstream: FakeUpstream;
const onCleanup = cleanupAfterEach();

/** Runs the CLI with `input` on stdin (a pipe, as in `echo $KEY | llm-mux login …`). */
function run(args: string[], input = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) }));
    child.stdin.end(input);
  });
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function show(result: Result): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** A fresh config dir with this config; returns its config path. */
async function configDir(name: string, yaml: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.yaml'), yaml);
  return join(dir, 'config.yaml');
}

/** Every key-checking endpoint of every provider, answering 200 only for GOOD_KEY in that provider's header. */
function keyCheckResponder(request: RecordedRequest) {
  const key = request.headers.authorization?.replace('Bearer ', '') ?? request.headers['x-api-key'] ?? request.headers['x-goog-api-key'];
  if (key === GOOD_KEY) return { body: '{"data":[]}' };
  if (request.url.startsWith('/gemini/')) {
    return {
      status: 400,
      body: JSON.stringify({ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } }),
    };
  }
  return { status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided: sk-bad…', type: 'invalid_request_error', code: 'invalid_api_key' } }) };
}

function providersConfig(url: string): string {
  return [
    'credential-store: file',
    'providers:',
    `  openai: {base-url: "${url}/openai/v1"}`,
    `  anthropic: {base-url: "${url}/anthropic/v1"}`,
    `  gemini: {base-url: "${url}/gemini/v1beta"}`,
    `  openrouter: {base-url: "${url}/openrouter/api/v1"}`,
    '  openai-compatible:',
    `    - {name: deepseek, base-url: "${url}/deepseek/v1", models: [deepseek-chat]}`,
  ].join('\n');
}

async function storedAccounts(configPath: string): Promise<Array<{ id: string; provider: string; label: string; state: string }>> {
  return JSON.parse(await readFile(join(configPath, '..', 'accounts.json'), 'utf8'));
}

async function storedSecrets(configPath: string): Promise<Record<string, string>> {
  return (JSON.parse(await readFile(join(configPath, '..', 'credentials.json'), 'utf8')) as { secrets: Record<string, string> }).secrets;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-mux-accounts-cli-'));
  env = await isolatedCliEnv(work);
  upstream = await startFakeUpstream(keyCheckResponder);
});

afterAll(async () => {
  await upstream?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('login', () => {
  it('checks a good key with the provider, then stores it as an account labelled by its last 4 characters', async () => {
    const config = await configDir('good', providersConfig(upstream.url));
    const seen = upstream.requests.length;
    const result = await run(['login', 'openai', '--config', config], `  ${GOOD_KEY}\n`);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^Added openai account "wxyz" \(openai-[0-9a-f]{6}\) to the file store\.$/m);
    expect(result.stderr).toContain('OpenAI accepted the key');
    expect(result.stdout + result.stderr).not.toContain(GOOD_KEY);

    const check = upstream.requests.slice(seen);
    expect(check.map((request) => [request.method, request.url, request.headers.authorization])).toEqual([['GET', '/openai/v1/models', `Bearer ${GOOD_KEY}`]]);

    const [record] = await storedAccounts(config);
    expect(record).toMatchObject({ provider: 'openai', label: 'wxyz', state: 'active' });
    expect(JSON.parse((await storedSecrets(config))[record!.id]!)).toEqual({ apiKey: GOOD_KEY });
    expect((await stat(join(config, '..', 'credentials.json'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(config, '..', 'accounts.json'), 'utf8')).not.toContain(GOOD_KEY);

    // The account enables its provider: `models` lists OpenAI's models now (none of the others').
    const models = await run(['models', '--json', '--config', config]);
    expect(new Set((JSON.parse(models.stdout) as Array<{ provider: string }>).map((model) => model.provider))).toEqual(new Set(['openai', 'deepseek']));
  });

  it('refuses a key the provider rejects with one line, storing nothing', async () => {
    const config = await configDir('rejected', providersConfig(upstream.url));
    const [openai, gemini] = await Promise.all([
      run(['login', 'openai', '--config', config], 'sk-bad-key-00001234\n'),
      run(['login', 'gemini', '--api-key', '--config', config], 'AIza-bad-key-00005678\n'),
    ]);
    expect(openai.code, show(openai)).toBe(1);
    expect(openai.stderr.trim().split('\n').at(-1)).toBe(
      'error: OpenAI rejected the key (HTTP 401: Incorrect API key provided: sk-bad…); nothing was stored',
    );
    // Google says 400 API_KEY_INVALID, not 401.
    expect(gemini.code, show(gemini)).toBe(1);
    expect(gemini.stderr).toContain('error: Google Gemini rejected the key (HTTP 400: API key not valid. Please pass a valid API key.)');
    await expect(stat(join(config, '..', 'accounts.json'))).rejects.toThrow();
  });

  it('offline: the check fails naming --no-verify; with --no-verify the key is stored unchecked', async () => {
    const config = await configDir('offline', ['credential-store: file', 'providers:', `  openai: {base-url: "http://127.0.0.1:${await unusedPort()}/v1"}`].join('\n'));
    const failed = await run(['login', 'openai', '--config', config], `${GOOD_KEY}\n`);
    expect(failed.code, show(failed)).toBe(1);
    expect(failed.stderr).toMatch(/error: could not reach http:\/\/127\.0\.0\.1:\d+\/v1\/models \(ECONNREFUSED\); nothing was stored\. Offline\? .*--no-verify/);

    const stored = await run(['login', 'openai', '--no-verify', '--label', 'laptop', '--config', config], GOOD_KEY);
    expect(stored.code, show(stored)).toBe(0);
    expect(stored.stdout).toMatch(/Added openai account "laptop" \(openai-[0-9a-f]{6}\) to the file store, not verified\./);
    expect((await storedAccounts(config)).map((record) => record.label)).toEqual(['laptop']);
  });

  it('checks each provider at its own endpoint with its own auth header', async () => {
    const config = await configDir('providers', providersConfig(upstream.url));
    const seen = upstream.requests.length;
    // One after the other: the account files are shared by every process using this config dir.
    for (const provider of ['anthropic', 'gemini', 'openrouter', 'deepseek']) {
      // `login gemini` alone is the Code Assist subscription login.
      const apiKey = provider === 'gemini' ? ['--api-key'] : [];
      const result = await run(['login', provider, ...apiKey, '--label', provider, '--config', config], GOOD_KEY);
      expect(result.code, show(result)).toBe(0);
    }
    const checks = upstream.requests.slice(seen).map((request) => ({
      url: request.url,
      authorization: request.headers.authorization,
      'x-api-key': request.headers['x-api-key'],
      'anthropic-version': request.headers['anthropic-version'],
      'x-goog-api-key': request.headers['x-goog-api-key'],
    }));
    const none = { authorization: undefined, 'x-api-key': undefined, 'anthropic-version': undefined, 'x-goog-api-key': undefined };
    expect(checks.sort((a, b) => a.url.localeCompare(b.url))).toEqual([
      { ...none, url: '/anthropic/v1/models', 'x-api-key': GOOD_KEY, 'anthropic-version': '2023-06-01' },
      { ...none, url: '/deepseek/v1/models', authorization: `Bearer ${GOOD_KEY}` },
      { ...none, url: '/gemini/v1beta/models', 'x-goog-api-key': GOOD_KEY },
      // OpenRouter lists models for anyone: its key is checked at /key.
      { ...none, url: '/openrouter/api/v1/key', authorization: `Bearer ${GOOD_KEY}` },
    ]);
    expect((await storedAccounts(config)).map((record) => [record.provider, record.label]).sort()).toEqual([
      ['anthropic', 'anthropic'],
      ['deepseek', 'deepseek'],
      ['gemini', 'gemini'],
      ['openrouter', 'openrouter'],
    ]);
  });

  it('refuses a duplicate label (the same key twice) and renews an account whose secret is gone', async () => {
    const config = await configDir('duplicate', providersConfig(upstream.url));
    expect((await run(['login', 'openai', '--no-verify', '--config', config], GOOD_KEY)).code).toBe(0);
    const again = await run(['login', 'openai', '--no-verify', '--config', config], GOOD_KEY);
    expect(again.code, show(again)).toBe(1);
    expect(again.stderr).toMatch(/^error: openai already has an account labelled "wxyz" \(openai-[0-9a-f]{6}\): choose another --label, or remove it first with `llm-mux logout openai wxyz`$/m);
    const [record] = await storedAccounts(config);

    // The secret vanished (another store, a wiped keychain): logging in under the label renews it.
    await writeFile(join(config, '..', 'credentials.json'), JSON.stringify({ version: 1, secrets: {} }));
    const renewed = await run(['login', 'openai', '--no-verify', '--config', config], GOOD_KEY);
    expect(renewed.code, show(renewed)).toBe(0);
    expect(renewed.stdout).toContain(`Replaced the key of openai account "wxyz" (${record!.id})`);
    expect(await storedAccounts(config)).toEqual([record]);
    expect(JSON.parse((await storedSecrets(config))[record!.id]!)).toEqual({ apiKey: GOOD_KEY });
  });

  it('refuses no key, unknown providers and API keys for subscription-only logins, each with the valid names', async () => {
    const config = await configDir('names', providersConfig(upstream.url));
    const [empty, unknown, copilot, ollama] = await Promise.all([
      run(['login', 'openai', '--config', config], '\n'),
      run(['login', 'nope', '--config', config], GOOD_KEY),
      run(['login', 'copilot', '--api-key', '--config', config], GOOD_KEY),
      run(['login', 'ollama', '--config', config], GOOD_KEY),
    ]);
    const valid = 'API-key providers: openai, anthropic, gemini, openrouter, deepseek';
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('error: no API key given');
    expect(unknown.stderr).toBe(
      `error: unknown provider "nope". Subscriptions: claude, codex, gemini, antigravity, copilot, qwen. ${valid} (openai-compatible entries in config.yaml by name).\n`,
    );
    expect(copilot.stderr).toBe(`error: copilot is a subscription login and takes no API key. ${valid}.\n`);
    expect(ollama.stderr).toContain('ollama takes no key');
    for (const result of [unknown, copilot, ollama]) expect(result.code, show(result)).toBe(1);
    await expect(stat(join(config, '..', 'accounts.json'))).rejects.toThrow();
  });
});

describe('accounts and logout', () => {
  it('lists the accounts; logout needs a label when there are several and removes the secret too', async () => {
    const config = await configDir('list', `${providersConfig(upstream.url)}\n`.replace('openai: {base-url', 'openai: {api-keys: ["sk-config-1"], base-url'));
    const empty = await run(['accounts', '--config', config]);
    expect(empty.code, show(empty)).toBe(0);
    expect(empty.stdout).toContain('No stored accounts. Add one with llm-mux login <provider>.');

    for (const label of ['work', 'home']) expect((await run(['login', 'openai', '--no-verify', '--label', label, '--config', config], `sk-${label}-key-123456`)).code).toBe(0);
    expect((await run(['login', 'anthropic', '--no-verify', '--config', config], 'sk-ant-key-0000abcd')).code).toBe(0);

    const listed = await run(['accounts', '--config', config]);
    expect(listed.code, show(listed)).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PROVIDER\s+LABEL\s+EMAIL\s+STATE\s+EXPIRES\s+COOLDOWN\s+ID$/);
    expect(lines.slice(1, 4)).toEqual([
      expect.stringMatching(/^openai\s+work\s+—\s+active\s+—\s+—\s+openai-[0-9a-f]{6}$/),
      expect.stringMatching(/^openai\s+home\s+—\s+active\s+—\s+—\s+openai-[0-9a-f]{6}$/),
      expect.stringMatching(/^anthropic\s+abcd\s+—\s+active\s+—\s+—\s+anthropic-[0-9a-f]{6}$/),
    ]);
    expect(lines[4]).toBe('Also in config.yaml (api-keys): openai 1.');
    expect(listed.stdout).not.toMatch(/sk-(work|home|ant)/);

    const ambiguous = await run(['logout', 'openai', '--config', config]);
    expect(ambiguous.code, show(ambiguous)).toBe(1);
    expect(ambiguous.stderr).toBe('error: openai has 2 accounts ("work", "home"): name one, e.g. `llm-mux logout openai work`\n');
    const wrongLabel = await run(['logout', 'openai', 'office', '--config', config]);
    expect(wrongLabel.stderr).toBe('error: openai has no account labelled "office"; its accounts: "work", "home"\n');

    const work = (await storedAccounts(config)).find((record) => record.label === 'work')!;
    const removed = await run(['logout', 'openai', 'work', '--config', config]);
    expect(removed.code, show(removed)).toBe(0);
    expect(removed.stdout).toBe(`Removed openai account "work" (${work.id}) and its secret from the file store.\n`);
    expect((await storedAccounts(config)).map((record) => record.label)).toEqual(['home', 'abcd']);
    expect(Object.keys(await storedSecrets(config))).not.toContain(work.id);

    // The only one left needs no label.
    expect((await run(['logout', 'openai', '--config', config])).code).toBe(0);
    const none = await run(['logout', 'openai', '--config', config]);
    expect(none.stderr).toBe("error: no stored openai account; its 1 key(s) in config.yaml are removed by editing api-keys there\n");
  });

  it('logout gemini covers both its API keys and its Code Assist logins', async () => {
    const config = await configDir('gemini-logout', providersConfig(upstream.url));
    await seedAccounts(join(config, '..'), [
      { id: 'gemini-key', provider: 'gemini', label: 'studio', apiKey: 'AIza-key-00001234' },
      { id: 'gemini-cli-1', provider: 'gemini-cli', label: 'me@example.com', oauth: { accessToken: 'ya29.token', refreshToken: '1//refresh' } },
    ]);
    const ambiguous = await run(['logout', 'gemini', '--config', config]);
    expect(ambiguous.stderr).toBe('error: gemini has 2 accounts ("studio", "me@example.com"): name one, e.g. `llm-mux logout gemini studio`\n');
    const removed = await run(['logout', 'gemini', 'me@example.com', '--config', config]);
    expect(removed.code, show(removed)).toBe(0);
    expect((await storedAccounts(config)).map((record) => record.id)).toEqual(['gemini-key']);
    expect(Object.keys(await storedSecrets(config))).toEqual(['gemini-key']);
  });

  it('a secret missing from the store shows as needs-login', async () => {
    const config = await configDir('lost', providersConfig(upstream.url));
    await seedAccounts(join(config, '..'), [{ id: 'openai-lost', provider: 'openai', label: 'lost' }]);
    const listed = await run(['accounts', '--config', config]);
    expect(listed.code, show(listed)).toBe(0);
    expect(listed.stdout).toMatch(/^openai\s+lost\s+—\s+needs-login\s/m);
    expect(listed.stdout).toContain('openai "lost": no credentials in the file store; log in again');
  });

  it('shows the running daemon\'s cooldowns when LLM_MUX_MANAGEMENT_KEY is set', async () => {
    const limited = await startFakeUpstream((request) =>
      request.headers.authorization === 'Bearer sk-limited-key-0001'
        ? { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '600' }, body: '{"error":{"message":"slow down"}}' }
        : { body: JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'gpt-5', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }) },
    );
    onCleanup(() => limited.close());
    const daemonConfig = ['credential-store: file', 'providers:', `  openai: {base-url: "${limited.url}/v1"}`].join('\n');
    const daemon: TestProxy = await startProxy(daemonConfig, {
      managementKey: true,
      beforeStart: (dir) =>
        seedAccounts(dir, [
          { id: 'openai-limited', provider: 'openai', label: 'limited', apiKey: 'sk-limited-key-0001' },
          { id: 'openai-fine', provider: 'openai', label: 'fine', apiKey: 'sk-fine-key-0002' },
        ]),
    });
    onCleanup(() => daemon.close());
    const chat = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(chat.status).toBe(200);

    // The CLI finds the daemon where config.yaml says it listens.
    const cliConfig = join(daemon.configPath, '..', 'cli.yaml');
    await writeFile(cliConfig, `${daemonConfig}\nport: ${new URL(daemon.url).port}\n`);
    const withoutKey = await run(['accounts', '--config', cliConfig]);
    expect(withoutKey.stdout).toMatch(/^openai\s+limited\s+—\s+active\s+—\s+—\s/m);

    const saved = env;
    env = { ...env, LLM_MUX_MANAGEMENT_KEY: daemon.managementKey };
    try {
      const withKey = await run(['accounts', '--config', cliConfig]);
      expect(withKey.code, show(withKey)).toBe(0);
      expect(withKey.stdout).toMatch(/^openai\s+limited\s+—\s+active\s+—\s+gpt-5 10m\s+openai-limited$/m);
      expect(withKey.stdout).toMatch(/^openai\s+fine\s+—\s+active\s+—\s+none\s+openai-fine$/m);
    } finally {
      env = saved;
    }
  });
});

describe('serve banner', () => {
  it('shows the accounts per provider and the command for each account that needs a login', async () => {
    const config = await configDir('banner', `${providersConfig(upstream.url).replace('openai: {base-url', 'openai: {api-keys: ["sk-config-1"], base-url')}\nport: 0\n`);
    await seedAccounts(join(config, '..'), [
      { id: 'openai-a', provider: 'openai', label: 'work', apiKey: 'sk-work-key-0001' },
      { id: 'openai-b', provider: 'openai', label: 'old laptop' },
      { id: 'anthropic-a', provider: 'anthropic', label: 'team', apiKey: 'sk-ant-key-0001', state: 'disabled' },
    ]);
    const child = spawn(process.execPath, [BIN, 'serve', '--config', config], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    onCleanup(async () => {
      child.kill('SIGKILL');
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('config:') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const banner = stripAnsi(stdout);
    expect(banner).toMatch(/providers:\s+openai, anthropic, deepseek \(\d+ models\)/);
    expect(banner).toContain('  accounts:   openai 3 (1 in config.yaml, 1 need login), anthropic 1 (1 disabled)');
    expect(banner).toContain(`  needs login: openai "old laptop": run \`llm-mux login openai --label 'old laptop'\``);
  });
});
