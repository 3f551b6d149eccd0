// End-to-end check of the shipped artifact: the compiled dist/llm-mux, copied alone into an
// empty directory, must init, serve and proxy a chat request without the repository beside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOAuthServer } from './support/fake-oauth-server.ts';
import { secretServiceUnavailable, startSecretService } from './support/secret-service.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NO_KEYRING = secretServiceUnavailable();
const UPSTREAM_KEY = 'sk-test-key-123';
const REPLY = 'hello from the fake upstream';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface UpstreamRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: { model?: string; stream?: boolean } & Record<string, unknown>;
  /** Which of llm-mux's sockets it came on. */
  remotePort: number | undefined;
}

const children = new Set<ChildProcess>();
let workDir = '';
let binDir = '';
let configPath = '';
let env: NodeJS.ProcessEnv = {};
let upstream: Server | undefined;
const upstreamRequests: UpstreamRequest[] = [];
/** Requests whose first message says `hang` get no answer: their sockets' closes, in order. */
const hungUp: Array<Promise<void>> = [];

/** Spawns a tracked child so afterAll can kill it whatever happened to the test. */
function start(command: string, args: string[], cwd: string, childEnv = env): ChildProcess {
  const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { stdout: () => stdout, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

async function run(command: string, args: string[], cwd: string, childEnv = env): Promise<Result> {
  const child = start(command, args, cwd, childEnv);
  const output = collect(child);
  const { code, signal } = await exited(child);
  return { code, signal, stdout: output.stdout(), stderr: output.stderr() };
}

function describeResult(result: Result): string {
  return `exit ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

type Output = ReturnType<typeof collect>;

function rejectAfter(ms: number, message: string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Resolves with the first match of `pattern` in the child's stdout; rejects if it exits first. */
async function waitForOutput(child: ChildProcess, output: Output, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const timeout = rejectAfter(timeoutMs, `no ${pattern} on stdout within ${timeoutMs} ms`);
  let onData = () => {};
  const matched = new Promise<RegExpMatchArray>((resolve) => {
    onData = () => {
      const match = stripAnsi(output.stdout()).match(pattern);
      if (match) resolve(match);
    };
    child.stdout?.on('data', onData);
    onData();
  });
  const died = exited(child).then(({ code, signal }) => {
    throw new Error(`exited (${code ?? signal}) before printing ${pattern}`);
  });
  died.catch(() => {}); // Observed by the race below; the server exiting later is not an error here.
  try {
    return await Promise.race([matched, died, timeout.promise]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- stdout\n${output.stdout()}\n--- stderr\n${output.stderr()}`);
  } finally {
    timeout.cancel();
    child.stdout?.off('data', onData);
  }
}

/** A minimal OpenAI-compatible upstream that records what the proxy forwarded. */
function startUpstream(): Promise<number> {
  const completion = {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  };
  upstream = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      let body: UpstreamRequest['body'] = {};
      try {
        body = JSON.parse(raw) as UpstreamRequest['body'];
      } catch {
        // Recorded as empty; the assertions below will say what was wrong.
      }
      upstreamRequests.push({ method: req.method, url: req.url, headers: req.headers, body, remotePort: req.socket.remotePort });
      if ((body.messages as Array<{ content?: unknown }> | undefined)?.[0]?.content === 'hang') {
        hungUp.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      if (body.stream === true) {
        // The proxy may stream upstream even for a non-streaming client; answer in kind.
        const chunk = (delta: object, finish: string | null) => ({
          id: completion.id,
          object: 'chat.completion.chunk',
          created: completion.created,
          model: completion.model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        });
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        // A word per chunk, as models stream: a translated stream takes the byte lane from the third on.
        const [first, ...rest] = REPLY.split(/(?= )/);
        res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: first }, null))}\n\n`);
        for (const word of rest) res.write(`data: ${JSON.stringify(chunk({ content: word }, null))}\n\n`);
        res.write(`data: ${JSON.stringify({ ...chunk({}, 'stop'), usage: completion.usage })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    });
  });
  return new Promise((resolve, reject) => {
    upstream?.once('error', reject);
    upstream?.listen(0, '127.0.0.1', () => resolve((upstream?.address() as AddressInfo).port));
  });
}

describe('compiled binary', () => {
  beforeAll(async () => {
    // The build runs in the real environment (npm config, bun's cache); only the binary is sandboxed.
    const build = await run('npm', ['run', 'build'], ROOT, process.env);
    if (build.code !== 0) throw new Error(`npm run build failed: ${describeResult(build)}`);

    workDir = await mkdtemp(join(tmpdir(), 'llm-mux-binary-'));
    binDir = join(workDir, 'bin');
    configPath = join(workDir, 'cfg', 'config.yaml');
    await mkdir(binDir);
    await mkdir(join(workDir, 'home'));
    await mkdir(join(workDir, 'xdg'));
    await copyFile(join(ROOT, 'dist', 'llm-mux'), join(binDir, 'llm-mux'));
    await chmod(join(binDir, 'llm-mux'), 0o755);

    // Point every config lookup into the temp dir so the user's real config is never touched.
    env = { ...process.env, HOME: join(workDir, 'home'), XDG_CONFIG_HOME: join(workDir, 'xdg'), NO_COLOR: '1' };
    delete env.LLM_MUX_CONFIG;
    delete env.FORCE_COLOR;
  }, 240_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    upstream?.closeAllConnections();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('prints the package.json version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await run('./llm-mux', ['--version'], binDir);
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toContain(version);
  });

  it('init writes the inlined example config and prints a management key', async () => {
    const result = await run('./llm-mux', ['init', '--config', configPath], binDir);
    expect(result.code, describeResult(result)).toBe(0);
    expect(stripAnsi(result.stdout)).toMatch(/mux-mgmt-[A-Za-z0-9_-]{43}/);
    // Only the build-time copy can have produced this: no llm-mux.example.yaml is beside the binary.
    const example = await readFile(join(ROOT, 'llm-mux.example.yaml'), 'utf8');
    expect(await readFile(configPath, 'utf8')).toBe(example);
  });

  // The keychain library is a native addon: this proves the build embedded it.
  it.skipIf(NO_KEYRING)(`stores and reads back a secret in the OS keychain${NO_KEYRING ? ` [skipped: ${NO_KEYRING}]` : ''}`, async () => {
    const keyring = await startSecretService();
    try {
      const args = ['accounts', 'check-store', '--config', configPath, '--store', 'keychain'];
      const result = await run('./llm-mux', args, binDir, { ...env, DBUS_SESSION_BUS_ADDRESS: keyring.address });
      expect(result.code, describeResult(result)).toBe(0);
      expect(result.stdout).toContain('credential store: keychain (service "llm-mux")');
      expect(result.stderr).toBe('');
    } finally {
      await keyring.stop();
    }
  }, 60_000);

  it.skipIf(process.platform !== 'linux')('falls back to credentials.json with a warning when no D-Bus session answers', async () => {
    const args = ['accounts', 'check-store', '--config', configPath, '--store', 'auto'];
    const result = await run('./llm-mux', args, binDir, { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(workDir, 'no-bus')}` });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toContain(`credential store: file (${join(workDir, 'cfg', 'credentials.json')})`);
    expect(result.stderr).toMatch(/^warning: OS keychain not usable \(.+\); storing credentials in .+credentials\.json/);
  }, 60_000);

  it('serves, proxies a chat request upstream, and exits 0 on SIGTERM', async () => {
    const upstreamPort = await startUpstream();
    await writeFile(
      configPath,
      [
        'host: 127.0.0.1',
        'port: 0',
        'providers:',
        '  openai-compatible:',
        '    - name: fake',
        `      base-url: http://127.0.0.1:${upstreamPort}/v1`,
        `      api-keys: ["${UPSTREAM_KEY}"]`,
        '      models: [fake-model]',
        '',
      ].join('\n'),
    );

    const server = start('./llm-mux', ['serve', '--config', configPath, '--port', '0'], binDir);
    const serverOutput = collect(server);
    const [url] = await waitForOutput(server, serverOutput, /http:\/\/127\.0\.0\.1:[1-9]\d*/, 15_000);

    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
    const completion = await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe(REPLY);

    const forwarded = upstreamRequests.filter((r) => r.url === '/v1/chat/completions');
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(forwarded[0]?.body.model).toBe('fake-model');

    // Translated under Bun: an Anthropic client streaming from the OpenAI upstream.
    const anthropic = new Anthropic({ baseURL: url, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
    const stream = await anthropic.messages.create({ model: 'fake-model', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let streamed = '';
    let outputTokens: number | undefined;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') streamed += event.delta.text;
      if (event.type === 'message_delta') outputTokens = event.usage.output_tokens;
    }
    expect(streamed).toBe(REPLY);
    expect(outputTokens).toBe(completion.usage?.completion_tokens);

    // The upstream cannot count: the binary estimates with the o200k vocabulary scripts/build.ts inlines.
    const count = await fetch(`${url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. Ünïcödé, 日本語, 🎉.' }] }),
    });
    expect(await count.json()).toEqual({ input_tokens: 24 });

    // Generation POSTs skip Hono (src/server/app.ts): the browser check still guards them
    // under Bun, and other methods on their paths still reach Hono's 404.
    const foreign = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: 'forbidden_origin' } });
    const wrongMethod = await fetch(`${url}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toMatchObject({ error: { code: 'unknown_endpoint' } });
    expect(upstreamRequests.filter((r) => r.url === '/v1/chat/completions')).toHaveLength(2);

    // Whole answers from a loopback upstream come over llm-mux's own keep-alive sockets
    // (src/providers/loopback-http.ts, on Bun's sockets here): one socket for requests in a
    // row, and a body far larger than a socket buffer arrives whole.
    const large = 'x'.repeat(6 * 1024 * 1024);
    for (const content of ['one', 'two', large]) {
      const answer = await client.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content }] });
      expect(answer.choices[0]?.message.content).toBe(REPLY);
    }
    const lastThree = upstreamRequests.slice(-3);
    expect(lastThree.map((r) => (r.body.messages as Array<{ content: string }>)[0]!.content.length)).toEqual([3, 3, large.length]);
    expect(new Set(lastThree.map((r) => r.remotePort)).size).toBe(1);

    // A client that goes away while the upstream thinks: its upstream socket is closed (the
    // signals of requests in flight are looked at every 100 ms, see loopback-http.ts).
    const leaving = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hang' }] }),
      signal: AbortSignal.timeout(300),
    });
    await expect(leaving).rejects.toThrow();
    expect(hungUp).toHaveLength(1);
    const closing = rejectAfter(2_000, 'the upstream socket of a request whose client left is still open');
    await Promise.race([hungUp[0], closing.promise]).finally(closing.cancel);

    server.kill('SIGTERM');
    const deadline = rejectAfter(5_000, 'still running 5 s after SIGTERM');
    const exit = await Promise.race([exited(server), deadline.promise]).finally(deadline.cancel);
    expect(exit, `--- stdout\n${serverOutput.stdout()}\n--- stderr\n${serverOutput.stderr()}`).toEqual({ code: 0, signal: null });
  });

  // The login code (loopback HTTP, device polling, the lock, the credential store) runs under Bun too.
  it('logs in to a subscription with a device code, then serves a request with its token', async () => {
    const upstreamPort = upstream ? (upstream.address() as AddressInfo).port : await startUpstream();
    const oauth = await startFakeOAuthServer({
      clientId: 'qwen-test',
      tokenEncoding: 'form',
      deviceInterval: 0.01,
      devicePolls: ['authorization_pending'],
      extraTokenFields: { resource_url: `http://127.0.0.1:${upstreamPort}` },
    });
    try {
      const subscriptionConfig = join(workDir, 'subscription', 'config.yaml');
      await mkdir(join(workDir, 'subscription'));
      await writeFile(
        subscriptionConfig,
        [
          'credential-store: file',
          'providers:',
          '  qwen:',
          `    endpoints: {device-code: "${oauth.url}/device/code", token: "${oauth.url}/token"}`,
          '    identity: {client-id: qwen-test}',
          '    models: [qwen3-coder-plus]',
          '',
        ].join('\n'),
      );
      const login = await run('./llm-mux', ['login', 'qwen', '--no-browser', '--config', subscriptionConfig], binDir);
      expect(login.code, describeResult(login)).toBe(0);
      expect(stripAnsi(login.stdout)).toMatch(/Added Qwen Code .* account default \(qwen-[0-9a-f]{6}\)/);

      const server = start('./llm-mux', ['serve', '--config', subscriptionConfig, '--port', '0'], binDir);
      const [url] = await waitForOutput(server, collect(server), /http:\/\/127\.0\.0\.1:[1-9]\d*/, 15_000);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
      const completion = await client.chat.completions.create({ model: 'qwen3-coder-plus', messages: [{ role: 'user', content: 'hi' }] });
      expect(completion.choices[0]?.message.content).toBe(REPLY);
      const forwarded = upstreamRequests.at(-1)!;
      expect(forwarded.headers.authorization).toMatch(/^Bearer access-/);
      expect(forwarded.headers['x-dashscope-authtype']).toBe('qwen-oauth');
      server.kill('SIGTERM');
      await exited(server);
    } finally {
      await oauth.close();
    }
  });

  // Bun's fetch queues what goes beyond BUN_CONFIG_MAX_HTTP_REQUESTS (256 unless set) without a timeout.
  it('serve keeps more than 256 upstream requests open at once', async () => {
    const wanted = 300;
    const held: ServerResponse[] = [];
    let allOpen!: () => void;
    const opened = new Promise<void>((resolve) => (allOpen = resolve));
    // Answers nothing until `wanted` requests are open together: a capped proxy never gets there.
    const holding = createServer((req, res) => {
      req.resume();
      held.push(res);
      if (held.length === wanted) allOpen();
    });
    const holdingPort = await new Promise<number>((resolve) => holding.listen(0, '127.0.0.1', () => resolve((holding.address() as AddressInfo).port)));
    try {
      const manyConfig = join(workDir, 'many', 'config.yaml');
      await mkdir(join(workDir, 'many'));
      const provider = `{name: held, base-url: "http://127.0.0.1:${holdingPort}/v1", api-keys: [sk-held], models: [held-model]}`;
      await writeFile(manyConfig, ['credential-store: file', 'providers:', `  openai-compatible: [${provider}]`, ''].join('\n'));
      const serveEnv = { ...env };
      delete serveEnv.BUN_CONFIG_MAX_HTTP_REQUESTS;
      const server = start('./llm-mux', ['serve', '--config', manyConfig, '--port', '0'], binDir, serveEnv);
      const [url] = await waitForOutput(server, collect(server), /http:\/\/127\.0\.0\.1:[1-9]\d*/, 15_000);

      const body = JSON.stringify({ model: 'held-model', messages: [{ role: 'user', content: 'hi' }] });
      const answers = Array.from({ length: wanted }, () =>
        fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((response) => response.status),
      );
      const deadline = rejectAfter(15_000, `fewer than ${wanted} upstream requests were open at once after 15 s`);
      await Promise.race([opened, deadline.promise]).finally(deadline.cancel);
      const completion = { id: 'c', object: 'chat.completion', created: 1, model: 'held-model', choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }] };
      for (const response of held) response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
      expect(new Set(await Promise.all(answers))).toEqual(new Set([200]));
      server.kill('SIGTERM');
      await exited(server);
    } finally {
      for (const response of held) if (!response.writableEnded) response.destroy();
      holding.closeAllConnections();
      await new Promise<void>((resolve) => holding.close(() => resolve()));
    }
  }, 40_000);
});
