/**
 * Load runs that are compared with one another, taken in slices in turn. On a shared VM
 * the machine's speed drifts over seconds: runs measured one after another, 10 s each,
 * see different machines, and their ratio moves with the drift. Cut into slices of about
 * SLICE_S seconds taken in turn (A B C A B C …), every run sees the same drift. A result
 * sums its slices: requests over the measured time, CPU per request, the peak RSS; its
 * latency percentiles are the slices' means weighted by their requests.
 */
import { loadavg } from 'node:os';
import type { LoadResult } from './load.ts';
import { measureTree, treeStats } from './proc-stats.ts';

const SLICE_S = 2;

/** How many slices a run of `durationS` seconds is taken in. */
export function sliceCount(durationS: number): number {
  return Math.max(1, Math.round(durationS / SLICE_S));
}

export interface SlicedRun {
  /** Load for `seconds`, bounded. */
  load(seconds: number): Promise<LoadResult>;
  /** The process tree whose CPU and RSS to measure (the proxy), if any. */
  pid?: number;
}

export interface SlicedResult extends LoadResult {
  /** The measured process tree's CPU over the run's slices; absent without a pid. */
  cpuMs?: number;
  peakRssBytes?: number;
  /** The upstream's CPU over the run's slices. */
  upstreamCpuMs: number;
  /** The machine's 1-minute load average as the first slice started: other work shows here. */
  loadAverage1m: number;
}

/** Each run for `durationS` seconds in all, in slices taken in turn; results in the runs' order. */
export async function runInTurn(runs: readonly SlicedRun[], durationS: number, upstreamPid: number): Promise<SlicedResult[]> {
  const slices = sliceCount(durationS);
  const sums = runs.map(() => new SliceSums(loadavg()[0] ?? 0));
  for (let slice = 0; slice < slices; slice++) {
    for (const [index, run] of runs.entries()) {
      const upstreamBefore = treeStats(upstreamPid).cpuMs;
      const started = performance.now();
      const go = () => run.load(durationS / slices);
      const measured = run.pid === undefined ? { result: await go() } : await measureTree(run.pid, go);
      sums[index]!.add(measured, (performance.now() - started) / 1000, treeStats(upstreamPid).cpuMs - upstreamBefore);
    }
  }
  return sums.map((sum) => sum.result());
}

/** One run's slices, summed. */
class SliceSums {
  private seconds = 0;
  private requests = 0;
  private failures = 0;
  /** Latencies times requests, for the weighted means. */
  private readonly weighted = { p50: 0, p99: 0, average: 0 };
  private cpuMs: number | undefined;
  private peakRssBytes: number | undefined;
  private upstreamCpuMs = 0;

  constructor(private readonly loadAverage1m: number) {}

  add(measured: { result: LoadResult; cpuMs?: number; peakRssBytes?: number }, seconds: number, upstreamCpuMs: number): void {
    const { result } = measured;
    this.seconds += seconds;
    this.requests += result.totalRequests;
    this.failures += result.failures;
    this.weighted.p50 += result.latencyP50Ms * result.totalRequests;
    this.weighted.p99 += result.latencyP99Ms * result.totalRequests;
    this.weighted.average += result.latencyAvgMs * result.totalRequests;
    if (measured.cpuMs !== undefined) this.cpuMs = (this.cpuMs ?? 0) + measured.cpuMs;
    if (measured.peakRssBytes !== undefined) this.peakRssBytes = Math.max(this.peakRssBytes ?? 0, measured.peakRssBytes);
    this.upstreamCpuMs += upstreamCpuMs;
  }

  result(): SlicedResult {
    const requests = Math.max(1, this.requests);
    return {
      requestsPerS: this.requests / this.seconds,
      totalRequests: this.requests,
      latencyP50Ms: this.weighted.p50 / requests,
      latencyP99Ms: this.weighted.p99 / requests,
      latencyAvgMs: this.weighted.average / requests,
      failures: this.failures,
      ...(this.cpuMs === undefined ? {} : { cpuMs: this.cpuMs }),
      ...(this.peakRssBytes === undefined ? {} : { peakRssBytes: this.peakRssBytes }),
      upstreamCpuMs: this.upstreamCpuMs,
      loadAverage1m: this.loadAverage1m,
    };
  }
}
