/**
 * Where llm-mux spends its CPU on one translated-streams workload: a Bun CPU profile of
 * the server run from source, under the same load as `bench/run.ts --suite translated`.
 *
 *   npx tsx bench/profile.ts [--client openai-chat] [--upstream anthropic] [--chunks 500]
 *                            [--mode streaming|non-streaming] [--duration 10] [--connections 50] [--top 25] [--out <dir>]
 *                            [--source <llm-mux checkout>]
 *
 * Starts the fake upstream and `bun --cpu-prof src/cli/main.ts serve` (from this checkout,
 * or from --source, e.g. a `git archive` snapshot of the commit a benchmark measured,
 * with node_modules linked in), checks one answer,
 * loads the workload for --duration seconds, stops llm-mux (Bun writes the profile as it
 * exits) and prints the functions and files with the most self time. The .cpuprofile is
 * kept in --out (default: a new temporary directory) for Chrome DevTools or speedscope.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, onExit, stopChild, stopChildren } from './lib/children.ts';
import type { ClientProtocol } from './lib/clients.ts';
import { runRequestLoad, type Mode } from './lib/load.ts';
import { REPO_ROOT, startLlmMux, startUpstream } from './lib/stack.ts';
import { checkWorkload, providerConfig, workloadRequest, WORKLOADS, type Workload } from './lib/translated.ts';
import { UPSTREAM_PROTOCOLS, type UpstreamProtocol } from './fake-upstream.ts';

const CHUNK_SIZE = 8;
const CLIENT_PROTOCOLS: readonly ClientProtocol[] = ['openai-chat', 'anthropic', 'gemini'];

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** Samples whose top frame this was. */
  samples: number;
  /** Share of all samples. */
  share: number;
}

/** Where llm-mux runs from: source paths in the report are relative to it. */
let sourceRoot = REPO_ROOT;

function where(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  // Dependencies resolve through a linked node_modules to this checkout's.
  const root = [sourceRoot, REPO_ROOT].find((candidate) => path.startsWith(`${candidate}/`));
  return root ? relative(root, path) : path;
}

const label = (frame: CallFrame): string => `${frame.functionName || '(anonymous)'} ${where(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;

/**
 * Self time per function and per source file, counted in samples; and the native
 * functions' samples by the nearest caller with source, which says what JSON.parse or
 * TextEncoder.encode was busy for. Bun samples only while JavaScript (or a native function
 * it called) runs and records no idle samples, so the gap after a sample can be idle time:
 * samples are counted, not weighted by those gaps.
 */
export function selfTimes(profile: CpuProfile): { functions: SelfTime[]; files: SelfTime[]; nativeByCaller: SelfTime[]; samples: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const callerWithSource = (id: number): CallFrame | undefined => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at);
      if (frame?.url && !frame.url.startsWith('internal:')) return frame;
    }
    return undefined;
  };
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const nativeByCaller = new Map<string, number>();
  const count = (totals: Map<string, number>, key: string): void => void totals.set(key, (totals.get(key) ?? 0) + 1);
  for (const id of profile.samples) {
    const frame = byId.get(id);
    if (!frame) continue;
    count(functions, label(frame));
    count(files, where(frame.url));
    if (!frame.url || frame.url.startsWith('internal:')) {
      const caller = callerWithSource(id);
      count(nativeByCaller, `${frame.functionName || '(anonymous)'} ← ${caller ? label(caller) : '(no caller with source)'}`);
    }
  }
  const total = profile.samples.length;
  const rank = (totals: Map<string, number>): SelfTime[] =>
    [...totals.entries()].map(([name, samples]) => ({ name, samples, share: samples / Math.max(1, total) })).sort((a, b) => b.samples - a.samples);
  return { functions: rank(functions), files: rank(files), nativeByCaller: rank(nativeByCaller), samples: total };
}

function render(rows: SelfTime[], top: number, heading: string): string {
  return [
    `| ${heading} | samples | share |`,
    '| --- | --: | --: |',
    ...rows.slice(0, top).map((row) => `| \`${row.name}\` | ${row.samples} | ${(row.share * 100).toFixed(1)}% |`),
  ].join('\n');
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      client: { type: 'string', default: 'openai-chat' },
      upstream: { type: 'string', default: 'anthropic' },
      chunks: { type: 'string', default: '500' },
      mode: { type: 'string', default: 'streaming' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      top: { type: 'string', default: '25' },
      out: { type: 'string' },
      source: { type: 'string' },
    },
  });
  const source = resolve(values.source ?? REPO_ROOT);
  const workload: Workload = {
    id: `${values.client} → ${values.upstream}`,
    client: oneOf('client', values.client, CLIENT_PROTOCOLS),
    upstream: oneOf<UpstreamProtocol>('upstream', values.upstream, UPSTREAM_PROTOCOLS),
  };
  const known = WORKLOADS.find((candidate) => candidate.client === workload.client && candidate.upstream === workload.upstream);
  const chunks = Number(values.chunks);
  const mode = oneOf<Mode>('mode', values.mode, ['streaming', 'non-streaming']);
  const durationS = Number(values.duration);
  const connections = Number(values.connections);
  if (![chunks, durationS, connections].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--chunks, --duration and --connections take positive integers');
  if (chunks !== 20 && chunks !== 500) throw new Error('--chunks must be 20 or 500: the models in the config');

  installCleanup();
  const workDir = mkdtempSync(join(tmpdir(), 'llm-mux-profile-'));
  onExit(() => rmSync(workDir, { recursive: true, force: true }));
  const out = resolve(values.out ?? mkdtempSync(join(tmpdir(), 'llm-mux-cpuprofile-')));
  mkdirSync(out, { recursive: true });
  const before = new Set(readdirSync(out));

  const upstream = await startUpstream(workDir, chunks, CHUNK_SIZE);
  const bun = join(REPO_ROOT, 'node_modules/.bin/bun');
  const command = { command: bun, args: ['--cpu-prof', `--cpu-prof-dir=${out}`, join(source, 'src/cli/main.ts')], label: 'bun --cpu-prof src/cli/main.ts' };
  sourceRoot = source;
  const llmMux = await startLlmMux(command, providerConfig(upstream.url), join(workDir, 'llm-mux'));
  await checkWorkload(llmMux.baseUrl, workload, chunks, CHUNK_SIZE, mode);
  process.stderr.write(`profiling ${known?.id ?? workload.id}, ${chunks} chunks, ${mode}: ${durationS} s, ${connections} connections\n`);
  const result = await runRequestLoad(workloadRequest(llmMux.baseUrl, workload, chunks, mode), connections, durationS);
  // serve closes gracefully on SIGTERM and exits; Bun writes the profile then.
  await stopChild(llmMux.child, 15_000);

  const written = readdirSync(out).filter((file) => file.endsWith('.cpuprofile') && !before.has(file));
  if (written.length !== 1) throw new Error(`expected one new .cpuprofile in ${out}, found ${written.length}`);
  const file = join(out, written[0]!);
  const top = Number(values.top);
  const times = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write(
    [
      `## CPU profile: ${workload.id}, ${chunks} chunks, ${mode}, Bun from source${source === REPO_ROOT ? '' : ` in ${source}`}`,
      '',
      `- Load: ${Math.round(result.requestsPerS)} req/s for ${durationS} s, ${connections} connections, ${result.failures} failures`,
      `- ${times.samples} samples (Bun samples every 1 ms while JavaScript runs, idle time is not sampled); shares are of all samples`,
      `- Profile: ${file}`,
      '',
      render(times.functions, top, 'Function (self time)'),
      '',
      render(times.files, Math.min(top, 15), 'Source file (self time)'),
      '',
      render(times.nativeByCaller, top, 'Native or runtime-internal function ← nearest caller with source'),
      '',
    ].join('\n'),
  );
}

// Runs only as a script, so that selfTimes can be imported to read a saved profile again.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main()
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    })
    .finally(() => stopChildren().then(() => process.exit()));
}
