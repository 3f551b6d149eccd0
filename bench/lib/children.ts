/**
 * Child processes of the benchmark: started in their own process group so that a
 * launcher that re-spawns (a shell wrapper, tsx's CLI) is killed with everything
 * under it, and always killed when the benchmark exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Last lines the child printed, for error messages. */
  output(): string;
  exited(): boolean;
}

const OUTPUT_LINES = 40;
const children = new Set<Child>();
const exitHooks: Array<() => void> = [];

function lastLines(path: string, count: number): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).slice(-count);
  } catch {
    return [];
  }
}

/**
 * Output goes to `logFile`, not to a pipe: a proxy logging every request into a pipe
 * that the busy load generator drains would be throttled by the benchmark itself.
 */
export function spawnChild(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv },
): Child {
  const log = openSync(options.logFile, 'w');
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log); // The child holds its own descriptor.
  if (proc.pid === undefined) {
    proc.once('error', () => undefined); // Reported by the throw; unhandled it would crash the process.
    throw new Error(`could not start ${name}: ${command} is missing or not executable`);
  }
  let exited = false;
  const child: Child = {
    name,
    process: proc,
    pid: proc.pid,
    output: () => lastLines(options.logFile, OUTPUT_LINES).join('\n'),
    exited: () => exited,
  };
  const forget = (): void => {
    exited = true;
    children.delete(child);
  };
  proc.once('exit', forget);
  proc.once('error', forget);
  children.add(child);
  return child;
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function waitForExit(child: Child, timeoutMs: number): Promise<void> {
  if (child.exited()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.process.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** SIGTERM one child's group, then SIGKILL it if it is still alive after a grace period. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  signalGroup(child, 'SIGTERM');
  await waitForExit(child, graceMs);
  signalGroup(child, 'SIGKILL');
}

/** SIGTERM every child group, then SIGKILL whatever is still alive after a grace period. */
export async function stopChildren(graceMs = 3000): Promise<void> {
  const running = [...children];
  for (const child of running) signalGroup(child, 'SIGTERM');
  await Promise.all(running.map((child) => waitForExit(child, graceMs)));
  for (const child of running) signalGroup(child, 'SIGKILL');
}

/** Runs `hook` synchronously when the process exits (for temp-dir removal and the like). */
export function onExit(hook: () => void): void {
  exitHooks.push(hook);
}

/** Makes sure no child outlives the benchmark: on normal exit, errors and signals. */
export function installCleanup(): void {
  process.once('exit', () => {
    for (const child of children) signalGroup(child, 'SIGKILL');
    for (const hook of exitHooks) hook();
  });
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const [signal, code] of Object.entries(codes)) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping children`);
      void stopChildren(1000).finally(() => process.exit(code));
    });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The first output line matching `pattern`; fails if the child exits or time runs out. */
export async function waitForLine(child: Child, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = child.output().split('\n').find((candidate) => pattern.test(candidate.trim()));
    if (line) return line.trim();
    if (child.exited()) throw new Error(`${child.name} exited before printing ${pattern}:\n${child.output()}`);
    await sleep(50);
  }
  throw new Error(`${child.name} printed no ${pattern} within ${timeoutMs} ms:\n${child.output()}`);
}

/** Polls `url` until it answers 200; fails fast if the child dies. */
export async function waitForHealthy(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`${child.name} exited during start-up:\n${child.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not healthy at ${url} after ${timeoutMs} ms (${lastProblem}):\n${child.output()}`);
}

/** A port that was free a moment ago on 127.0.0.1 (for a child that must be told its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
