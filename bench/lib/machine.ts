/** What a result needs to be comparable later: hardware, runtimes and the code measured. */
import { execFile } from 'node:child_process';
import { availableParallelism, arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  /** Other work on the machine skews every number; recorded so a noisy run can be recognised. */
  loadAverage1m: number;
  node: string;
  bun: string | null;
  gitCommit: string | null;
}

/** First stdout line of a short command, or null if it fails or hangs. */
export async function commandOutput(command: string, args: string[], cwd?: string): Promise<string | null> {
  try {
    const { stdout } = await run(command, args, { cwd, timeout: 30_000, encoding: 'utf8' });
    return stdout.trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

/** Call before starting any child: the load average must not include the benchmark itself. */
export async function machineInfo(repoRoot: string): Promise<MachineInfo> {
  const loadAverage1m = loadavg()[0] ?? 0;
  const [bun, gitCommit] = await Promise.all([
    commandOutput('npx', ['--no-install', 'bun', '--version'], repoRoot),
    commandOutput('git', ['rev-parse', '--short', 'HEAD'], repoRoot),
  ]);
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()} ${arch()}`,
    loadAverage1m,
    node: process.version,
    bun,
    gitCommit,
  };
}
