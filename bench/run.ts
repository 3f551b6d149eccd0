/**
 * End-to-end benchmark of llm-mux next to the Portkey gateway, loopback only:
 *
 *   npx tsx bench/run.ts [--suite startup,proxy,streams,translated|all] [--repeats 2]
 *                        [--duration 10] [--connections 50] [--streams 1000]
 *                        [--bin <llm-mux executable>] [--no-portkey] [--no-isolate]
 *   npx tsx bench/run.ts --quick              # regression check against bench/baseline.json
 *   npx tsx bench/run.ts --record-baseline    # (re)writes bench/baseline.json
 *
 * First it re-executes itself in a network namespace of its own (`unshare -n`, loopback
 * only; see lib/isolate.ts): the Portkey gateway listens on every interface, so it runs
 * only there, and is left out with a note where no namespace can be made.
 *
 * llm-mux is dist/llm-mux when built (`npm run build`, Bun runtime), else `node bin/llm-mux`;
 * `--bin bin/llm-mux` measures the Node entry point even when a binary exists. Portkey is
 * the `@portkey-ai/gateway` devDependency run by Bun (`bun build/start-server.js`).
 *
 * Suites (all by default, in this order; each round of each interleaves its targets):
 * - startup: spawn → first chat completion answered, and idle RSS, llm-mux and Portkey;
 * - proxy: direct, llm-mux and Portkey under autocannon load (non-streaming, streaming at
 *   20 and 500 chunks) and unloaded sequential latency;
 * - streams: 1,000 concurrent streams trickling an event per 100 ms: RSS and fairness;
 * - translated: llm-mux translating between protocols next to its passthrough.
 * Prints a markdown report with the targets, and saves JSON to bench/results/<timestamp>.json.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compare, machineLabel, quickMetrics, readBaseline, TOLERANCE, writeBaseline, type Baseline } from './lib/baseline.ts';
import { installCleanup, onExit, stopChild, stopChildren } from './lib/children.ts';
import { isolation } from './lib/isolate.ts';
import { commandOutput, machineInfo, type MachineInfo } from './lib/machine.ts';
import { treeStats } from './lib/proc-stats.ts';
import { PROXY_MODELS, runProxySuite, SCENARIOS, type ProxySettings, type ProxyTarget } from './lib/proxy.ts';
import { renderMarkdown, SUITE_NAMES, targetChecks, type BenchResults, type SuiteName, type TranslatedResults } from './lib/report.ts';
import {
  findPortkey,
  prepareLlmMux,
  preparePortkey,
  REPO_ROOT,
  startLlmMux,
  startPortkey,
  startUpstream,
  type Command,
  type PortkeyInstall,
} from './lib/stack.ts';
import { runStartup, type Startable } from './lib/startup.ts';
import { runStreamsSuite, STREAMS_DEFAULTS, streamsModel, type StreamsSettings, type StreamsTarget } from './lib/streams.ts';
import { sliceCount } from './lib/sliced.ts';
import { CHUNK_COUNTS, checkAnswers, marginalCosts, providerConfig, runTranslatedLoad, WORKLOADS } from './lib/translated.ts';

const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const BASELINE_PATH = join(REPO_ROOT, 'bench/baseline.json');
const CHUNKS = 20;
const CHUNK_SIZE = 8;
const STARTS_PER_ROUND = 5;
/** Bun's fetch runs at most this many requests at once unless BUN_CONFIG_MAX_HTTP_REQUESTS says otherwise. */
const RAISED_FETCH_LIMIT = { BUN_CONFIG_MAX_HTTP_REQUESTS: '4096' };
/** Hard bounds: a run that outlives them is stopped, children and all. */
const QUICK_LIMIT_S = 60;
const FULL_LIMIT_S = 60 * 60;
/** The quick check: short runs, non-streaming and 20-chunk streaming, direct and llm-mux. */
const QUICK = { durationS: 3, warmupS: 1, connections: 50, rounds: 3, recordRounds: 5 } as const;

interface Settings {
  suites: SuiteName[];
  durationS: number;
  warmupS: number;
  connections: number;
  /** Rounds of every suite. */
  repeats: number;
  streams: number;
  bin: string | undefined;
  portkey: boolean;
  isolate: boolean;
  quick: boolean;
  recordBaseline: boolean;
}

function positiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

function parseSuites(raw: string): SuiteName[] {
  if (raw === 'all') return [...SUITE_NAMES];
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!SUITE_NAMES.includes(name as SuiteName)) throw new Error(`--suite takes all or a comma-separated list of ${SUITE_NAMES.join(', ')}, got "${name}"`);
  }
  // In the canonical order: start-up first, while the machine is quietest.
  return SUITE_NAMES.filter((name) => names.includes(name));
}

function parseSettings(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      suite: { type: 'string', default: 'all' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      repeats: { type: 'string', default: '2' },
      streams: { type: 'string', default: String(STREAMS_DEFAULTS.streams) },
      bin: { type: 'string' },
      'no-portkey': { type: 'boolean', default: false },
      'no-isolate': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'record-baseline': { type: 'boolean', default: false },
    },
  });
  const durationS = positiveInt('duration', values.duration);
  return {
    suites: parseSuites(values.suite),
    durationS,
    // Enough for the JIT to settle on the hot paths without doubling the run time.
    warmupS: Math.max(1, Math.round(durationS / 5)),
    connections: positiveInt('connections', values.connections),
    repeats: positiveInt('repeats', values.repeats),
    streams: positiveInt('streams', values.streams),
    bin: values.bin,
    portkey: !values['no-portkey'],
    isolate: !values['no-isolate'],
    quick: values.quick,
    recordBaseline: values['record-baseline'],
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

/** A compiled (Bun) executable or a script run by Node: their costs do not compare. */
function runtimeOf(command: Command): 'Bun binary' | 'Node' {
  if (command.command === process.execPath) return 'Node';
  const magic = Buffer.alloc(4);
  try {
    const fd = openSync(command.command, 'r');
    readSync(fd, magic, 0, 4, 0);
    closeSync(fd);
  } catch {
    return 'Bun binary';
  }
  return magic.toString('latin1') === '\x7fELF' || magic.toString('latin1').startsWith('MZ') || magic.readUInt32BE(0) === 0xcffaedfe ? 'Bun binary' : 'Node';
}

function newestMtimeMs(dir: string): number {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  return Math.max(0, ...files.map((file) => statSync(join(dir, file)).mtimeMs));
}

/** One OpenAI Chat upstream serving every model the proxy and streams suites ask for. */
function proxyProviders(upstreamUrl: string): string[] {
  return [
    'providers:',
    '  openai-compatible:',
    '    - name: fake',
    `      base-url: ${upstreamUrl}/v1`,
    '      api-keys: ["sk-bench-key"]',
    `      models: [${[...PROXY_MODELS, streamsModel(STREAMS_DEFAULTS)].join(', ')}]`,
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

function saveResults(results: { timestamp: string }, suffix = ''): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${results.timestamp.replace(/[:.]/g, '-')}${suffix}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** Stops everything and exits if the run outlives its bound, whatever it is waiting on. */
function watchdog(limitS: number): void {
  setTimeout(() => {
    progress(`ERROR: the benchmark ran past its ${limitS} s bound; stopping it`);
    void stopChildren(1000).finally(() => process.exit(2));
  }, limitS * 1000).unref();
}

interface Stack {
  command: Command;
  upstreamUrl: string;
  upstreamPid: number;
  workDir: string;
  portkey: PortkeyInstall | undefined;
}

async function startupSuite(stack: Stack, settings: Settings): Promise<BenchResults['startup']> {
  let n = 0;
  const servers: Startable[] = [
    { name: 'llm-mux', prepare: () => prepareLlmMux(stack.command, proxyProviders(stack.upstreamUrl), join(stack.workDir, `startup-llm-mux-${n++}`)) },
  ];
  const install = stack.portkey;
  if (install) servers.push({ name: 'portkey', prepare: () => preparePortkey(install, stack.upstreamUrl, join(stack.workDir, `startup-portkey-${n++}`)) });
  return { startsPerRound: STARTS_PER_ROUND, rows: await runStartup(servers, settings.repeats, STARTS_PER_ROUND, progress) };
}

async function proxySuite(stack: Stack, settings: Settings): Promise<BenchResults['proxy']> {
  const llmMux = await startLlmMux(stack.command, proxyProviders(stack.upstreamUrl), join(stack.workDir, 'proxy-llm-mux'));
  const portkey = stack.portkey ? await startPortkey(stack.portkey, stack.upstreamUrl, join(stack.workDir, 'proxy-portkey')) : undefined;
  try {
    const targets: ProxyTarget[] = [
      { name: 'direct', baseUrl: stack.upstreamUrl },
      { name: 'llm-mux', baseUrl: llmMux.baseUrl, pid: llmMux.child.pid },
      ...(portkey ? [{ ...portkey.target, pid: portkey.child.pid }] : []),
    ];
    const proxySettings: ProxySettings = {
      durationS: settings.durationS,
      warmupS: settings.warmupS,
      connections: settings.connections,
      repeats: settings.repeats,
      sequentialRequests: 200,
      sequentialWarmup: 20,
    };
    return await runProxySuite(targets, stack.upstreamPid, proxySettings, progress);
  } finally {
    await stopChild(llmMux.child);
    if (portkey) await stopChild(portkey.child);
  }
}

async function streamsSuite(stack: Stack, settings: Settings): Promise<BenchResults['streams']> {
  const streamsSettings: StreamsSettings = { ...STREAMS_DEFAULTS, streams: settings.streams };
  let n = 0;
  const llmMux = (env: Record<string, string> = {}) => async () => {
    const { child, baseUrl } = await startLlmMux(stack.command, proxyProviders(stack.upstreamUrl), join(stack.workDir, `streams-llm-mux-${n++}`), env);
    return { child, target: { name: 'llm-mux' as const, baseUrl } };
  };
  const install = stack.portkey;
  const portkey = (env: Record<string, string> = {}) => () => startPortkey(install!, stack.upstreamUrl, join(stack.workDir, `streams-portkey-${n++}`), env);
  const raised = Object.entries(RAISED_FETCH_LIMIT).map(([key, value]) => `${key}=${value}`).join(' ');
  // Bun's fetch queues requests past its limit; under Node llm-mux's undici pool has a limit of its own.
  const bunLlmMux = runtimeOf(stack.command) === 'Bun binary';
  const targets: StreamsTarget[] = [
    { label: 'direct', name: 'direct', target: { name: 'direct', baseUrl: stack.upstreamUrl } },
    { label: 'llm-mux', name: 'llm-mux', start: llmMux() },
    ...(install ? [{ label: 'Portkey', name: 'portkey' as const, start: portkey() }] : []),
    ...(bunLlmMux ? [{ label: `llm-mux, ${raised}`, name: 'llm-mux' as const, start: llmMux(RAISED_FETCH_LIMIT) }] : []),
    ...(install ? [{ label: `Portkey, ${raised}`, name: 'portkey' as const, start: portkey(RAISED_FETCH_LIMIT) }] : []),
  ];
  return { settings: streamsSettings, rows: await runStreamsSuite(targets, stack.upstreamPid, streamsSettings, settings.repeats, progress) };
}

async function translatedSuite(stack: Stack, settings: Settings): Promise<TranslatedResults> {
  const llmMux = await startLlmMux(stack.command, providerConfig(stack.upstreamUrl), join(stack.workDir, 'translated'));
  try {
    const idleRssBytes = treeStats(llmMux.child.pid).rssBytes;
    progress('translated streams: checking one answer per upstream protocol and workload');
    const checks = await checkAnswers(stack.upstreamUrl, llmMux.baseUrl, CHUNK_SIZE);
    const load = await runTranslatedLoad(llmMux.baseUrl, { upstream: stack.upstreamPid, llmMux: llmMux.child.pid }, settings, progress);
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

/** `--quick` and `--record-baseline`: direct and llm-mux, two scenarios, short rounds. */
async function quickRun(stack: Stack, machine: MachineInfo, llmMuxLabel: string, record: boolean, timestamp: string): Promise<number> {
  // The baseline's median comes from more rounds: it is what every later check is held to.
  const rounds = record ? QUICK.recordRounds : QUICK.rounds;
  const llmMux = await startLlmMux(stack.command, proxyProviders(stack.upstreamUrl), join(stack.workDir, 'quick'));
  let load;
  try {
    const targets: ProxyTarget[] = [
      { name: 'direct', baseUrl: stack.upstreamUrl },
      { name: 'llm-mux', baseUrl: llmMux.baseUrl, pid: llmMux.child.pid },
    ];
    const settings: ProxySettings = { durationS: QUICK.durationS, warmupS: QUICK.warmupS, connections: QUICK.connections, repeats: rounds, sequentialRequests: 0, sequentialWarmup: 0 };
    ({ load } = await runProxySuite(targets, stack.upstreamPid, settings, progress, { scenarios: SCENARIOS.slice(0, 2), sequential: false, warmUpOnce: true }));
  } finally {
    await stopChild(llmMux.child);
  }
  const metrics = quickMetrics(load);
  const failures = load.reduce((sum, row) => sum + row.failures, 0);
  const saved = { timestamp, kind: record ? 'record-baseline' : 'quick', machine, llmMux: llmMuxLabel, load, metrics };
  saveResults(saved, '-quick');
  const perRound = Object.entries(metrics.perRound).flatMap(([scenario, rows]) =>
    rows.map(
      (row, i) =>
        `| ${scenario} | ${i + 1} | ${row.cpuUsPerRequest.toFixed(0)} µs | ${row.upstreamCpuUsPerRequest.toFixed(0)} µs | ${row.relativeCpu.toFixed(2)} | ${row.throughputRatio.toFixed(2)}× |`,
    ),
  );
  process.stdout.write(
    [
      '',
      `## llm-mux quick run: ${rounds} rounds of ${QUICK.durationS} s per target in ${sliceCount(QUICK.durationS)} slices taken in turn (a ${QUICK.warmupS} s warm-up in the first), ${QUICK.connections} connections`,
      '',
      '| Scenario | round | llm-mux CPU/req | upstream CPU/req, same run | relative CPU | llm-mux req/s ÷ direct |',
      '| --- | --: | --: | --: | --: | --: |',
      ...perRound,
      '',
    ].join('\n'),
  );
  if (failures > 0) {
    progress(`ERROR: ${failures} requests failed under load`);
    return 1;
  }
  if (record) {
    const baseline: Baseline = {
      about:
        'Written by `npm run bench -- --record-baseline`; read by `npm run bench:quick`, which fails when the median relative CPU (llm-mux CPU/request ÷ the fake upstream CPU/request in the same run) exceeds a scenario\'s by more than 1/(1 - tolerance). See bench/lib/baseline.ts.',
      recordedAt: timestamp,
      machine: machineLabel(machine),
      llmMux: llmMuxLabel,
      settings: { durationS: QUICK.durationS, warmupS: QUICK.warmupS, connections: QUICK.connections, rounds },
      gate: 'relativeCpu',
      tolerance: TOLERANCE,
      scenarios: metrics.scenarios,
    };
    writeBaseline(BASELINE_PATH, baseline);
    process.stdout.write(`\nRecorded ${relative(process.cwd(), BASELINE_PATH)}:\n${JSON.stringify(baseline.scenarios, null, 2)}\n`);
    return 0;
  }
  const baseline = readBaseline(BASELINE_PATH);
  if (typeof baseline === 'string') {
    progress(`ERROR: ${baseline}`);
    return 1;
  }
  const { lines, failed } = compare(metrics, baseline, machine, llmMuxLabel);
  process.stdout.write(`\n## llm-mux quick check against ${relative(process.cwd(), BASELINE_PATH)} (recorded ${baseline.recordedAt})\n\n${lines.join('\n')}\n\n`);
  process.stdout.write(
    failed ? `FAIL: llm-mux's relative CPU per request is more than ${(1 / (1 - TOLERANCE)).toFixed(2)}× the baseline's\n` : 'PASS\n',
  );
  return failed ? 1 : 0;
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const where = isolation(settings.isolate, progress);
  if (where.kind === 'reexec') {
    process.exitCode = await where.exitCode;
    return;
  }
  const quick = settings.quick || settings.recordBaseline;
  watchdog(settings.quick ? QUICK_LIMIT_S : settings.recordBaseline ? QUICK_LIMIT_S * 2 : FULL_LIMIT_S);
  installCleanup();
  const timestamp = new Date().toISOString();
  const command = llmMuxCommand(settings.bin);
  warnIfBusy();
  const machinePending = machineInfo(REPO_ROOT);
  const network = where.kind === 'namespace' ? { isolated: true, detail: `interfaces: ${where.interfaces.join(', ')}` } : { isolated: false, detail: where.reason };
  if (!network.isolated) progress(`NOTE: not isolated (${network.detail})`);

  let portkey: PortkeyInstall | undefined;
  let portkeySkipped: string | undefined;
  if (quick) portkeySkipped = 'not part of the quick check';
  else if (!settings.portkey) portkeySkipped = '--no-portkey';
  else if (!network.isolated) portkeySkipped = `no loopback-only network namespace (${network.detail}); Portkey listens on every interface`;
  else {
    const found = await findPortkey();
    if (typeof found === 'string') portkeySkipped = found;
    else portkey = found;
  }
  if (portkeySkipped && !quick) progress(`NOTE: Portkey left out: ${portkeySkipped}`);

  progress('starting the fake upstream');
  // Config, state and child logs live here for the run only.
  const workDir = mkdtempSync(join(tmpdir(), 'llm-mux-bench-'));
  onExit(() => rmSync(workDir, { recursive: true, force: true }));
  const upstream = await startUpstream(workDir, CHUNKS, CHUNK_SIZE);
  // Settled before any load so that these short-lived processes don't compete with it.
  const [machine, version] = await Promise.all([machinePending, commandOutput(command.command, [...command.args, '--version'], REPO_ROOT)]);
  const stack: Stack = { command, upstreamUrl: upstream.url, upstreamPid: upstream.child.pid, workDir, portkey };
  // An executable from outside the checkout was not necessarily built from its commit.
  const commit = machine.gitCommit && !command.label.startsWith('/') ? ` at ${machine.gitCommit}` : '';
  const llmMuxLabel = `${command.label} ${version ?? 'unknown'}${commit} (${runtimeOf(command)})`;

  if (quick) {
    process.exitCode = await quickRun(stack, machine, llmMuxLabel, settings.recordBaseline, timestamp);
    return;
  }

  const results: BenchResults = {
    timestamp,
    suites: settings.suites,
    machine,
    network,
    llmMux: { command: command.label, version: version ?? 'unknown' },
    portkey: portkey
      ? { version: portkey.version, runtime: `Bun ${portkey.bunVersion}`, command: `bun node_modules/@portkey-ai/gateway/${relative(join(REPO_ROOT, 'node_modules/@portkey-ai/gateway'), portkey.entry)} --port=<port> --headless` }
      : { skipped: portkeySkipped ?? 'unknown' },
  };
  for (const suite of settings.suites) {
    progress(`--- ${suite} suite`);
    if (suite === 'startup') results.startup = await startupSuite(stack, settings);
    if (suite === 'proxy') results.proxy = await proxySuite(stack, settings);
    if (suite === 'streams') results.streams = await streamsSuite(stack, settings);
    if (suite === 'translated') results.translated = await translatedSuite(stack, settings);
  }
  results.targets = targetChecks(results);
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
