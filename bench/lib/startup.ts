/**
 * Start-up: spawn → the first chat completion answered 200 (end to end, through the fake
 * upstream), and the RSS a second after that request, idle. Each server starts
 * `starts` times per round, the servers interleaved, each from a fresh process.
 */
import { performance } from 'node:perf_hooks';
import { stopChild, type Child } from './children.ts';
import { median, type Target, type TargetName } from './load.ts';
import { treeStats } from './proc-stats.ts';
import { timeToFirstAnswer } from './stack.ts';

export interface Startable {
  name: TargetName;
  /** Config, port and so on: everything before the spawn, which is not timed. */
  prepare(): Promise<{ launch: () => Child; target: Target }>;
}

export interface StartupRow {
  round: number;
  target: TargetName;
  startsMs: number[];
  medianMs: number;
  minMs: number;
  /** RSS 1 s after the first answer, per start, and their median. */
  idleRssBytesAll: number[];
  idleRssBytes: number;
}

const IDLE_AFTER_MS = 1000;
const TIMEOUT_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runStartup(servers: Startable[], rounds: number, starts: number, progress: (message: string) => void): Promise<StartupRow[]> {
  const rows: StartupRow[] = [];
  for (let round = 1; round <= rounds; round++) {
    progress(`round ${round}: ${starts} starts of ${servers.map((server) => server.name).join(' and ')}, interleaved`);
    const times = new Map<TargetName, number[]>(servers.map((server) => [server.name, []]));
    const rss = new Map<TargetName, number[]>(servers.map((server) => [server.name, []]));
    for (let i = 0; i < starts; i++) {
      for (const server of servers) {
        const { launch, target } = await server.prepare();
        const since = performance.now();
        const child = launch();
        try {
          times.get(server.name)!.push(await timeToFirstAnswer(child, target, TIMEOUT_MS, since));
          await sleep(IDLE_AFTER_MS);
          rss.get(server.name)!.push(treeStats(child.pid).rssBytes);
        } finally {
          await stopChild(child);
        }
      }
    }
    for (const server of servers) {
      const startsMs = times.get(server.name)!;
      const idle = rss.get(server.name)!;
      rows.push({
        round,
        target: server.name,
        startsMs,
        medianMs: median(startsMs),
        minMs: Math.min(...startsMs),
        idleRssBytesAll: idle,
        idleRssBytes: median(idle),
      });
    }
  }
  return rows;
}
