/** The result document (saved as JSON) and its markdown rendering, with the targets the numbers are held to. */
import type { TargetName } from './load.ts';
import type { MachineInfo } from './machine.ts';
import type { LoadRow, ProxyResults, RatioRow, SequentialRow } from './proxy.ts';
import type { StartupRow } from './startup.ts';
import type { StreamsRow, StreamsSettings } from './streams.ts';
import type { MarginalRow, TranslatedRow, TranslatedSettings, Workload } from './translated.ts';
import { sliceCount } from './sliced.ts';

export type SuiteName = 'startup' | 'proxy' | 'streams' | 'translated';
export const SUITE_NAMES: readonly SuiteName[] = ['startup', 'proxy', 'streams', 'translated'];

/** The translated-streams suite, run by an llm-mux process of its own. */
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

export interface StreamsResults {
  settings: StreamsSettings;
  rows: StreamsRow[];
}

export interface StartupResults {
  startsPerRound: number;
  rows: StartupRow[];
}

export interface BenchResults {
  timestamp: string;
  suites: SuiteName[];
  machine: MachineInfo;
  /** Where the run's network lived: a namespace with only loopback, or the machine's own (and why). */
  network: { isolated: boolean; detail: string };
  llmMux: { command: string; version: string };
  portkey: { version: string; runtime: string; command: string } | { skipped: string };
  startup?: StartupResults;
  proxy?: ProxyResults;
  streams?: StreamsResults;
  translated?: TranslatedResults;
  targets?: TargetCheck[];
}

const integer = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number): string => `${n.toFixed(2)} ms`;
// autocannon records latency in whole milliseconds; decimals would be false precision.
const wholeMs = (n: number): string => `${Math.round(n)} ms`;
const signedMs = (n: number): string => `${n < 0 ? '-' : '+'}${ms(Math.abs(n))}`;
const microseconds = (ms: number): string => `${integer(ms * 1000)} µs`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
/** Targets are in MB; shown with the MiB every other table uses. */
const mibAndMb = (bytes: number): string => `${mib(bytes)} (${(bytes / 1e6).toFixed(1)} MB)`;
const times = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const optional = <T>(value: T | undefined, format: (v: T) => string): string => (value === undefined ? '' : format(value));

function table(header: string[], align: string[], rows: string[][]): string {
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

// ---------------------------------------------------------------------------------------
// Targets

export interface TargetCheck {
  target: string;
  threshold: string;
  /** One value per round, formatted; undefined where the round has no such number. */
  values: Array<string | undefined>;
  met: Array<boolean | undefined>;
  verdict: 'met' | 'missed' | 'mixed' | 'not measured';
  note?: string;
}

function check(target: string, threshold: string, values: Array<number | undefined>, ok: (value: number) => boolean, format: (value: number) => string, note?: string): TargetCheck {
  const met = values.map((value) => (value === undefined || Number.isNaN(value) ? undefined : ok(value)));
  const known = met.filter((entry): entry is boolean => entry !== undefined);
  const verdict = known.length === 0 ? 'not measured' : known.every(Boolean) ? 'met' : known.some(Boolean) ? 'mixed' : 'missed';
  return { target, threshold, values: values.map((value) => (value === undefined || Number.isNaN(value) ? undefined : format(value))), met, verdict, ...(note ? { note } : {}) };
}

function rounds<T extends { round: number }>(rows: readonly T[]): number[] {
  return [...new Set(rows.map((row) => row.round))].sort((a, b) => a - b);
}

const MB = 1e6;

/** The performance targets, per round, from whatever suites ran. */
export function targetChecks(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { proxy, startup, streams, translated } = results;
  if (proxy) {
    const ratioOf = (scenario: string, pick: (row: RatioRow) => number | undefined) =>
      rounds(proxy.ratios).map((round) => {
        const row = proxy.ratios.find((r) => r.round === round && r.scenario === scenario);
        return row ? pick(row) : undefined;
      });
    const added = (scenario: string, key: 'ttfbMs' | 'totalMs') =>
      rounds(proxy.sequential).map((round) => {
        const find = (target: TargetName) => proxy.sequential.find((r) => r.round === round && r.scenario === scenario && r.target === target);
        const direct = find('direct');
        const mux = find('llm-mux');
        return direct && mux ? mux[key].p50 - direct[key].p50 : undefined;
      });
    checks.push(
      check('Non-streaming req/s, llm-mux ÷ direct', '≥ 0.4×', ratioOf('non-streaming', (r) => r.vsDirect.throughput), (v) => v >= 0.4, times),
      check('Non-streaming req/s, llm-mux ÷ Portkey (Bun)', '≥ 3×', ratioOf('non-streaming', (r) => r.vsPortkey?.throughput), (v) => v >= 3, times),
      check('Unloaded added latency, non-streaming, p50 (to the end)', '≤ 0.3 ms', added('non-streaming', 'totalMs'), (v) => v <= 0.3, signedMs),
      check('Streaming added time to first byte, p50 (20 chunks)', '≤ 0.5 ms', added('streaming, 20 chunks', 'ttfbMs'), (v) => v <= 0.5, signedMs),
      check('Streaming req/s, llm-mux ÷ Portkey (Bun), 20 chunks', '≥ 3×', ratioOf('streaming, 20 chunks', (r) => r.vsPortkey?.throughput), (v) => v >= 3, times),
      check('Streaming req/s, llm-mux ÷ Portkey (Bun), 500 chunks', '≥ 3×', ratioOf('streaming, 500 chunks', (r) => r.vsPortkey?.throughput), (v) => v >= 3, times),
    );
  }
  if (translated) {
    for (const chunks of translated.settings.chunkCounts) {
      const worst = rounds(translated.load).map((round) => {
        const values = translated.load.filter((row) => row.round === round && row.chunks === chunks && row.throughputVsPassthrough !== undefined).map((row) => row.throughputVsPassthrough!);
        return values.length ? Math.min(...values) : undefined;
      });
      checks.push(check(`Translated req/s ÷ llm-mux passthrough, ${chunks} chunks (worst workload)`, '≥ 0.7×', worst, (v) => v >= 0.7, times));
    }
  }
  if (streams) {
    const count = streams.settings.streams;
    const byLabel = (label: string) => rounds(streams.rows).map((round) => streams.rows.find((row) => row.round === round && row.label === label));
    const plain = byLabel('llm-mux');
    checks.push(
      check(`${count.toLocaleString('en-US')} streams: all served at once (llm-mux as shipped)`, `${count} open, 0 cut`, plain.map((row) => (row ? row.completed : undefined)), (v) => v === count, (v) => `${integer(v)} completed`),
      check(
        `${count.toLocaleString('en-US')} streams: llm-mux peak RSS (as shipped)`,
        '≤ 150 MB',
        plain.map((row) => row?.peakRssBytes),
        (v) => v <= 150 * MB,
        mibAndMb,
        plain.some((row) => row && row.cut > 0) ? 'not all streams were open at once, see the streams table' : undefined,
      ),
    );
    const raised = streams.rows.find((row) => row.target === 'llm-mux' && row.label !== 'llm-mux')?.label;
    if (raised) {
      checks.push(check(`${count.toLocaleString('en-US')} streams: llm-mux peak RSS (${raised.replace(/^llm-mux, /, '')})`, '≤ 150 MB', byLabel(raised).map((row) => row?.peakRssBytes), (v) => v <= 150 * MB, mibAndMb));
    }
  }
  if (startup) {
    const mux = startup.rows.filter((row) => row.target === 'llm-mux');
    checks.push(
      check('Idle RSS, llm-mux (median of the starts, 1 s after the first answer)', '≤ 60 MB', mux.map((row) => row.idleRssBytes), (v) => v <= 60 * MB, mibAndMb),
      check('Start-up: spawn → first chat completion answered (median of the starts)', '≤ 150 ms', mux.map((row) => row.medianMs), (v) => v <= 150, (v) => `${v.toFixed(0)} ms`),
    );
  }
  return checks;
}

function targetsTable(checks: TargetCheck[]): string {
  const runs = Math.max(1, ...checks.map((c) => c.values.length));
  return table(
    ['Target', 'threshold', ...Array.from({ length: runs }, (_, i) => `run ${i + 1}`), 'verdict'],
    ['---', '--:', ...Array.from({ length: runs }, () => '--:'), '---'],
    checks.map((c) => [
      c.target + (c.note ? ` (${c.note})` : ''),
      c.threshold,
      ...Array.from({ length: runs }, (_, i) => (c.values[i] === undefined ? 'n/a' : `${c.values[i]} ${c.met[i] ? '✓' : '✗'}`)),
      `**${c.verdict}**`,
    ]),
  );
}

// ---------------------------------------------------------------------------------------
// Proxy suite

const TARGET_ORDER: TargetName[] = ['direct', 'llm-mux', 'portkey'];
const targetLabel = (name: TargetName): string => (name === 'portkey' ? 'Portkey' : name);

function loadTable(load: LoadRow[], scenarios: string[]): string {
  const sorted = [...load].sort(
    (a, b) => scenarios.indexOf(a.scenario) - scenarios.indexOf(b.scenario) || TARGET_ORDER.indexOf(a.target) - TARGET_ORDER.indexOf(b.target) || a.round - b.round,
  );
  return table(
    ['Scenario', 'Target', 'run', 'req/s', 'p50', 'p99', 'failures', 'upstream CPU/req', 'proxy CPU/req', 'proxy peak RSS', 'load avg'],
    ['---', '---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:'],
    sorted.map((row) => [
      row.scenario,
      targetLabel(row.target),
      String(row.round),
      integer(row.requestsPerS),
      wholeMs(row.latencyP50Ms),
      wholeMs(row.latencyP99Ms),
      integer(row.failures),
      microseconds(row.upstreamCpuMsPerRequest),
      optional(row.proxyCpuMsPerRequest, microseconds),
      optional(row.proxyPeakRssBytes, mib),
      row.loadAverage1m.toFixed(1),
    ]),
  );
}

function ratioTable(rows: RatioRow[], scenarios: string[], withPortkey: boolean): string {
  const sorted = [...rows].sort((a, b) => scenarios.indexOf(a.scenario) - scenarios.indexOf(b.scenario) || a.round - b.round);
  return table(
    [
      'Scenario',
      'run',
      'req/s ÷ direct',
      'p50 ÷ direct',
      'p99 ÷ direct',
      ...(withPortkey ? ['req/s ÷ Portkey (higher is better)', 'p50 ÷ Portkey', 'p99 ÷ Portkey', 'CPU/req ÷ Portkey (lower is better)'] : []),
    ],
    ['---', '--:', '--:', '--:', '--:', ...(withPortkey ? ['--:', '--:', '--:', '--:'] : [])],
    sorted.map((row) => [
      row.scenario,
      String(row.round),
      times(row.vsDirect.throughput),
      times(row.vsDirect.latencyP50),
      times(row.vsDirect.latencyP99),
      ...(withPortkey
        ? row.vsPortkey
          ? [times(row.vsPortkey.throughput), times(row.vsPortkey.latencyP50), times(row.vsPortkey.latencyP99), times(row.vsPortkey.cpuPerRequest)]
          : ['', '', '', '']
        : []),
    ]),
  );
}

function sequentialTable(rows: SequentialRow[], scenarios: string[], targets: TargetName[]): string {
  const proxies = targets.filter((target) => target !== 'direct');
  const lines: string[][] = [];
  for (const scenario of scenarios) {
    for (const round of rounds(rows)) {
      const find = (target: TargetName) => rows.find((row) => row.round === round && row.scenario === scenario && row.target === target);
      const direct = find('direct');
      if (!direct) continue;
      for (const [metric, key] of [['first byte', 'ttfbMs'], ['end', 'totalMs']] as const) {
        const cells = [scenario, String(round), metric, ms(direct[key].p50)];
        for (const proxy of proxies) {
          const row = find(proxy);
          cells.push(row ? `${ms(row[key].p50)} (${signedMs(row[key].p50 - direct[key].p50)})` : '');
        }
        cells.push(ms(direct[key].p99));
        for (const proxy of proxies) {
          const row = find(proxy);
          cells.push(row ? `${ms(row[key].p99)} (${signedMs(row[key].p99 - direct[key].p99)})` : '');
        }
        lines.push(cells);
      }
    }
  }
  return table(
    ['Scenario', 'run', 'until', 'direct p50', ...proxies.map((p) => `${targetLabel(p)} p50 (added)`), 'direct p99', ...proxies.map((p) => `${targetLabel(p)} p99 (added)`)],
    ['---', '--:', '---', '--:', ...proxies.map(() => '--:'), '--:', ...proxies.map(() => '--:')],
    lines,
  );
}

function proxySection(proxy: ProxyResults): string[] {
  const { settings } = proxy;
  const slices = sliceCount(settings.durationS);
  const scenarios = settings.scenarios.map((scenario) => scenario.id);
  const rss = proxy.targets
    .filter((target) => target !== 'direct')
    .map((target) => `${targetLabel(target)} ${mib(proxy.idleRssBytes[target] ?? 0)} idle after start-up, ${mib(proxy.peakRssBytes[target] ?? 0)} peak`)
    .join('; ');
  return [
    '### Throughput under load',
    '',
    `- autocannon, ${settings.connections} connections, ${settings.durationS} s per run after a ${settings.warmupS} s warm-up, ${settings.repeats} rounds` +
      ` (every scenario and target once per round; a scenario's targets each take their ${settings.durationS} s in ${slices} slices of` +
      ` ${settings.durationS / slices} s in turn, latencies being the slices' means weighted by requests); the fake upstream answers` +
      ` ${settings.chunkSize}-character chunks. Everything on 127.0.0.1.`,
    `- "proxy" columns are the measured proxy's process tree (llm-mux or Portkey). RSS over the suite: ${rss}.`,
    '',
    loadTable(proxy.load, scenarios),
    '',
    '### Ratios (llm-mux ÷ the other, same round)',
    '',
    ratioTable(proxy.ratios, scenarios, proxy.targets.includes('portkey')),
    '',
    `### Unloaded latency (${settings.sequentialRequests} sequential keep-alive requests per target and round, targets interleaved)`,
    '',
    'Time to the first body byte (for streams, the first event) and to the end of the answer; "added" is over direct.',
    '',
    sequentialTable(proxy.sequential, scenarios, proxy.targets),
    '',
  ];
}

// ---------------------------------------------------------------------------------------
// Start-up and many streams

function startupSection(startup: StartupResults): string[] {
  return [
    `### Start-up (spawn → first chat completion answered through the upstream; ${startup.startsPerRound} starts per round, interleaved)`,
    '',
    table(
      ['Server', 'run', 'median', 'fastest', 'every start', 'idle RSS 1 s after the first answer (median)'],
      ['---', '--:', '--:', '--:', '---', '--:'],
      [...startup.rows]
        .sort((a, b) => TARGET_ORDER.indexOf(a.target) - TARGET_ORDER.indexOf(b.target) || a.round - b.round)
        .map((row) => [
          targetLabel(row.target),
          String(row.round),
          `${row.medianMs.toFixed(0)} ms`,
          `${row.minMs.toFixed(0)} ms`,
          row.startsMs.map((v) => v.toFixed(0)).join(', '),
          mib(row.idleRssBytes),
        ]),
    ),
    '',
  ];
}

function streamsSection(streams: StreamsResults): string[] {
  const s = streams.settings;
  const labels = [...new Set(streams.rows.map((row) => row.label))];
  const sorted = [...streams.rows].sort((a, b) => labels.indexOf(a.label) - labels.indexOf(b.label) || a.round - b.round);
  const total = (s.chunks + 3).toLocaleString('en-US');
  return [
    `### ${s.streams.toLocaleString('en-US')} concurrent slow streams`,
    '',
    `- ${s.streams.toLocaleString('en-US')} OpenAI Chat streams started over ${s.rampMs / 1000} s, each ${s.chunks} chunks (${total} events) one every ${s.intervalMs} ms from the fake upstream;` +
      ` cut at ${s.deadlineMs / 1000} s. A fresh proxy per run. One socket per stream (raw node:http).`,
    `- "events in ${s.windowMs / 1000} s": events each stream received within ${s.windowMs / 1000} s of sending its request (unhindered: ${Math.min(s.chunks + 3, Math.ceil(s.windowMs / s.intervalMs))});` +
      ' "starved": streams below 90% of the median. "gap": time between consecutive events of a stream, over all streams (ideal: the interval).',
    '',
    table(
      ['Target', 'run', 'completed / cut / failed', 'first event p50 / p99 / max', `events in ${s.windowMs / 1000} s min / p1 / median / max`, 'starved', 'gap p50 / p99 / p99.9 / max', 'proxy RSS idle → peak', 'proxy CPU', 'upstream CPU', 'load avg'],
      ['---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:'],
      sorted.map((row) => [
        row.label,
        String(row.round),
        `${row.completed} / ${row.cut} / ${row.failed}${row.firstError ? ` (${row.firstError})` : ''}`,
        `${wholeMs(row.firstEventMs.p50)} / ${wholeMs(row.firstEventMs.p99)} / ${wholeMs(row.firstEventMs.max)}`,
        `${row.eventsInWindow.min} / ${row.eventsInWindow.p1} / ${row.eventsInWindow.p50} / ${row.eventsInWindow.max}`,
        String(row.eventsInWindow.starved),
        `${wholeMs(row.gapMs.p50)} / ${wholeMs(row.gapMs.p99)} / ${wholeMs(row.gapMs.p999)} / ${wholeMs(row.gapMs.max)}`,
        row.idleRssBytes === undefined ? '' : `${mib(row.idleRssBytes)} → ${mib(row.peakRssBytes ?? 0)}`,
        row.proxyCpuMs === undefined ? '' : `${(row.proxyCpuMs / 1000).toFixed(1)} s`,
        `${(row.upstreamCpuMs / 1000).toFixed(1)} s`,
        row.loadAverage1m.toFixed(1),
      ]),
    ),
    '',
  ];
}

// ---------------------------------------------------------------------------------------
// Translated streams

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

function translatedSection(translated: TranslatedResults, heading: boolean): string[] {
  const { settings } = translated;
  const slices = sliceCount(settings.durationS);
  return [
    ...(heading ? ['### Translated streams', ''] : []),
    `- Translated streams: autocannon, ${settings.connections} connections, streaming only, ${settings.durationS} s per run after a` +
      ` ${settings.warmupS} s warm-up, ${settings.repeats} round(s) of every workload; within a round, each run is taken in` +
      ` ${slices} slices of ${settings.durationS / slices} s in turn with the other workloads' (latencies: the slices' means weighted by requests); streams of` +
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
  const { machine, llmMux, portkey, network } = results;
  const portkeyLine =
    'skipped' in portkey ? `- Portkey gateway: **not run**: ${portkey.skipped}` : `- Portkey gateway ${portkey.version} under ${portkey.runtime}: \`${portkey.command}\``;
  return [
    `## llm-mux benchmark, ${results.timestamp}`,
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}` +
      ` (load average ${machine.loadAverage1m.toFixed(2)} before the run)`,
    `- Network: ${network.isolated ? 'a network namespace of its own with only loopback (`unshare -n`)' : `the machine's own (${network.detail})`}`,
    `- Runtimes: Node ${machine.node} (harness, load generator, fake upstream), Bun ${machine.bun ?? 'n/a'}`,
    `- llm-mux ${llmMux.version} run as \`${llmMux.command}\`` +
      (machine.gitCommit ? (llmMux.command.startsWith('/') ? ` (the checkout was at commit ${machine.gitCommit})` : ` at commit ${machine.gitCommit}`) : ''),
    portkeyLine,
    `- Suites: ${results.suites.join(', ')}`,
    '',
    ...(results.targets?.length ? ['### Targets', '', targetsTable(results.targets), ''] : []),
    ...(results.startup ? startupSection(results.startup) : []),
    ...(results.proxy ? proxySection(results.proxy) : []),
    ...(results.streams ? streamsSection(results.streams) : []),
    ...(results.translated ? translatedSection(results.translated, true) : []),
  ].join('\n');
}
