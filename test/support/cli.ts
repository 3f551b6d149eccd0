import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `node bin/llm-mux`, as a user (or a script) runs it. */
export const LLM_MUX_BIN = fileURLToPath(new URL('../../bin/llm-mux', import.meta.url));

/** Variables of the developer's own llm-mux setup (and colour) that a test's CLI run must not see. */
const USER_SETUP_VARIABLES = ['LLM_MUX_CONFIG', 'FORCE_COLOR', 'NO_COLOR', 'LLM_MUX_DEBUG', 'LLM_MUX_MANAGEMENT_KEY'];

/**
 * An environment for CLI runs kept away from the developer's own setup: HOME and the XDG
 * config directory under `dir` (HOME created), plain output, then `extra`.
 */
export async function isolatedCliEnv(dir: string, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'xdg') };
  for (const name of USER_SETUP_VARIABLES) delete env[name];
  await mkdir(env.HOME!, { recursive: true });
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  /** ANSI colours stripped. */
  stdout: string;
  stderr: string;
}

/** A CLI run still going: its output so far, its stdin, and its end. */
export interface RunningCli {
  /**
   * Resolves with the first match of `pattern` in stdout so far or to come (ANSI
   * stripped); rejects, showing the output, when the process ends without printing it.
   */
  waitForStdout(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Types a line on stdin, e.g. the redirect URL a user pastes. */
  writeLine(text: string): void;
  /** Closes stdin, after writing `text` when given. */
  endInput(text?: string): void;
  result: Promise<CliResult>;
  kill(): void;
}

/** Starts `llm-mux <args>` with stdin, stdout and stderr as pipes. */
export function startCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): RunningCli {
  const child = spawn(process.execPath, [LLM_MUX_BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const check of waiters) check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) }));
  });

  const waitForStdout = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = stripAnsi(stdout).match(pattern);
        if (!match) return;
        waiters.delete(check);
        resolve(match);
      };
      waiters.add(check);
      check();
      void result.then((ended) => {
        if (!waiters.delete(check)) return;
        reject(new Error(`llm-mux ended without printing ${pattern}\n${showResult(ended)}`));
      }, reject);
    });

  return {
    waitForStdout,
    writeLine: (text) => void child.stdin.write(`${text}\n`),
    endInput: (text) => void child.stdin.end(text),
    result,
    kill: () => void child.kill('SIGKILL'),
  };
}

/** Runs `llm-mux <args>` to its end with `input` on stdin. */
export function runCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<CliResult> {
  const cli = startCli(args, options);
  cli.endInput(options.input);
  return cli.result;
}

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/** A run's exit code and output, as the message of a failed expectation. */
export function showResult(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}
