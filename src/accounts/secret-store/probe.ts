import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KeychainSecretStore } from './keychain.ts';
import type { SecretStore } from '../types.ts';

/** The hidden CLI command a probe child runs (registered in src/cli/credentials.ts). */
export const KEYCHAIN_PROBE_COMMAND = 'keychain-probe';

export interface ProbeTiming {
  /** For the child to start (loading llm-mux from source under Node takes a second or more). */
  startupMs: number;
  /** For the keychain to answer once the child is running. */
  answerMs: number;
}

const DEFAULT_TIMING: ProbeTiming = { startupMs: 30_000, answerMs: 5_000 };

export type ProbeResult = { reachable: true } | { reachable: false; reason: string };

/** Writes, reads back and deletes a throwaway secret; throws when any step fails. */
export async function roundTrip(store: SecretStore): Promise<void> {
  const id = `.probe-${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  await store.set(id, secret);
  try {
    if ((await store.get(id)) !== secret) throw new Error('a secret written to it read back differently');
  } finally {
    await store.delete(id);
  }
}

/**
 * Whether the OS keychain works, decided in a child process. On Linux the keychain library
 * connects to D-Bus synchronously, so a hung bus or keyring daemon would freeze this
 * process for good (even exit waits for the stuck thread); a child can simply be killed.
 */
export function probeKeychain(timing: ProbeTiming = DEFAULT_TIMING): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const { command, args } = selfCommand([KEYCHAIN_PROBE_COMMAND]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(result);
    };
    const failAfter = (ms: number, reason: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ reachable: false, reason }), ms);
    };
    const onLine = (line: string) => {
      const message = parseLine(line);
      if (message?.stage === 'ready') {
        failAfter(timing.answerMs, `no answer within ${timing.answerMs / 1000} s (D-Bus or the keyring daemon hangs)`);
      } else if (message?.ok === true) {
        finish({ reachable: true });
      } else if (message?.ok === false) {
        finish({ reachable: false, reason: message.error ?? 'unknown error' });
      }
    };

    failAfter(timing.startupMs, `the probe process did not start within ${timing.startupMs / 1000} s`);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split('\n');
      stdout = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => finish({ reachable: false, reason: `could not start the probe process: ${error.message}` }));
    child.on('close', (code, signal) => {
      const detail = stderr.trim().split('\n')[0];
      finish({ reachable: false, reason: `the probe process exited (${code ?? signal}) without an answer${detail ? `: ${detail}` : ''}` });
    });
  });
}

/** The probe child's side: reports on stdout that it runs, then the outcome. */
export async function runKeychainProbe(): Promise<void> {
  const say = (message: ProbeMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);
  say({ stage: 'ready' });
  try {
    await roundTrip(new KeychainSecretStore());
    say({ ok: true });
  } catch (error) {
    say({ ok: false, error: (error as Error).message });
  }
}

interface ProbeMessage {
  stage?: 'ready';
  ok?: boolean;
  error?: string;
}

function parseLine(line: string): ProbeMessage | undefined {
  try {
    return JSON.parse(line) as ProbeMessage;
  } catch {
    return undefined; // Not ours (e.g. a runtime warning); the timers decide.
  }
}

// scripts/build.ts defines this in the compiled binary, which is its own entry point.
declare const __LLM_MUX_COMPILED__: boolean | undefined;

/** How to start this program again: the binary itself, or bin/llm-mux under the same runtime. */
function selfCommand(args: string[]): { command: string; args: string[] } {
  if (typeof __LLM_MUX_COMPILED__ === 'boolean') return { command: process.execPath, args };
  return { command: process.execPath, args: [fileURLToPath(new URL('../../../bin/llm-mux', import.meta.url)), ...args] };
}
