// `llm-mux login <subscription>` as a user runs it on a machine without a browser:
// `node bin/llm-mux login <p> --no-browser` in a child process, with config.yaml pointing
// every endpoint of the provider at the fake OAuth server and fake upstreams on loopback.
// The test plays the user: it opens the printed URL in the fake provider and approves
// (or pastes the address the browser ends on), or lets the scripted device polls approve.
// Tests run concurrently (each has its own config dir and fakes): most of a run is waiting.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccountRecord, Credentials } from '../src/accounts/types.ts';
import { cloudCodeSetup, type CloudCodeScript } from './providers/code-assist-fakes.ts';
import { occupiedPort, unusedPort } from './support/ports.ts';
import { isolatedCliEnv, runCli, showResult, startCli, type CliResult, type RunningCli } from './support/cli.ts';
import { startFakeOAuthServer, type DevicePollStep, type FakeOAuthConfig, type FakeOAuthServer } from './support/fake-oauth-server.ts';
import { startFakeUpstream, type FakeUpstream, type Responder } from './support/fake-upstream.ts';

let work = '';
let env: NodeJS.ProcessEnv = {};
let configs = 0;
// Each CLI run costs a second of CPU (tsx compiles the source): on a busy machine a test
// of several runs needs more than the default 30 s.
vi.setConfig({ testTimeout: 90_000 });

/** Run after all tests: concurrent tests cannot tell afterEach which test's fakes to close. */
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-mux-login-cli-'));
  env = await isolatedCliEnv(work);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

type ProviderOverrides = Record<string, { endpoints?: Record<string, string>; identity?: Record<string, string> }>;

/** A fresh config dir whose config.yaml (JSON is YAML) uses the file store and these provider overrides; returns its config path. */
async function configWith(providers: ProviderOverrides): Promise<string> {
  const dir = join(work, `config-${++configs}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'config.yaml');
  await writeFile(path, JSON.stringify({ 'credential-store': 'file', providers }, null, 2));
  return path;
}

async function fakeOAuth(overrides: Partial<FakeOAuthConfig>): Promise<FakeOAuthServer> {
  const fake = await startFakeOAuthServer(overrides);
  cleanups.push(() => fake.close());
  return fake;
}

async function fakeUpstream(responder: Responder): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(responder);
  cleanups.push(() => upstream.close());
  return upstream;
}

/** `llm-mux login <name> --no-browser --config <config> [args]`, killed at the end should it still run. */
function login(name: string, config: string, args: string[] = []): RunningCli {
  const cli = startCli(['login', name, '--no-browser', '--config', config, ...args], { cwd: work, env });
  cleanups.push(() => cli.kill());
  return cli;
}

/** The user opens the printed authorize URL in a browser: the fake provider records it and shows its consent page. */
async function openPrintedUrl(cli: RunningCli): Promise<string> {
  const [, url] = await cli.waitForStdout(/^ {2}(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m);
  const page = await fetch(url!);
  expect(page.status).toBe(200);
  return url!;
}

/** The user approves on the consent page; the browser's redirect reaches the CLI's callback server. */
async function approveInBrowser(cli: RunningCli, fake: FakeOAuthServer): Promise<CliResult> {
  await openPrintedUrl(cli);
  const callbackPage = await fake.approve();
  expect(callbackPage.status).toBe(200);
  return cli.result;
}

/** The browser runs on another machine: the user pastes the address it ends on. */
async function approveByPasting(cli: RunningCli, fake: FakeOAuthServer): Promise<CliResult> {
  await openPrintedUrl(cli);
  cli.writeLine(fake.approvedRedirectUrl());
  return cli.result;
}

function storePath(config: string, file: 'accounts.json' | 'credentials.json'): string {
  return join(config, '..', file);
}

async function storedAccounts(config: string): Promise<AccountRecord[]> {
  return JSON.parse(await readFile(storePath(config, 'accounts.json'), 'utf8')) as AccountRecord[];
}

async function storedCredentials(config: string, id: string): Promise<Credentials> {
  const { secrets } = JSON.parse(await readFile(storePath(config, 'credentials.json'), 'utf8')) as { secrets: Record<string, string> };
  return JSON.parse(secrets[id]!) as Credentials;
}

/**
 * A login that worked: exit 0, the "Added" line, an account record labelled by its e-mail
 * with its expiry, and its credentials in a 0600 file.
 */
async function expectAdded(
  config: string,
  result: CliResult,
  expected: { provider: string; providerLabel: string; email?: string; label?: string },
): Promise<{ record: AccountRecord; credentials: Credentials }> {
  expect(result.code, showResult(result)).toBe(0);
  const label = expected.label ?? expected.email ?? 'default';
  const addedLine = `^Added ${escape(expected.providerLabel)} account (\\S+) \\((${expected.provider}-[0-9a-f]{6})\\) to the file store\\.$`;
  const added = result.stdout.match(new RegExp(addedLine, 'm'));
  expect(added, showResult(result)).not.toBeNull();
  expect(added![1]).toBe(expected.email ?? label);

  const record = (await storedAccounts(config)).find((candidate) => candidate.id === added![2])!;
  expect(record).toMatchObject({ provider: expected.provider, label, state: 'active', ...(expected.email ? { email: expected.email } : {}) });
  const credentials = await storedCredentials(config, record.id);
  expect(credentials.accessToken).toEqual(expect.any(String));
  expect(record.expiresAt).toBe(new Date(credentials.expiresAt!).toISOString());
  expect(Date.parse(record.expiresAt!)).toBeGreaterThan(Date.now());
  expect((await stat(storePath(config, 'credentials.json'))).mode & 0o777).toBe(0o600);
  // The index is readable by anyone with the config dir: no secret in it.
  expect(await readFile(storePath(config, 'accounts.json'), 'utf8')).not.toContain(credentials.accessToken);
  return { record, credentials };
}

/** `llm-mux accounts` lists each of these accounts with its label, e-mail and expiry. */
async function expectListed(config: string, records: AccountRecord[]): Promise<void> {
  const listed = await runCli(['accounts', '--config', config], { cwd: work, env });
  expect(listed.code, showResult(listed)).toBe(0);
  for (const record of records) {
    const row = `^${record.provider}\\s+${escape(record.label)}\\s+${escape(record.email ?? '—')}\\s+active\\s+${escape(record.expiresAt!)}\\s+—\\s+${record.id}$`;
    expect(listed.stdout).toMatch(new RegExp(row, 'm'));
  }
}

/** A login that failed: exit 1, one `error:` line on stderr, nothing stored. */
async function expectRefused(config: string, result: CliResult, message: string): Promise<void> {
  expect(result.code, showResult(result)).toBe(1);
  expect(result.stderr.split('\n').filter((line) => line.startsWith('error:')), showResult(result)).toEqual([`error: ${message}`]);
  expect(result.stdout).not.toMatch(/^(Added|Renewed)/m);
  for (const file of ['accounts.json', 'credentials.json'] as const) await expect(stat(storePath(config, file))).rejects.toThrow();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe.concurrent('claude', () => {
  const claudeFake = () =>
    fakeOAuth({
      tokenEncoding: 'json',
      extraTokenFields: { account: { uuid: 'account-uuid-1', email_address: 'max@example.com' }, organization: { uuid: 'org-uuid-1' } },
    });
  const claudeConfig = (fake: FakeOAuthServer) =>
    configWith({ claude: { endpoints: { authorize: `${fake.url}/authorize`, token: `${fake.url}/token` }, identity: { 'client-id': fake.config.clientId } } });

  it('prints the authorize URL, takes the redirect on its callback server and stores the account under its e-mail', async () => {
    const fake = await claudeFake();
    const config = await claudeConfig(fake);
    const before = Date.now();
    const cli = login('claude', config);
    const result = await approveInBrowser(cli, fake);
    const { record, credentials } = await expectAdded(config, result, { provider: 'claude', providerLabel: 'Claude (Pro/Max)', email: 'max@example.com' });
    await expectListed(config, [record]);

    expect(result.stdout).toContain('Open this URL in a browser to log in:');
    const authorize = fake.authorizeRequests[0]!;
    expect(authorize.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/callback$/);
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(credentials).toMatchObject({
      accessToken: 'access-2',
      refreshToken: 'refresh-3',
      extra: { 'account-uuid': 'account-uuid-1', 'organization-uuid': 'org-uuid-1' },
    });
    expect(credentials.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(result.stdout + result.stderr).not.toContain(credentials.accessToken);
  });

  it('renews the account in place on a second login to the same e-mail; --label adds another', async () => {
    const fake = await claudeFake();
    const config = await claudeConfig(fake);
    const first = await expectAdded(config, await approveInBrowser(login('claude', config), fake), {
      provider: 'claude',
      providerLabel: 'Claude (Pro/Max)',
      email: 'max@example.com',
    });

    const again = await approveByPasting(login('claude', config), fake);
    expect(again.code, showResult(again)).toBe(0);
    expect(again.stdout).toContain(`Renewed Claude (Pro/Max) account "max@example.com" (${first.record.id}) in the file store.`);
    const credentials = await storedCredentials(config, first.record.id);
    expect(credentials.accessToken).not.toBe(first.credentials.accessToken);
    expect(await storedAccounts(config)).toEqual([
      { ...first.record, expiresAt: new Date(credentials.expiresAt!).toISOString() },
    ]);

    fake.config.extraTokenFields = { account: { uuid: 'account-uuid-2', email_address: 'team@example.com' } };
    const second = await approveInBrowser(login('claude', config, ['--label', 'team']), fake);
    const { record } = await expectAdded(config, second, {
      provider: 'claude',
      providerLabel: 'Claude (Pro/Max)',
      email: 'team@example.com',
      label: 'team',
    });
    expect((await storedAccounts(config)).map((account) => [account.label, account.id])).toEqual([
      ['max@example.com', first.record.id],
      ['team', record.id],
    ]);
    await expectListed(config, await storedAccounts(config));
  });

  it('refuses a redirect with another login\'s state', async () => {
    const fake = await claudeFake();
    const config = await claudeConfig(fake);
    const cli = login('claude', config);
    await openPrintedUrl(cli);
    expect((await fake.sendWrongState()).status).toBe(400);
    await expectRefused(
      config,
      await cli.result,
      'the redirect does not belong to this login (state mismatch) — run the login again and finish it in the newest browser tab',
    );
    expect(fake.counts.authorizationCode).toBe(0);
  });

  it('stops when consent is denied', async () => {
    const fake = await claudeFake();
    const config = await claudeConfig(fake);
    const cli = login('claude', config);
    await openPrintedUrl(cli);
    expect((await fake.deny()).status).toBe(400);
    await expectRefused(config, await cli.result, 'access was denied in the browser, so nothing was saved — run the login again to retry');
  });

  it('gives up after --timeout when neither a redirect nor a pasted address comes', async () => {
    const fake = await claudeFake();
    const config = await claudeConfig(fake);
    const cli = login('claude', config, ['--timeout', '1']);
    await openPrintedUrl(cli);
    await expectRefused(config, await cli.result, 'no login redirect arrived within 1 second — run the login again');
  });

  it('after opening a browser that never sends the redirect back, times out saying how to paste instead', async () => {
    const fake = await claudeFake();
    const config = await claudeConfig(fake);
    // A desktop session whose browser opener starts fine, but the browser never comes back to the callback.
    const bin = join(config, '..', 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'xdg-open'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const desktop = { ...env, DISPLAY: ':0', PATH: `${bin}:${env.PATH}` };
    const result = await runCli(['login', 'claude', '--timeout', '1', '--config', config], { cwd: work, env: desktop });
    expect(result.stdout).toContain('Opened your browser. If it did not show the login page, open:');
    await expectRefused(
      config,
      result,
      'no login redirect arrived within 1 second — run the login again; if the browser runs on another machine, add --no-browser and paste the address it ends on',
    );
  });

  it('refuses --project, which only Google logins take, and a timeout of 0 before starting a login', async () => {
    const fake = await claudeFake();
    const config = await claudeConfig(fake);
    const [project, timeout] = await Promise.all([
      login('claude', config, ['--project', 'my-project']).result,
      login('claude', config, ['--timeout', '0']).result,
    ]);
    await expectRefused(config, project, '--project is for gemini and antigravity logins only');
    expect(timeout.code, showResult(timeout)).toBe(1);
    expect(timeout.stderr).toContain("error: option '--timeout <seconds>' argument '0' is invalid. expected a number of seconds above 0");
    for (const result of [project, timeout]) expect(result.stdout).toBe('');
  });
});

describe.concurrent('codex', () => {
  const codexFake = () =>
    fakeOAuth({
      tokenEncoding: 'form',
      email: 'dev@example.com',
      idTokenClaims: { 'https://api.openai.com/auth': { chatgpt_account_id: 'acc-1', chatgpt_plan_type: 'plus' } },
    });
  const codexConfig = (fake: FakeOAuthServer, port: number) =>
    configWith({
      codex: {
        endpoints: { authorize: `${fake.url}/authorize`, token: `${fake.url}/token` },
        identity: { 'client-id': fake.config.clientId, 'callback-port': String(port) },
      },
    });

  it('logs in on its fixed callback port, taking the pasted redirect after a blank line', async () => {
    const fake = await codexFake();
    const port = await unusedPort();
    const config = await codexConfig(fake, port);
    const cli = login('codex', config);
    await openPrintedUrl(cli);
    // Enter pressed while waiting asks again rather than ending the login.
    cli.writeLine('');
    cli.writeLine(fake.approvedRedirectUrl());
    const result = await cli.result;
    const { record, credentials } = await expectAdded(config, result, { provider: 'codex', providerLabel: 'ChatGPT (Codex)', email: 'dev@example.com' });
    await expectListed(config, [record]);
    expect(result.stdout).toContain(`it starts with http://localhost:${port}/auth/callback`);
    expect(fake.authorizeRequests[0]!.get('redirect_uri')).toBe(`http://localhost:${port}/auth/callback`);
    expect(credentials.extra).toEqual({ accountId: 'acc-1', planType: 'plus' });
  });

  it('refuses to start when its callback port is taken, before printing a URL', async () => {
    const fake = await codexFake();
    const { port, close } = await occupiedPort();
    cleanups.push(close);
    const config = await codexConfig(fake, port);
    const result = await login('codex', config).result;
    await expectRefused(
      config,
      result,
      `port ${port}, where the login redirect arrives, is in use (another login running?) — stop what uses it, then run the login again`,
    );
    expect(result.stdout).not.toContain('/authorize?');
  });
});

/** Cloud Code's setup calls for an account already set up in `project`, on its standard tier. */
function setUpAccount(project: string | undefined): CloudCodeScript {
  return { load: { currentTier: { id: 'standard-tier', name: 'Gemini Code Assist' }, ...(project ? { cloudaicompanionProject: project } : {}) } };
}

describe.concurrent('gemini', () => {
  const GEMINI_ACCOUNT = { provider: 'gemini-cli', providerLabel: 'Gemini (Code Assist, Google account)', email: 'dev@gmail.com' };
  const googleFake = () => fakeOAuth({ clientId: 'gemini-client', clientSecret: 'gemini-secret', rotateRefreshTokens: false, email: 'dev@gmail.com' });
  const geminiConfig = (fake: FakeOAuthServer, cloudCode: FakeUpstream) =>
    configWith({
      'gemini-cli': {
        endpoints: { authorize: `${fake.url}/authorize`, token: `${fake.url}/token`, userinfo: `${fake.url}/userinfo`, api: cloudCode.url },
        identity: { 'client-id': 'gemini-client', 'client-secret': 'gemini-secret' },
      },
    });

  it('logs in, names the account by its Google e-mail and stores the project loadCodeAssist gives', async () => {
    const fake = await googleFake();
    const cloudCode = await fakeUpstream(cloudCodeSetup(setUpAccount('managed-project-1')));
    const config = await geminiConfig(fake, cloudCode);
    const result = await approveInBrowser(login('gemini', config), fake);
    const { record, credentials } = await expectAdded(config, result, GEMINI_ACCOUNT);
    await expectListed(config, [record]);
    expect(result.stderr).toContain('Project managed-project-1 (standard-tier)');
    expect(fake.authorizeRequests[0]!.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2callback$/);
    expect(credentials).toMatchObject({ refreshToken: expect.any(String), extra: { project: 'managed-project-1' } });
    expect(cloudCode.requests.map((request) => [request.url, request.headers.authorization])).toEqual([
      ['/v1internal:loadCodeAssist', `Bearer ${credentials.accessToken}`],
    ]);
  });

  it('--project names the Google Cloud project to use', async () => {
    const fake = await googleFake();
    const cloudCode = await fakeUpstream(cloudCodeSetup(setUpAccount(undefined)));
    const config = await geminiConfig(fake, cloudCode);
    const result = await approveInBrowser(login('gemini', config, ['--project', 'my-project']), fake);
    const { credentials } = await expectAdded(config, result, GEMINI_ACCOUNT);
    expect(credentials.extra).toEqual({ project: 'my-project' });
    expect(JSON.parse(cloudCode.requests[0]!.body)).toMatchObject({ cloudaicompanionProject: 'my-project', metadata: { duetProject: 'my-project' } });
  });
});

describe.concurrent('antigravity', () => {
  it('logs in on its fixed callback port with PKCE and stores the Cloud Code project', async () => {
    const fake = await fakeOAuth({ clientId: 'ag-client', clientSecret: 'ag-secret', rotateRefreshTokens: false, email: 'ag@gmail.com' });
    const cloudCode = await fakeUpstream(cloudCodeSetup(setUpAccount('ag-project')));
    const port = await unusedPort();
    const config = await configWith({
      antigravity: {
        endpoints: { authorize: `${fake.url}/authorize`, token: `${fake.url}/token`, userinfo: `${fake.url}/userinfo`, production: cloudCode.url },
        identity: { 'client-id': 'ag-client', 'client-secret': 'ag-secret', 'callback-port': String(port) },
      },
    });
    const result = await approveInBrowser(login('antigravity', config), fake);
    const { record, credentials } = await expectAdded(config, result, {
      provider: 'antigravity',
      providerLabel: 'Antigravity (Google account)',
      email: 'ag@gmail.com',
    });
    await expectListed(config, [record]);
    const authorize = fake.authorizeRequests[0]!;
    expect(authorize.get('redirect_uri')).toBe(`http://localhost:${port}/oauth-callback`);
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(credentials.extra).toEqual({ project: 'ag-project' });
    expect(cloudCode.requests.map((request) => request.url)).toEqual(['/v1internal:loadCodeAssist']);
  });
});

describe.concurrent('copilot', () => {
  const expiresAtSeconds = Math.floor(Date.now() / 1000) + 1800;
  /** api.github.com: the Copilot token for the GitHub token, and the user. */
  const github = () =>
    fakeUpstream((request) => {
      if (request.url === '/copilot_internal/v2/token') {
        const endpoints = { api: 'https://api.individual.githubcopilot.com' };
        return { body: JSON.stringify({ token: 'copilot-token-1', expires_at: expiresAtSeconds, refresh_in: 1500, endpoints }) };
      }
      if (request.url === '/user') return { body: JSON.stringify({ login: 'octocat', id: 1 }) };
      return { status: 404, body: '{"message":"Not Found"}' };
    });
  const copilotConfig = (fake: FakeOAuthServer, api: FakeUpstream) =>
    configWith({
      copilot: {
        endpoints: {
          'device-code': `${fake.url}/device/code`,
          token: `${fake.url}/token`,
          'copilot-token': `${api.url}/copilot_internal/v2/token`,
          user: `${api.url}/user`,
        },
        identity: { 'client-id': fake.config.clientId },
      },
    });

  /** GitHub answers pending polls with 200; the script's polls are the user taking a moment to approve. */
  const githubDevice = (devicePolls: DevicePollStep[]) => fakeOAuth({ clientId: 'Iv1.test', deviceErrorStatus: 200, deviceInterval: 0.01, devicePolls });

  it('shows the device code, waits for approval, trades the GitHub token for a Copilot token and names the account by its login', async () => {
    const fake = await githubDevice(['authorization_pending', 'authorization_pending']);
    const api = await github();
    const config = await copilotConfig(fake, api);
    const cli = login('copilot', config);
    await cli.waitForStdout(/and check that it shows the code ABCD-1234/);
    const result = await cli.result;
    const { record, credentials } = await expectAdded(config, result, { provider: 'copilot', providerLabel: 'GitHub Copilot', email: 'octocat' });
    await expectListed(config, [record]);
    expect(credentials).toMatchObject({
      accessToken: 'copilot-token-1',
      refreshToken: expect.stringMatching(/^access-/),
      expiresAt: expiresAtSeconds * 1000,
      extra: { apiBase: 'https://api.individual.githubcopilot.com' },
    });
    expect(api.requests.map((request) => [request.url, request.headers.authorization])).toEqual([
      ['/copilot_internal/v2/token', `token ${credentials.refreshToken}`],
      ['/user', `token ${credentials.refreshToken}`],
    ]);
  });

  it('stops when the device code expires before approval', async () => {
    const fake = await githubDevice(['authorization_pending', 'expired_token']);
    const api = await github();
    const config = await copilotConfig(fake, api);
    const result = await login('copilot', config).result;
    await expectRefused(config, result, 'the device code expired before the login was approved — run the login again for a new code');
    expect(api.requests).toEqual([]);
  });
});

describe.concurrent('qwen', () => {
  it('runs the device flow with PKCE and stores the API host from resource_url', async () => {
    const fake = await fakeOAuth({
      clientId: 'qwen-test',
      tokenEncoding: 'form',
      deviceInterval: 0.01,
      devicePolls: ['authorization_pending'],
      extraTokenFields: { resource_url: 'portal.qwen.ai' },
    });
    const config = await configWith({
      qwen: { endpoints: { 'device-code': `${fake.url}/device/code`, token: `${fake.url}/token` }, identity: { 'client-id': 'qwen-test' } },
    });
    const result = await login('qwen', config).result;
    // Qwen names no user: the account is "default" until given a --label.
    const { credentials } = await expectAdded(config, result, { provider: 'qwen', providerLabel: 'Qwen Code (legacy: its free tier ended 2026-04-15)' });
    expect(result.stdout).toContain('and check that it shows the code ABCD-1234');
    expect(fake.deviceCodeRequests[0]).toMatchObject({ code_challenge: expect.any(String), code_challenge_method: 'S256' });
    expect(fake.tokenRequests.at(-1)!.params.code_verifier).toEqual(expect.any(String));
    expect(credentials).toMatchObject({ refreshToken: expect.any(String), extra: { apiBase: 'https://portal.qwen.ai/v1' } });

    // With no e-mail to match, a second login without --label renews "default" and says how to add another instead.
    const again = await login('qwen', config).result;
    expect(again.code, showResult(again)).toBe(0);
    expect(again.stdout).toMatch(/^Renewed Qwen Code .* account "default" \(qwen-[0-9a-f]{6}\) in the file store\.\nTo add another account instead, log in with --label <name>\.$/m);
    const accounts = await storedAccounts(config);
    expect(accounts.map((account) => account.label)).toEqual(['default']);
    await expectListed(config, accounts);
  });
});
