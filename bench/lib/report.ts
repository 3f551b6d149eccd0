/** The result document (saved as JSON) and its markdown rendering. */
import type { LoadResult, Mode, SequentialResult, TargetName } from './load.ts';
import type { MachineInfo } from './machine.ts';
import type { MarginalRow, TranslatedRow, TranslatedSettings, Workload } from './translated.ts';

export type Suite = 'proxy' | 'translated' | 'all';

export interface LoadRow extends LoadResult {
  mode: Mode;
  target: TargetName;
  upstreamCpuMsPerRequest: number;
  /** Only for llm-mux runs: sampled during the run. */
  llmMuxPeakRssBytes?: number;
  llmMuxCpuMsPerRequest?: number;
}

export interface Ratio {
  mode: Mode;
  /** llm-mux req/s ÷ direct req/s: 1 means the proxy costs nothing. */
  throughput: number;
  /** llm-mux latency ÷ direct latency. */
  latencyP50: number;
  latencyP99: number;
}

export interface SequentialRow extends SequentialResult {
  mode: Mode;
}

/** The default suite: OpenAI Chat sent directly and through llm-mux (same protocol). */
export interface ProxyResults {
  settings: {
    durationS: number;
    warmupS: number;
    connections: number;
    chunks: number;
    chunkSize: number;
    sequentialRequests: number;
  };
  idleRssBytes: number;
  peakRssBytes: number;
  load: LoadRow[];
  ratios: Ratio[];
  sequential: SequentialRow[];
}

/** The translated-streams suite (`--suite translated`), run by an llm-mux process of its own. */
export interface TranslatedResults {
  settings: TranslatedSettings & { chunkSize: number; chunkCounts: number[] };
  workloads: Workload[];
  /** Requests whose full answer was checked before any load. */
  checks: number;
  idleRssBytes: number;
  peakRssBytes: number;
  load: TranslatedRow[];
  marginal: MarginalRow[];
}

export interface BenchResults {
  timestamp: string;
  suite: Suite;
  machine: MachineInfo;
  llmMux: { command: string; version: string };
  proxy?: ProxyResults;
  translated?: TranslatedResults;
}

export function ratios(load: LoadRow[]): Ratio[] {
  const modes = [...new Set(load.map((row) => row.mode))];
  return modes.flatMap((mode) => {
    const direct = load.find((row) => row.mode === mode && row.target === 'direct');
    const proxied = load.find((row) => row.mode === mode && row.target === 'llm-mux');
    if (!direct || !proxied) return [];
    return [
      {
        mode,
        throughput: proxied.requestsPerS / direct.requestsPerS,
        latencyP50: proxied.latencyP50Ms / direct.latencyP50Ms,
        latencyP99: proxied.latencyP99Ms / direct.latencyP99Ms,
      },
    ];
  });
}

const integer = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${n.toFixed(2)} ms`;
// autocannon records latency in whole milliseconds; decimals would be false precision.
const wholeMs = (n: number): string => `${Math.round(n)} ms`;
const signedMs = (n: number): string => `${n < 0 ? '-' : '+'}${ms(Math.abs(n))}`;
const microseconds = (ms: number): string => `${integer(ms * 1000)} µs`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const times = (n: number): string => `${n.toFixed(2)}×`;
const optional = <T>(value: T | undefined, format: (v: T) => string): string =>
  value === undefined ? '' : format(value);

function table(header: string[], align: string[], rows: string[][]): string {
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function loadTable(load: LoadRow[]): string {
  return table(
    ['Scenario', 'Target', 'req/s', 'p50', 'p99', 'failures', 'upstream CPU/req', 'llm-mux CPU/req', 'llm-mux peak RSS'],
    ['---', '---', '--:', '--:', '--:', '--:', '--:', '--:', '--:'],
    load.map((row) => [
      row.mode,
      row.target,
      integer(row.requestsPerS),
      wholeMs(row.latencyP50Ms),
      wholeMs(row.latencyP99Ms),
      integer(row.failures),
      microseconds(row.upstreamCpuMsPerRequest),
      optional(row.llmMuxCpuMsPerRequest, microseconds),
      optional(row.llmMuxPeakRssBytes, mib),
    ]),
  );
}

function ratioTable(rows: Ratio[]): string {
  return table(
    ['Scenario', 'throughput (higher is better)', 'p50 latency', 'p99 latency'],
    ['---', '--:', '--:', '--:'],
    rows.map((row) => [row.mode, times(row.throughput), times(row.latencyP50), times(row.latencyP99)]),
  );
}

function sequentialTable(rows: SequentialRow[]): string {
  const lines: string[][] = [];
  for (const mode of new Set(rows.map((row) => row.mode))) {
    const direct = rows.find((row) => row.mode === mode && row.target === 'direct');
    const proxied = rows.find((row) => row.mode === mode && row.target === 'llm-mux');
    if (!direct || !proxied) continue;
    for (const [metric, key] of [['first byte', 'ttfbMs'], ['total', 'totalMs']] as const) {
      const d = direct[key];
      const p = proxied[key];
      lines.push([mode, metric, ms(d.p50), ms(p.p50), signedMs(p.p50 - d.p50), ms(d.p99), ms(p.p99), signedMs(p.p99 - d.p99)]);
    }
  }
  return table(
    ['Scenario', 'Until', 'direct p50', 'llm-mux p50', 'added p50', 'direct p99', 'llm-mux p99', 'added p99'],
    ['---', '---', '--:', '--:', '--:', '--:', '--:', '--:'],
    lines,
  );
}

function translatedLoadTable(rows: TranslatedRow[]): string {
  // Both rounds of a workload next to each other.
  const sorted = [...rows].sort((a, b) => a.chunks - b.chunks || order(rows, a) - order(rows, b) || a.round - b.round);
  return table(
    ['Workload (client → upstream)', 'chunks', 'run', 'req/s', 'p50', 'p99', 'failures', 'upstream CPU/req', 'llm-mux CPU/req', 'llm-mux CPU/chunk', 'req/s ÷ passthrough', 'llm-mux peak RSS', 'load avg'],
    ['---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:'],
    sorted.map((row) => [
      row.workload,
      String(row.chunks),
      String(row.round),
      integer(row.requestsPerS),
      wholeMs(row.latencyP50Ms),
      wholeMs(row.latencyP99Ms),
      integer(row.failures),
      microseconds(row.upstreamCpuMsPerRequest),
      microseconds(row.llmMuxCpuMsPerRequest),
      microsecondsFine(row.llmMuxCpuMsPerRequest / row.chunks),
      optional(row.throughputVsPassthrough, times),
      mib(row.llmMuxPeakRssBytes),
      row.loadAverage1m.toFixed(1),
    ]),
  );
}

/** Rows keep the order workloads ran in. */
function order(rows: TranslatedRow[], row: TranslatedRow): number {
  return rows.findIndex((other) => other.workload === row.workload);
}

function marginalTable(rows: MarginalRow[], [short, long]: number[]): string {
  return table(
    ['Workload (client → upstream)', 'run', `CPU/req, ${short} chunks`, `CPU/req, ${long} chunks`, `marginal CPU/chunk = Δ ÷ ${long! - short!}`, 'over passthrough', `fixed CPU/req = ${short}-chunk − ${short} × marginal`],
    ['---', '--:', '--:', '--:', '--:', '--:', '--:'],
    rows.map((row) => [
      row.workload,
      row.round === undefined ? '**mean**' : String(row.round),
      microseconds(row.shortMs),
      microseconds(row.longMs),
      microsecondsFine(row.perChunkMs),
      optional(row.overPassthroughMs, signedMicroseconds),
      microseconds(row.fixedMs),
    ]),
  );
}

const microsecondsFine = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const signedMicroseconds = (ms: number): string => `${ms < 0 ? '-' : '+'}${microsecondsFine(Math.abs(ms))}`;

function proxySection(proxy: ProxyResults): string[] {
  const { settings } = proxy;
  return [
    `- Load: autocannon, ${settings.connections} connections, ${settings.durationS} s per run after a ${settings.warmupS} s warm-up;` +
      ` the fake upstream streams ${settings.chunks} chunks of ${settings.chunkSize} characters. Everything on 127.0.0.1.`,
    `- llm-mux RSS: ${mib(proxy.idleRssBytes)} idle after start-up, ${mib(proxy.peakRssBytes)} peak under load`,
    '',
    '### Throughput under load',
    '',
    loadTable(proxy.load),
    '',
    '### llm-mux ÷ direct',
    '',
    ratioTable(proxy.ratios),
    '',
    `### Added latency, unloaded (${settings.sequentialRequests} sequential keep-alive requests per target, interleaved)`,
    '',
    sequentialTable(proxy.sequential),
    '',
  ];
}

function translatedSection(translated: TranslatedResults, heading: boolean): string[] {
  const { settings } = translated;
  return [
    ...(heading ? ['### Translated streams', ''] : []),
    `- Translated streams: autocannon, ${settings.connections} connections, streaming only, ${settings.durationS} s per run after a` +
      ` ${settings.warmupS} s warm-up, ${settings.repeats} round(s) of every workload, interleaved; streams of` +
      ` ${settings.chunkCounts.join(' and ')} chunks of ${settings.chunkSize} characters. ${translated.checks} answers checked in full before the load.`,
    `- llm-mux RSS (this suite's process): ${mib(translated.idleRssBytes)} idle after start-up, ${mib(translated.peakRssBytes)} peak under load`,
    '',
    '#### Throughput under load',
    '',
    translatedLoadTable(translated.load),
    '',
    '#### llm-mux CPU per chunk',
    '',
    marginalTable(translated.marginal, settings.chunkCounts),
    '',
  ];
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, llmMux } = results;
  return [
    `## llm-mux benchmark, ${results.timestamp}`,
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}` +
      ` (load average ${machine.loadAverage1m.toFixed(2)} before the run)`,
    `- Runtimes: Node ${machine.node}, Bun ${machine.bun ?? 'n/a'}`,
    `- llm-mux ${llmMux.version} run as \`${llmMux.command}\`${machine.gitCommit ? ` at commit ${machine.gitCommit}` : ''}`,
    ...(results.proxy ? proxySection(results.proxy) : []),
    ...(results.translated ? translatedSection(results.translated, results.proxy !== undefined) : []),
  ].join('\n');
}
