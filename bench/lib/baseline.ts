/**
 * The quick regression check (`npm run bench:quick`) and its recorded baseline
 * (`bench/baseline.json`, written by `npm run bench -- --record-baseline`).
 *
 * The check runs non-streaming and 20-chunk streaming, direct and through llm-mux, in
 * three short interleaved rounds, and takes per scenario the median over rounds of:
 *
 * - **relative CPU** (the gate): llm-mux CPU per request ÷ the fake upstream's CPU per
 *   request in the same run. Both processes serve the same requests in the same seconds,
 *   so whatever slows the machine down (other tenants on the shared cores, frequency)
 *   inflates both alike and cancels out. On the 2-core shared VM, over eight quick runs at
 *   load averages 1.5–3.6, raw llm-mux CPU per request ranged 78–243 µs between rounds
 *   (up to 2.5×, rising and falling with the upstream's), while the relative CPU stayed at
 *   2.3–2.8 (non-streaming) and 2.6–3.0 (streaming). Fails when the median is more than
 *   1/(1 − 0.2) = 1.25× the baseline's, i.e. when llm-mux's efficiency (baseline ÷ now)
 *   drops more than 20% below the baseline.
 * - raw llm-mux CPU per request (µs) and llm-mux req/s ÷ direct req/s: shown, not gated.
 *   The throughput ratio moved between 0.15× and 0.56× in the same runs, so a 20%
 *   threshold on it would fail on noise alone; it is only flagged as a warning.
 *
 * The relative CPU depends on the fake upstream as much as on llm-mux: re-record the
 * baseline after changing bench/fake-upstream.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { median } from './load.ts';
import type { MachineInfo } from './machine.ts';
import type { LoadRow } from './proxy.ts';

export const TOLERANCE = 0.2;

export interface ScenarioMetrics {
  /** llm-mux CPU/request ÷ the upstream's CPU/request in the same run: the gate. */
  relativeCpu: number;
  cpuUsPerRequest: number;
  upstreamCpuUsPerRequest: number;
  throughputRatio: number;
}

export interface QuickMetrics {
  /** Per scenario, the median over rounds. */
  scenarios: Record<string, ScenarioMetrics>;
  /** Per scenario, every round's values. */
  perRound: Record<string, ScenarioMetrics[]>;
}

export interface Baseline {
  about: string;
  recordedAt: string;
  machine: string;
  llmMux: string;
  settings: { durationS: number; warmupS: number; connections: number; rounds: number };
  gate: 'relativeCpu';
  tolerance: number;
  scenarios: Record<string, ScenarioMetrics>;
}

export function quickMetrics(load: readonly LoadRow[]): QuickMetrics {
  const scenarios: Record<string, ScenarioMetrics> = {};
  const perRound: Record<string, ScenarioMetrics[]> = {};
  for (const scenario of new Set(load.map((row) => row.scenario))) {
    const rounds = [...new Set(load.filter((row) => row.scenario === scenario).map((row) => row.round))];
    perRound[scenario] = rounds.flatMap((round) => {
      const find = (target: string) => load.find((row) => row.scenario === scenario && row.round === round && row.target === target);
      const direct = find('direct');
      const mux = find('llm-mux');
      if (!direct || !mux || mux.proxyCpuMsPerRequest === undefined) return [];
      return [
        {
          relativeCpu: mux.proxyCpuMsPerRequest / mux.upstreamCpuMsPerRequest,
          cpuUsPerRequest: mux.proxyCpuMsPerRequest * 1000,
          upstreamCpuUsPerRequest: mux.upstreamCpuMsPerRequest * 1000,
          throughputRatio: mux.requestsPerS / direct.requestsPerS,
        },
      ];
    });
    const of = (key: keyof ScenarioMetrics) => median(perRound[scenario]!.map((m) => m[key]));
    scenarios[scenario] = {
      relativeCpu: of('relativeCpu'),
      cpuUsPerRequest: of('cpuUsPerRequest'),
      upstreamCpuUsPerRequest: of('upstreamCpuUsPerRequest'),
      throughputRatio: of('throughputRatio'),
    };
  }
  return { scenarios, perRound };
}

export const machineLabel = (machine: MachineInfo): string => `${machine.cpuModel}, ${machine.cores} cores`;

export function writeBaseline(path: string, baseline: Baseline): void {
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}

export function readBaseline(path: string): Baseline | string {
  try {
    const baseline = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
    if (!baseline.scenarios || baseline.gate !== 'relativeCpu') return `${path} is not a baseline this version of the harness wrote; re-record it`;
    return baseline;
  } catch (error) {
    return `no baseline at ${path} (${error instanceof Error ? error.message : error}); record one with \`npm run bench -- --record-baseline\``;
  }
}

export interface Comparison {
  lines: string[];
  failed: boolean;
}

/** Each scenario's efficiency (baseline relative CPU ÷ current) against 1 − tolerance; throughput ratio as a warning. */
export function compare(current: QuickMetrics, baseline: Baseline, machine: MachineInfo, llmMux: string): Comparison {
  const lines: string[] = [];
  let failed = false;
  const tolerance = baseline.tolerance ?? TOLERANCE;
  if (baseline.machine !== machineLabel(machine)) {
    lines.push(`NOTE: the baseline was recorded on ${baseline.machine}, this is ${machineLabel(machine)}.`);
  }
  // Labels name the runtime: "(Bun binary)" or "(Node)".
  const runtime = (label: string): string => /\((Bun binary|Node)\)/.exec(label)?.[1] ?? 'unknown';
  if (runtime(baseline.llmMux) !== runtime(llmMux)) {
    lines.push(`NOTE: the baseline measured ${baseline.llmMux}, this run ${llmMux}: they do not compare.`);
  }
  lines.push(
    '| Scenario | relative CPU now (baseline) | efficiency = baseline ÷ now | gate | llm-mux CPU/req now (baseline) | req/s ÷ direct now (baseline) |',
    '| --- | --: | --: | --- | --: | --: |',
  );
  for (const [scenario, base] of Object.entries(baseline.scenarios)) {
    const now = current.scenarios[scenario];
    if (!now) {
      lines.push(`| ${scenario} | not measured | | **FAIL** | | |`);
      failed = true;
      continue;
    }
    const efficiency = base.relativeCpu / now.relativeCpu;
    const pass = efficiency >= 1 - tolerance;
    if (!pass) failed = true;
    const throughputWarning = now.throughputRatio < (1 - tolerance) * base.throughputRatio ? ' (warning: more than 20% below)' : '';
    lines.push(
      `| ${scenario} | ${now.relativeCpu.toFixed(2)} (${base.relativeCpu.toFixed(2)}) | ${efficiency.toFixed(2)} | ${pass ? 'pass' : '**FAIL**'} (≥ ${(1 - tolerance).toFixed(2)}) |` +
        ` ${now.cpuUsPerRequest.toFixed(0)} µs (${base.cpuUsPerRequest.toFixed(0)} µs) | ${now.throughputRatio.toFixed(2)}× (${base.throughputRatio.toFixed(2)}×)${throughputWarning} |`,
    );
  }
  return { lines, failed };
}
