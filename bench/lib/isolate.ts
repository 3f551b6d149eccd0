/**
 * Runs the benchmark in a network namespace of its own (`unshare -n`), where the only
 * interface is loopback: nothing it starts can reach, or be reached from, any other
 * address. The Portkey gateway listens on every interface (it takes no host option), so
 * it runs only inside such a namespace.
 *
 * `run.ts` calls `isolation()` first. Outside a namespace it re-executes itself as
 *
 *   unshare -n -- sh -c 'ulimit -n <hard>; ip link set lo up && exec "$@"' sh <node> <args>
 *
 * (as root; `unshare -rn`, a user namespace mapping the caller to root, otherwise) and
 * exits with the child's code. Where neither works it runs in place and says why, and the
 * benchmark leaves Portkey out.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** Set in the re-executed child so it does not try again. */
const MARK = 'LLM_MUX_BENCH_NETNS';

export type Isolation =
  | { kind: 'namespace'; interfaces: string[] }
  | { kind: 'none'; reason: string }
  /** This process re-executed itself in a namespace; the child's exit code follows. */
  | { kind: 'reexec'; exitCode: Promise<number> };

/** Interfaces of this process's network namespace (/proc/net is per namespace; /sys/class/net is not). */
export function interfaces(): string[] {
  try {
    return readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0]!.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

const onlyLoopback = (names: string[]): boolean => names.length === 1 && names[0] === 'lo';

/** The shell line run inside the namespace: lift the descriptor limit (1,000 streams need 2,000+), bring lo up, run. */
const INNER = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; ip link set lo up && exec "$@"';

function works(args: string[]): boolean {
  const probe = spawnSync('unshare', [...args, '--', 'sh', '-c', INNER, 'sh', 'true'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0;
}

function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Where this benchmark runs. `wanted` false (`--no-isolate`) runs in place. Otherwise a
 * process already alone with loopback runs in place, and any other re-executes itself.
 */
export function isolation(wanted: boolean, log: (message: string) => void): Isolation {
  const names = interfaces();
  if (onlyLoopback(names)) {
    if (process.env[MARK] !== '1') log('already in a network namespace with only loopback');
    return { kind: 'namespace', interfaces: names };
  }
  if (process.env[MARK] === '1') return { kind: 'none', reason: `the namespace has interfaces other than lo: ${names.join(', ')}` };
  if (!wanted) return { kind: 'none', reason: '--no-isolate' };
  if (!hasCommand('unshare')) return { kind: 'none', reason: '`unshare` (util-linux) is not installed' };
  if (!hasCommand('ip')) return { kind: 'none', reason: '`ip` (iproute2) is not installed' };
  const flags = [['-n'], ['-r', '-n']].find(works);
  if (!flags) return { kind: 'none', reason: '`unshare -n` and `unshare -rn` both failed (no permission to create a network namespace)' };

  log(`re-running in a new network namespace (unshare ${flags.join(' ')}), loopback only`);
  const child = spawn(
    'unshare',
    [...flags, '--', 'sh', '-c', INNER, 'sh', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [MARK]: '1' } },
  );
  // Ctrl-C reaches the child through the terminal's process group; SIGTERM is passed on.
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGHUP', forward('SIGHUP'));
  const exitCode = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    child.once('error', () => resolve(1));
  });
  return { kind: 'reexec', exitCode };
}
