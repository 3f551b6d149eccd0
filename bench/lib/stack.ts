/**
 * The processes a benchmark measures: the fake upstream, llm-mux and the Portkey gateway,
 * each a child process (an event loop of its own) with its output in a log file under the
 * run's work directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort, spawnChild, waitForHealthy, waitForLine, type Child } from './children.ts';
import { CHAT_PATH, chatBody, timedRequest, type Target } from './load.ts';
import { commandOutput } from './machine.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FAKE_UPSTREAM = join(REPO_ROOT, 'bench/fake-upstream.ts');
const STARTUP_TIMEOUT_MS = 30_000;

/** The fake upstream under Node; `chunks` and `chunkSize` answer models that name no shape of their own. */
export async function startUpstream(workDir: string, chunks: number, chunkSize: number): Promise<{ child: Child; url: string }> {
  const args = ['--port', '0', '--chunks', String(chunks), '--chunk-size', String(chunkSize)];
  const child = spawnChild('fake upstream', process.execPath, ['--import', 'tsx', FAKE_UPSTREAM, ...args], {
    cwd: REPO_ROOT,
    logFile: join(workDir, 'fake-upstream.log'),
  });
  return { child, url: await waitForLine(child, /^http:\/\/127\.0\.0\.1:\d+$/, STARTUP_TIMEOUT_MS) };
}

export interface Command {
  command: string;
  args: string[];
  /** How the report names it. */
  label: string;
}

function writeConfig(dir: string, port: number, providers: string[]): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, [`host: 127.0.0.1`, `port: ${port}`, ...providers, ''].join('\n'));
  return path;
}

export interface Server {
  child: Child;
  /** How requests reach it: base URL and any headers it needs. */
  target: Target;
}

/** Each llm-mux lives in a directory of its own: config, state and log. */
export async function startLlmMux(
  command: Command,
  providers: string[],
  workDir: string,
  extraEnv: Record<string, string> = {},
): Promise<{ child: Child; baseUrl: string }> {
  const { launch, target } = await prepareLlmMux(command, providers, workDir, extraEnv);
  const child = launch();
  await waitForHealthy(child, `${target.baseUrl}/health`, STARTUP_TIMEOUT_MS);
  return { child, baseUrl: target.baseUrl };
}

/** Everything but the spawn (config, port), so that a start-up can be timed from the spawn on. */
export async function prepareLlmMux(
  command: Command,
  providers: string[],
  workDir: string,
  extraEnv: Record<string, string> = {},
): Promise<{ launch: () => Child; target: Target }> {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const configPath = writeConfig(workDir, port, providers);
  const env = {
    ...process.env,
    // Keep llm-mux away from the user's real config and state, and off any HTTP proxy.
    LLM_MUX_CONFIG: configPath,
    XDG_CONFIG_HOME: workDir,
    XDG_DATA_HOME: workDir,
    XDG_STATE_HOME: workDir,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    ...extraEnv,
  };
  const launch = (): Child =>
    spawnChild('llm-mux', command.command, [...command.args, 'serve', '--config', configPath], {
      cwd: REPO_ROOT,
      env,
      logFile: join(workDir, 'llm-mux.log'),
    });
  return { launch, target: { name: 'llm-mux', baseUrl: `http://127.0.0.1:${port}` } };
}

/** The Portkey gateway as installed from npm (`@portkey-ai/gateway`, a devDependency), run by Bun. */
export interface PortkeyInstall {
  version: string;
  /** Its start script, `build/start-server.js` (the package's `bin`). */
  entry: string;
  bun: string;
  bunVersion: string;
}

/** The installed gateway and a Bun to run it, or why not. */
export async function findPortkey(): Promise<PortkeyInstall | string> {
  const dir = join(REPO_ROOT, 'node_modules/@portkey-ai/gateway');
  if (!existsSync(join(dir, 'package.json'))) return '@portkey-ai/gateway is not installed (npm install)';
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin ?? {})[0];
  const entry = join(dir, bin ?? 'build/start-server.js');
  if (!existsSync(entry)) return `@portkey-ai/gateway has no ${entry}`;
  const local = join(REPO_ROOT, 'node_modules/.bin/bun');
  const bun = existsSync(local) ? local : 'bun';
  const bunVersion = await commandOutput(bun, ['--version']);
  if (!bunVersion) return 'no Bun to run the Portkey gateway with (the `bun` devDependency is missing)';
  return { version: pkg.version, entry, bun, bunVersion };
}

/**
 * Portkey's routing headers: the OpenAI provider at the fake upstream's address. The key
 * is a placeholder that the fake ignores; llm-mux sends its configured one.
 */
export function portkeyHeaders(upstreamUrl: string): Record<string, string> {
  return {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${upstreamUrl}/v1`,
    authorization: 'Bearer sk-bench-key',
  };
}

/**
 * `bun build/start-server.js --port=<port> --headless`: the gateway as `npx
 * @portkey-ai/gateway` runs it, less the log-viewer UI. It listens on every interface,
 * which is why the benchmark runs it only inside a loopback-only network namespace.
 */
export async function preparePortkey(
  install: PortkeyInstall,
  upstreamUrl: string,
  workDir: string,
  extraEnv: Record<string, string> = {},
): Promise<{ launch: () => Child; target: Target }> {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const launch = (): Child =>
    spawnChild('portkey', install.bun, [install.entry, `--port=${port}`, '--headless'], {
      cwd: workDir,
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extraEnv },
      logFile: join(workDir, 'portkey.log'),
    });
  return { launch, target: { name: 'portkey', baseUrl: `http://127.0.0.1:${port}`, headers: portkeyHeaders(upstreamUrl) } };
}

export async function startPortkey(install: PortkeyInstall, upstreamUrl: string, workDir: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  const { launch, target } = await preparePortkey(install, upstreamUrl, workDir, extraEnv);
  const child = launch();
  await timeToFirstAnswer(child, target, STARTUP_TIMEOUT_MS);
  return { child, target };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Milliseconds from `since` (default: now) until `target` first answers a non-streaming
 * chat completion with 200 — a request served end to end, through the upstream. Polls
 * every 2 ms on a fresh connection (a refused connect costs microseconds); fails if the
 * child exits or `timeoutMs` passes.
 */
export async function timeToFirstAnswer(child: Child, target: Target, timeoutMs: number, since = performance.now()): Promise<number> {
  const deadline = since + timeoutMs;
  const body = chatBody('non-streaming');
  let lastProblem = 'no answer yet';
  while (performance.now() < deadline) {
    if (child.exited()) throw new Error(`${child.name} exited during start-up:\n${child.output()}`);
    const agent = new Agent({ keepAlive: false });
    try {
      const answer = await timedRequest(target.baseUrl + CHAT_PATH, body, agent, target.headers);
      if (answer.status === 200 && answer.body.includes('"choices"')) return performance.now() - since;
      lastProblem = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    } finally {
      agent.destroy();
    }
    await sleep(2);
  }
  throw new Error(`${child.name} served no chat completion within ${timeoutMs} ms (${lastProblem}):\n${child.output()}`);
}
