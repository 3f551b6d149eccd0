/**
 * The proxy suite: the same OpenAI Chat requests sent to the fake upstream directly,
 * through llm-mux and (when it can run) through the Portkey gateway — non-streaming, and
 * streaming at 20 and 500 chunks. Per round: autocannon load on every scenario and target
 * (the targets of a scenario in slices taken in turn, so drift on a shared machine hits
 * them alike: see sliced.ts), then unloaded sequential requests for the added latency
 * (time to first byte and to the end).
 */
import { answerText } from '../fake-upstream.ts';
import { DEFAULT_MODEL, preflight, runLoad, sequentialLatency, type LoadResult, type Mode, type Percentiles, type Target, type TargetName } from './load.ts';
import { treeStats } from './proc-stats.ts';
import { runInTurn, sliceCount } from './sliced.ts';

export interface Scenario {
  id: string;
  mode: Mode;
  chunks: number;
  model: string;
}

export const CHUNK_SIZE = 8;

export const SCENARIOS: readonly Scenario[] = [
  { id: 'non-streaming', mode: 'non-streaming', chunks: 20, model: DEFAULT_MODEL },
  { id: 'streaming, 20 chunks', mode: 'streaming', chunks: 20, model: DEFAULT_MODEL },
  { id: 'streaming, 500 chunks', mode: 'streaming', chunks: 500, model: 'bench-model-c500' },
];

/** The model names llm-mux's config must list. */
export const PROXY_MODELS = [...new Set(SCENARIOS.map((scenario) => scenario.model))];

export interface ProxySettings {
  durationS: number;
  warmupS: number;
  connections: number;
  repeats: number;
  sequentialRequests: number;
  sequentialWarmup: number;
}

export interface LoadRow extends LoadResult {
  round: number;
  scenario: string;
  mode: Mode;
  chunks: number;
  target: TargetName;
  upstreamCpuMsPerRequest: number;
  /** The proxy's (llm-mux's or Portkey's) process tree; absent for direct runs. */
  proxyCpuMsPerRequest?: number;
  proxyPeakRssBytes?: number;
  loadAverage1m: number;
}

export interface SequentialRow {
  round: number;
  scenario: string;
  target: TargetName;
  ttfbMs: Percentiles;
  totalMs: Percentiles;
}

export interface RatioRow {
  round: number;
  scenario: string;
  /** llm-mux ÷ direct: req/s (1 = free), p50 and p99 latency. */
  vsDirect: { throughput: number; latencyP50: number; latencyP99: number };
  /** llm-mux ÷ Portkey: req/s (higher is better), latency and CPU/request (lower is better). */
  vsPortkey?: { throughput: number; latencyP50: number; latencyP99: number; cpuPerRequest: number };
}

export interface ProxyResults {
  settings: ProxySettings & { chunkSize: number; scenarios: Scenario[] };
  targets: TargetName[];
  /** Each proxy's RSS after start-up, before any load, and its peak over the suite. */
  idleRssBytes: Partial<Record<TargetName, number>>;
  peakRssBytes: Partial<Record<TargetName, number>>;
  load: LoadRow[];
  ratios: RatioRow[];
  sequential: SequentialRow[];
}

export interface ProxyTarget extends Target {
  /** The process tree to measure; absent for the fake upstream itself. */
  pid?: number;
}

/** One request per scenario and target, read in full, before any load. */
export async function preflightAll(targets: ProxyTarget[], scenarios: readonly Scenario[]): Promise<void> {
  for (const scenario of scenarios) {
    for (const target of targets) await preflight(target, scenario.mode, scenario.model, answerText(scenario.chunks, CHUNK_SIZE));
  }
}

/** Load on every scenario × target, `settings.repeats` rounds; sequential latency after each round's load unless `sequential` is false. */
export async function runProxySuite(
  targets: ProxyTarget[],
  upstreamPid: number,
  settings: ProxySettings,
  progress: (message: string) => void,
  /** `warmUpOnce`: warm up in the first round only (the processes stay warm between rounds). */
  options: { scenarios?: readonly Scenario[]; sequential?: boolean; warmUpOnce?: boolean } = {},
): Promise<ProxyResults> {
  const scenarios = options.scenarios ?? SCENARIOS;
  const idleRssBytes: Partial<Record<TargetName, number>> = {};
  for (const target of targets) if (target.pid !== undefined) idleRssBytes[target.name] = treeStats(target.pid).rssBytes;
  await preflightAll(targets, scenarios);

  const load: LoadRow[] = [];
  const sequential: SequentialRow[] = [];
  const slices = sliceCount(settings.durationS);
  for (let round = 1; round <= settings.repeats; round++) {
    for (const scenario of scenarios) {
      const warmupS = options.warmUpOnce && round > 1 ? 0 : settings.warmupS;
      progress(`round ${round}, ${scenario.id}: ${warmupS} s warm-up of each target, then ${slices} × ${settings.durationS / slices} s of each in turn`);
      if (warmupS > 0) for (const target of targets) await runLoad(target, scenario.mode, scenario.model, settings.connections, warmupS);
      const runs = targets.map((target) => ({
        load: (seconds: number) => runLoad(target, scenario.mode, scenario.model, settings.connections, seconds),
        pid: target.pid,
      }));
      const results = await runInTurn(runs, settings.durationS, upstreamPid);
      for (const [index, target] of targets.entries()) {
        const { cpuMs, peakRssBytes, upstreamCpuMs, ...result } = results[index]!;
        const perRequest = (ms: number): number => ms / Math.max(1, result.totalRequests);
        load.push({
          round,
          scenario: scenario.id,
          mode: scenario.mode,
          chunks: scenario.chunks,
          target: target.name,
          ...result,
          // Shows the upstream is cheap next to the proxy, i.e. that the proxy is what is measured.
          upstreamCpuMsPerRequest: perRequest(upstreamCpuMs),
          ...(cpuMs === undefined ? {} : { proxyCpuMsPerRequest: perRequest(cpuMs) }),
          ...(peakRssBytes === undefined ? {} : { proxyPeakRssBytes: peakRssBytes }),
        });
      }
    }
    if (options.sequential === false) continue;
    for (const scenario of scenarios) {
      progress(`round ${round}, ${scenario.id}: ${settings.sequentialRequests} sequential requests per target, interleaved`);
      const results = await sequentialLatency(targets, scenario.mode, scenario.model, settings.sequentialRequests, settings.sequentialWarmup);
      sequential.push(...results.map((result) => ({ round, scenario: scenario.id, ...result })));
    }
  }

  const peakRssBytes: Partial<Record<TargetName, number>> = {};
  for (const target of targets) {
    if (target.pid === undefined) continue;
    const peaks = load.filter((row) => row.target === target.name).map((row) => row.proxyPeakRssBytes ?? 0);
    peakRssBytes[target.name] = Math.max(idleRssBytes[target.name] ?? 0, ...peaks);
  }
  return {
    settings: { ...settings, chunkSize: CHUNK_SIZE, scenarios: [...scenarios] },
    targets: targets.map((target) => target.name),
    idleRssBytes,
    peakRssBytes,
    load,
    ratios: ratios(load),
    sequential,
  };
}

export function ratios(load: readonly LoadRow[]): RatioRow[] {
  const rows: RatioRow[] = [];
  const keys = [...new Set(load.map((row) => `${row.round}\u0000${row.scenario}`))];
  for (const key of keys) {
    const [roundText, scenario] = key.split('\u0000') as [string, string];
    const round = Number(roundText);
    const find = (target: TargetName) => load.find((row) => row.round === round && row.scenario === scenario && row.target === target);
    const direct = find('direct');
    const mux = find('llm-mux');
    const portkey = find('portkey');
    if (!direct || !mux) continue;
    rows.push({
      round,
      scenario,
      vsDirect: {
        throughput: mux.requestsPerS / direct.requestsPerS,
        latencyP50: mux.latencyP50Ms / direct.latencyP50Ms,
        latencyP99: mux.latencyP99Ms / direct.latencyP99Ms,
      },
      ...(portkey
        ? {
            vsPortkey: {
              throughput: mux.requestsPerS / portkey.requestsPerS,
              latencyP50: mux.latencyP50Ms / portkey.latencyP50Ms,
              latencyP99: mux.latencyP99Ms / portkey.latencyP99Ms,
              cpuPerRequest: (mux.proxyCpuMsPerRequest ?? NaN) / (portkey.proxyCpuMsPerRequest ?? NaN),
            },
          }
        : {}),
    });
  }
  return rows;
}
