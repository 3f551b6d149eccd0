/**
 * Memory and CPU of a process tree, read from Linux /proc. The tree (root plus all
 * descendants) is what counts because `node bin/llm-mux` may re-spawn the real server.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface TreeStats {
  rssBytes: number;
  /** user + system CPU time consumed so far. */
  cpuMs: number;
}

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself contain spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // Exited between listing and reading.
  }
}

function treePids(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = statFields(pid)?.[1]; // state, ppid, ...
    if (ppid !== undefined) parentOf.set(pid, Number(ppid));
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function cpuMs(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  // utime and stime are fields 14 and 15 of the full line, 12 and 13 after `(comm)`.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

export function treeStats(root: number): TreeStats {
  let rss = 0;
  let cpu = 0;
  for (const pid of treePids(root)) {
    rss += rssBytes(pid);
    cpu += cpuMs(pid);
  }
  return { rssBytes: rss, cpuMs: cpu };
}

/** Samples a tree's RSS on an interval while work runs; reports the peak and the CPU used. */
export async function measureTree<T>(
  root: number,
  work: () => Promise<T>,
  intervalMs = 100,
): Promise<{ result: T; peakRssBytes: number; cpuMs: number }> {
  const before = treeStats(root);
  let peak = before.rssBytes;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeStats(root).rssBytes);
  }, intervalMs);
  try {
    const result = await work();
    const after = treeStats(root);
    return { result, peakRssBytes: Math.max(peak, after.rssBytes), cpuMs: after.cpuMs - before.cpuMs };
  } finally {
    clearInterval(timer);
  }
}
