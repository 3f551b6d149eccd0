/**
 * End-to-end benchmark of llm-mux, loopback only:
 *
 *   npx tsx bench/run.ts [--suite proxy|translated|all] [--duration 10] [--connections 50]
 *                        [--repeats 2] [--quick] [--bin <llm-mux executable>]
 *
 * llm-mux is dist/llm-mux when built (`npm run build`, Bun runtime), else `node bin/llm-mux`;
 * `--bin bin/llm-mux` measures the Node entry point even when a binary exists.
 *
 * Starts a fake multi-protocol upstream and llm-mux as child processes (each with its own
 * event loop). The `proxy` suite (the default) loads both the upstream directly and llm-mux
 * in front of it with OpenAI Chat requests and reports throughput, latency, llm-mux
 * memory/CPU and the proxied/direct ratios. The `translated` suite streams through llm-mux
 * between different client and upstream protocols, next to the same-protocol passthrough,
 * at 20 and 500 chunks, `--repeats` rounds, and reports CPU per request and per chunk.
 * Each suite gets an llm-mux process of its own. Prints a markdown report and saves JSON
 * to bench/results/<timestamp>.json.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, onExit, stopChild, stopChildren } from './lib/children.ts';
import { answerText } from './fake-upstream.ts';
import { preflight, runLoad, sequentialLatency, type Mode, type Target } from './lib/load.ts';
import { commandOutput, machineInfo } from './lib/machine.ts';
import { measureTree, treeStats } from './lib/proc-stats.ts';
import {
  ratios,
  renderMarkdown,
  type BenchResults,
  type LoadRow,
  type ProxyResults,
  type SequentialRow,
  type Suite,
  type TranslatedResults,
} from './lib/report.ts';
import { REPO_ROOT, startLlmMux, startUpstream, type Command } from './lib/stack.ts';
import { CHUNK_COUNTS, checkAnswers, marginalCosts, providerConfig, runTranslatedLoad, WORKLOADS } from './lib/translated.ts';

const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const CHUNKS = 20;
const CHUNK_SIZE = 8;
const SEQUENTIAL_REQUESTS = 200;
const SEQUENTIAL_WARMUP = 20;
const MODES: Mode[] = ['non-streaming', 'streaming'];

const SUITES: readonly Suite[] = ['proxy', 'translated', 'all'];

interface Settings {
  suite: Suite;
  durationS: number;
  warmupS: number;
  connections: number;
  /** Rounds of the translated suite. */
  repeats: number;
  bin: string | undefined;
}

function positiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

function parseSettings(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string', default: '50' },
      quick: { type: 'boolean', default: false },
      bin: { type: 'string' },
      suite: { type: 'string', default: 'proxy' },
      repeats: { type: 'string', default: '2' },
    },
  });
  const suite = values.suite as Suite;
  if (!SUITES.includes(suite)) throw new Error(`--suite must be one of ${SUITES.join(', ')}, got "${values.suite}"`);
  const durationS = positiveInt('duration', values.duration ?? (values.quick ? '3' : '10'));
  return {
    suite,
    durationS,
    // Enough for the JIT to settle on the hot paths without doubling the run time.
    warmupS: Math.max(1, Math.round(durationS / 5)),
    connections: positiveInt('connections', values.connections),
    repeats: positiveInt('repeats', values.repeats),
    bin: values.bin,
  };
}

/** `--bin`, else the compiled binary from `npm run build`, else the Node entry point. */
function llmMuxCommand(bin: string | undefined): Command {
  const compiled = join(REPO_ROOT, 'dist/llm-mux');
  if (bin) {
    const executable = resolve(bin);
    const inRepo = !relative(REPO_ROOT, executable).startsWith('..');
    return { command: executable, args: [], label: inRepo ? relative(REPO_ROOT, executable) : executable };
  }
  if (existsSync(compiled)) {
    const stale = statSync(compiled).mtimeMs < newestMtimeMs(join(REPO_ROOT, 'src'));
    if (stale) progress('WARNING: dist/llm-mux is older than src/; run `npm run build` to measure the current code');
    return { command: compiled, args: [], label: stale ? 'dist/llm-mux (older than src/)' : 'dist/llm-mux' };
  }
  return { command: process.execPath, args: [join(REPO_ROOT, 'bin/llm-mux')], label: 'node bin/llm-mux' };
}

function newestMtimeMs(dir: string): number {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  return Math.max(0, ...files.map((file) => statSync(join(dir, file)).mtimeMs));
}

/** The proxy suite's providers: one OpenAI Chat upstream serving bench-model. */
function proxyProviders(upstreamUrl: string): string[] {
  return [
    'providers:',
    '  openai-compatible:',
    '    - name: fake',
    `      base-url: ${upstreamUrl}/v1`,
    '      api-keys: ["sk-bench-key"]',
    '      models: [bench-model]',
  ];
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The benchmark needs the machine to itself: load generator, proxy and upstream already share it. */
function warnIfBusy(): void {
  const [load1m = 0] = loadavg();
  if (load1m > availableParallelism() / 4) {
    progress(`WARNING: load average is ${load1m.toFixed(2)}; other processes will make the numbers noisy`);
  }
}

interface Pids {
  upstream: number;
  llmMux: number;
}

async function loadRuns(targets: Target[], pids: Pids, settings: Settings): Promise<LoadRow[]> {
  const rows: LoadRow[] = [];
  for (const mode of MODES) {
    for (const target of targets) {
      progress(`${mode} → ${target.name}: ${settings.warmupS} s warm-up, ${settings.durationS} s measured`);
      await runLoad(target.baseUrl, mode, settings.connections, settings.warmupS);
      const upstreamCpuBefore = treeStats(pids.upstream).cpuMs;
      const { result, peakRssBytes, cpuMs } = await measureTree(pids.llmMux, () =>
        runLoad(target.baseUrl, mode, settings.connections, settings.durationS),
      );
      const perRequest = (ms: number): number => ms / Math.max(1, result.totalRequests);
      const row: LoadRow = {
        mode,
        target: target.name,
        ...result,
        // Shows the upstream is cheap next to the proxy, i.e. that the proxy is what is measured.
        upstreamCpuMsPerRequest: perRequest(treeStats(pids.upstream).cpuMs - upstreamCpuBefore),
      };
      if (target.name === 'llm-mux') {
        row.llmMuxPeakRssBytes = peakRssBytes;
        row.llmMuxCpuMsPerRequest = perRequest(cpuMs);
      }
      rows.push(row);
    }
  }
  return rows;
}

async function sequentialRuns(targets: Target[]): Promise<SequentialRow[]> {
  const rows: SequentialRow[] = [];
  for (const mode of MODES) {
    progress(`${mode}: ${SEQUENTIAL_REQUESTS} sequential requests per target`);
    const results = await sequentialLatency(targets, mode, SEQUENTIAL_REQUESTS, SEQUENTIAL_WARMUP);
    rows.push(...results.map((result) => ({ mode, ...result })));
  }
  return rows;
}

function saveResults(results: BenchResults): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${results.timestamp.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

async function proxySuite(command: Command, upstreamUrl: string, pids: { upstream: number }, workDir: string, settings: Settings): Promise<ProxyResults> {
  const llmMux = await startLlmMux(command, proxyProviders(upstreamUrl), workDir);
  try {
    const targets: Target[] = [
      { name: 'direct', baseUrl: upstreamUrl },
      { name: 'llm-mux', baseUrl: llmMux.baseUrl },
    ];
    const idleRssBytes = treeStats(llmMux.child.pid).rssBytes;
    const expectedContent = answerText(CHUNKS, CHUNK_SIZE);
    for (const mode of MODES) for (const target of targets) await preflight(target.baseUrl, mode, expectedContent);

    const load = await loadRuns(targets, { upstream: pids.upstream, llmMux: llmMux.child.pid }, settings);
    const sequential = await sequentialRuns(targets);
    return {
      settings: {
        durationS: settings.durationS,
        warmupS: settings.warmupS,
        connections: settings.connections,
        chunks: CHUNKS,
        chunkSize: CHUNK_SIZE,
        sequentialRequests: SEQUENTIAL_REQUESTS,
      },
      idleRssBytes,
      peakRssBytes: Math.max(idleRssBytes, ...load.map((row) => row.llmMuxPeakRssBytes ?? 0)),
      load,
      ratios: ratios(load),
      sequential,
    };
  } finally {
    await stopChild(llmMux.child);
  }
}

async function translatedSuite(
  command: Command,
  upstreamUrl: string,
  pids: { upstream: number },
  workDir: string,
  settings: Settings,
): Promise<TranslatedResults> {
  const llmMux = await startLlmMux(command, providerConfig(upstreamUrl), workDir);
  try {
    const idleRssBytes = treeStats(llmMux.child.pid).rssBytes;
    progress('translated streams: checking one answer per upstream protocol and workload');
    const checks = await checkAnswers(upstreamUrl, llmMux.baseUrl, CHUNK_SIZE);
    const load = await runTranslatedLoad(llmMux.baseUrl, { upstream: pids.upstream, llmMux: llmMux.child.pid }, settings, progress);
    return {
      settings: {
        durationS: settings.durationS,
        warmupS: settings.warmupS,
        connections: settings.connections,
        repeats: settings.repeats,
        chunkSize: CHUNK_SIZE,
        chunkCounts: [...CHUNK_COUNTS],
      },
      workloads: [...WORKLOADS],
      checks,
      idleRssBytes,
      peakRssBytes: Math.max(idleRssBytes, ...load.map((row) => row.llmMuxPeakRssBytes)),
      load,
      marginal: marginalCosts(load),
    };
  } finally {
    await stopChild(llmMux.child);
  }
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  installCleanup();
  const timestamp = new Date().toISOString();
  const command = llmMuxCommand(settings.bin);
  warnIfBusy();
  const machinePending = machineInfo(REPO_ROOT);

  progress('starting the fake upstream');
  // Config, state and child logs live here for the run only.
  const workDir = mkdtempSync(join(tmpdir(), 'llm-mux-bench-'));
  onExit(() => rmSync(workDir, { recursive: true, force: true }));
  const upstream = await startUpstream(workDir, CHUNKS, CHUNK_SIZE);
  const pids = { upstream: upstream.child.pid };
  // Settled before any load so that these short-lived processes don't compete with it.
  const [machine, version] = await Promise.all([
    machinePending,
    commandOutput(command.command, [...command.args, '--version'], REPO_ROOT),
  ]);

  const results: BenchResults = { timestamp, suite: settings.suite, machine, llmMux: { command: command.label, version: version ?? 'unknown' } };
  if (settings.suite !== 'translated') {
    progress('proxy suite: starting llm-mux');
    results.proxy = await proxySuite(command, upstream.url, pids, join(workDir, 'proxy'), settings);
  }
  if (settings.suite !== 'proxy') {
    progress('translated suite: starting llm-mux');
    results.translated = await translatedSuite(command, upstream.url, pids, join(workDir, 'translated'), settings);
  }
  process.stdout.write(`\n${renderMarkdown(results)}\n`);
  progress(`results saved to ${relative(process.cwd(), saveResults(results))}`);

  const failures = [...(results.proxy?.load ?? []), ...(results.translated?.load ?? [])].reduce((sum, row) => sum + row.failures, 0);
  if (failures > 0) {
    progress(`WARNING: ${failures} requests failed under load; see the failures column`);
    process.exitCode = 1;
  }
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  // Exit explicitly: a lingering socket or timer must not keep a finished benchmark alive.
  .finally(() => stopChildren().then(() => process.exit()));
