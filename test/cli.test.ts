// The CLI as a user runs it: `node bin/llm-mux ...` in a child process, with every config
// location (HOME, XDG_CONFIG_HOME, LLM_MUX_CONFIG) pointed into a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { isolatedCliEnv } from './support/cli.ts';
import { fakeProviderConfig } from './support/llm-mux.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'llm-mux');
const KEY_PATTERN = /mux-mgmt-[A-Za-z0-9_-]{43}/;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let work = '';
let baseEnv: NodeJS.ProcessEnv = {};
const children = new Set<ChildProcess>();

function start(args: string[], env: NodeJS.ProcessEnv = baseEnv): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function run(args: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<Result> {
  const started = start(args, env);
  const status = await exited(started.child);
  // 'exit' can fire before the pipes drain.
  await Promise.all([once(started.child.stdout!, 'close'), once(started.child.stderr!, 'close')]);
  return { ...status, stdout: started.stdout(), stderr: started.stderr() };
}

function once(stream: NodeJS.ReadableStream, event: string): Promise<void> {
  return new Promise((resolve) => {
    if ((stream as { closed?: boolean }).closed) resolve();
    else stream.once(event, () => resolve());
  });
}

function show(result: Result): string {
  return `exit ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** An env whose config lookups all land in a fresh dir under `work`. */
async function isolatedEnv(name: string, extra: NodeJS.ProcessEnv = {}): Promise<{ env: NodeJS.ProcessEnv; xdg: string }> {
  const env = await isolatedCliEnv(join(work, name), extra);
  const xdg = env.XDG_CONFIG_HOME!;
  await mkdir(xdg, { recursive: true });
  return { env, xdg };
}

async function snapshot(dir: string): Promise<Map<string, { bytes: Buffer; mtimeMs: number; mode: number }>> {
  const files = new Map<string, { bytes: Buffer; mtimeMs: number; mode: number }>();
  for (const name of await readdir(dir)) {
    const file = join(dir, name);
    const info = await stat(file);
    files.set(name, { bytes: await readFile(file), mtimeMs: info.mtimeMs, mode: info.mode & 0o777 });
  }
  return files;
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Resolves with the first match of `pattern` in the output, or rejects when the child exits or time runs out. */
function waitFor(output: () => string, child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = stripAnsi(output()).match(pattern);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`exited before printing ${pattern}:\n${output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-mux-cli-'));
  baseEnv = (await isolatedEnv('default')).env;
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

describe('help and version', () => {
  it('prints the version and every help; refuses an unknown command and a bad --port', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const [versionResult, help, serveHelp, initHelp, modelsHelp, unknown, badPort] = await Promise.all([
      run(['--version']),
      run(['--help']),
      run(['serve', '--help']),
      run(['init', '--help']),
      run(['models', '--help']),
      run(['frobnicate']),
      run(['serve', '--port', 'http']),
    ]);

    expect(versionResult.code, show(versionResult)).toBe(0);
    expect(versionResult.stdout.trim()).toBe(version);

    expect(help.code, show(help)).toBe(0);
    for (const command of ['init', 'serve', 'models', 'login', 'accounts', 'logout']) expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));

    expect(serveHelp.code, show(serveHelp)).toBe(0);
    expect(serveHelp.stdout).toMatch(/^Usage: llm-mux serve/);
    for (const option of ['--port <port>', '--host <host>', '--config <path>']) expect(serveHelp.stdout).toContain(option);

    expect(initHelp.code, show(initHelp)).toBe(0);
    expect(initHelp.stdout).toMatch(/^Usage: llm-mux init/);
    for (const option of ['--force', '--config <path>']) expect(initHelp.stdout).toContain(option);

    expect(modelsHelp.code, show(modelsHelp)).toBe(0);
    expect(modelsHelp.stdout).toMatch(/^Usage: llm-mux models/);
    for (const option of ['--json', '--config <path>']) expect(modelsHelp.stdout).toContain(option);

    expect(unknown.code, show(unknown)).not.toBe(0);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(unknown.stdout).toBe('');

    expect(badPort.code, show(badPort)).not.toBe(0);
    expect(badPort.stderr).toContain("option '--port <port>' argument 'http' is invalid. expected a port number 0-65535");
  });
});

describe('init', () => {
  it('creates config.yaml from the example and a hashed management key, each 0600', async () => {
    const { env, xdg } = await isolatedEnv('init');
    const dir = join(xdg, 'llm-mux');

    const first = await run(['init'], env);
    expect(first.code, show(first)).toBe(0);
    const key = first.stdout.match(KEY_PATTERN)?.[0];
    expect(key, show(first)).toBeDefined();
    expect(first.stdout).toContain(`Created ${join(dir, 'config.yaml')}`);

    const files = await snapshot(dir);
    expect([...files.keys()].sort()).toEqual(['config.yaml', 'management-key.json']);
    expect(files.get('config.yaml')!.bytes.equals(await readFile(join(ROOT, 'llm-mux.example.yaml')))).toBe(true);
    expect(files.get('config.yaml')!.mode).toBe(0o600);
    expect(files.get('management-key.json')!.mode).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);

    // Only the hash is stored: the key itself is in no file.
    const stored = JSON.parse(files.get('management-key.json')!.bytes.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(['created', 'sha256']);
    expect(stored.sha256).toBe(sha256Hex(key!));
    for (const [name, file] of files) expect(file.bytes.toString('utf8'), name).not.toContain(key!);
    expect(await readdir(join(xdg, '..', 'home'))).toEqual([]);

    // A second init changes nothing.
    const second = await run(['init'], env);
    expect(second.code, show(second)).toBe(0);
    expect(second.stdout).toContain('Nothing changed');
    expect(second.stdout).toContain('init --force');
    expect(second.stdout).not.toMatch(KEY_PATTERN);
    expect(await snapshot(dir)).toEqual(files);

    // --force: a new key; only its hash changes, config.yaml stays as it was.
    const forced = await run(['init', '--force'], env);
    expect(forced.code, show(forced)).toBe(0);
    const newKey = forced.stdout.match(KEY_PATTERN)?.[0];
    expect(newKey, show(forced)).toBeDefined();
    expect(newKey).not.toBe(key);
    const after = await snapshot(dir);
    expect([...after.keys()].sort()).toEqual(['config.yaml', 'management-key.json']);
    expect(after.get('config.yaml')).toEqual(files.get('config.yaml'));
    expect(after.get('management-key.json')!.mode).toBe(0o600);
    const restored = JSON.parse(after.get('management-key.json')!.bytes.toString('utf8')) as Record<string, unknown>;
    expect(restored.sha256).toBe(sha256Hex(newKey!));
    for (const [name, file] of after) expect(file.bytes.toString('utf8'), name).not.toContain(newKey!);
  });

  it('honours --config, then LLM_MUX_CONFIG, over the XDG location', async () => {
    const flagPath = join(work, 'flag', 'nested', 'my.yaml');
    const envPath = join(work, 'envvar', 'config.yaml');
    const { env, xdg } = await isolatedEnv('paths', { LLM_MUX_CONFIG: envPath });

    const viaFlag = await run(['init', '--config', flagPath], env);
    expect(viaFlag.code, show(viaFlag)).toBe(0);
    expect(await readdir(join(work, 'flag', 'nested'))).toEqual(['management-key.json', 'my.yaml']);

    const viaEnv = await run(['init'], env);
    expect(viaEnv.code, show(viaEnv)).toBe(0);
    expect(await readdir(join(work, 'envvar'))).toEqual(['config.yaml', 'management-key.json']);
    expect(await readdir(xdg)).toEqual([]);

    // `models` reads the same place: --config wins over LLM_MUX_CONFIG.
    await writeFile(flagPath, fakeProviderConfig('http://127.0.0.1:9'));
    const [fromFlag, fromEnv] = await Promise.all([run(['models', '--config', flagPath], env), run(['models'], env)]);
    expect(fromFlag.code, show(fromFlag)).toBe(0);
    expect(fromFlag.stdout).toMatch(/^fake-model\s+fake$/m);
    expect(fromEnv.code, show(fromEnv)).toBe(0);
    expect(fromEnv.stdout).toContain('No models');
  });
});

describe('models', () => {
  it('lists configured openai-compatible models under their client names; a missing config gives the init hint', async () => {
    const configPath = join(work, 'models.yaml');
    const missing = join(work, 'nowhere', 'config.yaml');
    await writeFile(configPath, fakeProviderConfig('http://127.0.0.1:9'));
    const [table, json, noConfig] = await Promise.all([
      run(['models', '--config', configPath]),
      run(['models', '--config', configPath, '--json']),
      run(['models', '--config', missing]),
    ]);
    expect(table.code, show(table)).toBe(0);
    expect(table.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^fake-model\s+fake$/),
      expect.stringMatching(/^aliased-model\s+fake$/),
    ]);
    expect(json.code, show(json)).toBe(0);
    // The alias is what clients use; the upstream name stays internal.
    expect(JSON.parse(json.stdout)).toEqual([
      { id: 'fake-model', provider: 'fake' },
      { id: 'aliased-model', provider: 'fake' },
    ]);
    expect(noConfig.code, show(noConfig)).toBe(1);
    expect(noConfig.stderr).toBe(`error: ${missing}: no config file here; run \`llm-mux init\` to create one\n`);
  });
});

describe('serve', () => {
  it('prints one red error line for an invalid config, with file:line and key path, and no stack', async () => {
    const configPath = join(work, 'invalid.yaml');
    await writeFile(configPath, 'host: 127.0.0.1\nport: "8317x"\n');
    const env = { ...baseEnv, FORCE_COLOR: '1' };
    const result = await run(['serve', '--config', configPath, '--port', '0'], env);
    expect(result.code, show(result)).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^\u001b\[31m.*\u001b\[39m$/);
    expect(stripAnsi(lines[0]!)).toMatch(new RegExp(`^error: ${configPath}:2:7: port: .*expected number`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a non-loopback --host without api-keys', async () => {
    const configPath = join(work, 'open.yaml');
    await writeFile(configPath, '');
    const result = await run(['serve', '--config', configPath, '--host', '0.0.0.0', '--port', '0']);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toBe(`error: ${configPath}: auth.api-keys: listening on 0.0.0.0 (not loopback) requires at least one API key\n`);
  });

  it('prints the banner for --port 0 and exits 0 on SIGTERM', async () => {
    const configPath = join(work, 'idle.yaml');
    await writeFile(configPath, fakeProviderConfig('http://127.0.0.1:9'));
    const server = start(['serve', '--config', configPath, '--port', '0']);
    // The banner's last line is the config path.
    await waitFor(server.stdout, server.child, /config: .*\n/);
    const banner = stripAnsi(server.stdout());
    const url = banner.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    expect(url, banner).toBeDefined();
    expect(url).not.toMatch(/:0$/);
    expect(banner).toMatch(/^llm-mux \S+ listening on http:\/\/127\.0\.0\.1:\d+$/m);
    expect(banner).toMatch(/providers:\s+fake \(2 models\)/);
    expect(banner).toMatch(/client auth: off \(loopback only\)/);
    expect(banner).toMatch(/management: off/);
    expect(banner).toContain(`config:     ${configPath}`);

    const health = await fetch(`${url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });

    server.child.kill('SIGTERM');
    expect(await exited(server.child), show({ code: null, signal: null, stdout: server.stdout(), stderr: server.stderr() })).toEqual({
      code: 0,
      signal: null,
    });
    expect(server.stdout()).toContain('SIGTERM: finishing running requests');
  });
});

describe('serve: graceful shutdown', () => {
  const CHUNKS = 20;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    // Every event has the same length, so each write of `chunkSize` bytes is one event.
    const events = Array.from({ length: CHUNKS }, (_, i) => {
      const chunk = { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `t${String(i).padStart(2, '0')}` } }] };
      return `data: ${JSON.stringify(chunk)}\n\n`;
    });
    const body = `${events.join('')}data: [DONE]\n\n`;
    upstream = await startFakeUpstream(() => ({
      headers: { 'content-type': 'text/event-stream' },
      body,
      chunkSize: events[0]!.length,
      delayMs: 100,
    }));
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('finishes a running stream after SIGTERM, refuses new requests, then exits 0', async () => {
    const configPath = join(work, 'drain.yaml');
    await writeFile(configPath, fakeProviderConfig(upstream.url));
    const server = start(['serve', '--config', configPath, '--port', '0']);
    const [, url] = await waitFor(server.stdout, server.child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const output = () => `--- stdout\n${server.stdout()}\n--- stderr\n${server.stderr()}`;

    // Connection: close, so the drain waits on this request and not on an idle keep-alive socket.
    const response = await streamRequest(`${url}/v1/chat/completions`, {
      model: 'fake-model',
      stream: true,
      messages: [{ role: 'user', content: 'count' }],
    });
    expect(response.statusCode).toBe(200);
    const chunks = response.setEncoding('utf8')[Symbol.asyncIterator]() as AsyncIterator<string>;
    let received = '';
    while (!received.includes('t02')) {
      const { done, value } = await chunks.next();
      if (done) throw new Error(`stream ended early: ${received}`);
      received += value;
    }

    server.child.kill('SIGTERM');
    await waitFor(server.stdout, server.child, /SIGTERM: finishing running requests/);
    const exit = exited(server.child);

    // A new request on a new connection is refused while the stream is still running. The
    // SIGTERM line can arrive just before the listening socket closes; a connection caught in
    // its backlog then is reset rather than refused.
    const refused = await newRequest(`${url}/health`);
    expect(['ECONNREFUSED', 'ECONNRESET', 503], output()).toContain(refused);
    expect(received).not.toContain('[DONE]');

    for (;;) {
      const { done, value } = await chunks.next();
      if (done) break;
      received += value;
    }
    const streamEnded = Date.now();
    const data = received
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => block.slice(6));
    expect(data.at(-1)).toBe('[DONE]');
    const contents = data.slice(0, -1).map((json) => (JSON.parse(json) as { choices: Array<{ delta: { content: string } }> }).choices[0]!.delta.content);
    expect(contents).toEqual(Array.from({ length: CHUNKS }, (_, i) => `t${String(i).padStart(2, '0')}`));

    expect(await exit, output()).toEqual({ code: 0, signal: null });
    // Exits once the stream is done, not when the 10 s grace period runs out.
    expect(Date.now() - streamEnded).toBeLessThan(3_000);
    expect(upstream.requests).toHaveLength(1);
  });
});

function streamRequest(url: string, body: object): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, resolve);
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Status of a GET on a fresh connection, or the connection error code. */
function newRequest(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false }, (response: IncomingMessage) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
