/**
 * The translated-streams suite: streaming requests whose client and upstream protocols
 * differ, so llm-mux decodes every upstream event to the canonical model and encodes it
 * again, measured next to the same-protocol passthrough (bytes forwarded, decoded on the
 * side for usage) at a short and a long stream. One llm-mux process serves every workload:
 * its config has one provider per upstream protocol, and the model name picks both the
 * provider and the fake upstream's chunk count (`anthropic-c500`: 500 chunks).
 */
import { answerText, modelFor, PROMPT_TOKENS, UPSTREAM_PROTOCOLS, type UpstreamProtocol } from '../fake-upstream.ts';
import { CLIENTS, type ClientProtocol, type TokenCounts } from './clients.ts';
import { requestOnce, runRequestLoad, type LoadRequest, type LoadResult, type Mode } from './load.ts';
import { runInTurn, sliceCount } from './sliced.ts';

export interface Workload {
  id: string;
  client: ClientProtocol;
  upstream: UpstreamProtocol;
}

/** The baseline first: every other workload's throughput is divided by its. */
export const WORKLOADS: readonly Workload[] = [
  { id: 'openai-chat → openai-chat (passthrough)', client: 'openai-chat', upstream: 'openai-chat' },
  { id: 'openai-chat → anthropic', client: 'openai-chat', upstream: 'anthropic' },
  { id: 'anthropic → openai-chat', client: 'anthropic', upstream: 'openai-chat' },
  { id: 'gemini → openai-chat', client: 'gemini', upstream: 'openai-chat' },
];
const BASELINE = WORKLOADS[0]!;

/** Stream lengths: the marginal cost of a chunk is the CPU difference between them over the chunk difference. */
export const CHUNK_COUNTS = [20, 500] as const;

/** Model name prefix and base URL path of each upstream protocol's provider. */
const UPSTREAMS: Record<UpstreamProtocol, { prefix: string; basePath: string }> = {
  'openai-chat': { prefix: 'openai', basePath: '/v1' },
  'openai-responses': { prefix: 'responses', basePath: '/v1' },
  anthropic: { prefix: 'anthropic', basePath: '/v1' },
  gemini: { prefix: 'gemini', basePath: '/v1beta' },
};

export const modelOf = (upstream: UpstreamProtocol, chunks: number): string => modelFor(UPSTREAMS[upstream].prefix, chunks);

/** The `providers:` part of llm-mux's config: an openai-compatible entry per upstream protocol. */
export function providerConfig(upstreamUrl: string): string[] {
  const lines = ['providers:', '  openai-compatible:'];
  for (const protocol of UPSTREAM_PROTOCOLS) {
    const { prefix, basePath } = UPSTREAMS[protocol];
    lines.push(
      `    - name: up-${prefix}`,
      `      protocol: ${protocol}`,
      `      base-url: ${upstreamUrl}${basePath}`,
      `      api-keys: ["sk-bench-${prefix}"]`,
      `      models: [${CHUNK_COUNTS.map((chunks) => modelOf(protocol, chunks)).join(', ')}]`,
    );
  }
  return lines;
}

interface Check {
  name: string;
  baseUrl: string;
  client: ClientProtocol;
  upstream: UpstreamProtocol;
  mode: Mode;
  chunks: number;
}

/**
 * One request per case before any load, each answer read in full: text and token counts
 * must be exactly the fake upstream's. Direct requests check the fake's bodies against the
 * client readers; requests through llm-mux from an OpenAI Chat client to every upstream
 * protocol make llm-mux's decoders read every body the fake sends (streamed and whole);
 * then every workload's own request and the same-protocol passthroughs. Returns the count.
 */
export async function checkAnswers(upstreamUrl: string, llmMuxUrl: string, chunkSize: number): Promise<number> {
  const checks: Check[] = [];
  const modes: Mode[] = ['streaming', 'non-streaming'];
  const add = (name: string, baseUrl: string, client: ClientProtocol, upstream: UpstreamProtocol) => {
    for (const chunks of CHUNK_COUNTS) for (const mode of modes) checks.push({ name, baseUrl, client, upstream, mode, chunks });
  };
  const sameProtocol: ClientProtocol[] = ['openai-chat', 'anthropic', 'gemini'];
  for (const protocol of sameProtocol) add(`direct ${protocol}`, upstreamUrl, protocol, protocol);
  for (const upstream of UPSTREAM_PROTOCOLS) add(`llm-mux openai-chat → ${upstream}`, llmMuxUrl, 'openai-chat', upstream);
  for (const workload of WORKLOADS) add(`llm-mux ${workload.client} → ${workload.upstream}`, llmMuxUrl, workload.client, workload.upstream);
  for (const protocol of sameProtocol) add(`llm-mux ${protocol} → ${protocol}`, llmMuxUrl, protocol, protocol);

  const seen = new Set<string>();
  for (const check of checks) {
    const key = `${check.name}/${check.mode}/${check.chunks}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const problem = await checkOne(check, chunkSize);
    if (problem) throw new Error(`preflight ${check.name}, ${check.mode}, ${check.chunks} chunks: ${problem}`);
  }
  return seen.size;
}

/** Checks one workload's answer (streamed unless told) through llm-mux; throws with the problem. */
export async function checkWorkload(llmMuxUrl: string, workload: Workload, chunks: number, chunkSize: number, mode: Mode = 'streaming'): Promise<void> {
  const problem = await checkOne({ name: workload.id, baseUrl: llmMuxUrl, client: workload.client, upstream: workload.upstream, mode, chunks }, chunkSize);
  if (problem) throw new Error(`${workload.id}, ${chunks} chunks: ${problem}`);
}

/** The workload's request under load (streamed unless told): the same body over and over, each answer checked for completeness. */
export function workloadRequest(llmMuxUrl: string, workload: Workload, chunks: number, mode: Mode = 'streaming'): LoadRequest {
  const spec = CLIENTS[workload.client];
  const model = modelOf(workload.upstream, chunks);
  return { url: llmMuxUrl + spec.path(model, mode), body: spec.body(model, mode), verify: spec.looksComplete(mode) };
}

async function checkOne(check: Check, chunkSize: number): Promise<string | undefined> {
  const spec = CLIENTS[check.client];
  const model = modelOf(check.upstream, check.chunks);
  const answer = await requestOnce(check.baseUrl + spec.path(model, check.mode), spec.body(model, check.mode));
  if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (!spec.looksComplete(check.mode)(answer.body)) return `the load check would reject the answer: ${answer.body.slice(-300)}`;
  let content: string;
  let usage: TokenCounts | undefined;
  try {
    ({ content, usage } = spec.read(check.mode, answer.body));
  } catch (error) {
    return `unreadable answer (${error instanceof Error ? error.message : error}): ${answer.body.slice(0, 300)}`;
  }
  const expected = answerText(check.chunks, chunkSize);
  if (content !== expected) return `${content.length} characters of content, expected ${expected.length}: ${JSON.stringify(content.slice(0, 80))}`;
  if (usage?.input !== PROMPT_TOKENS || usage.output !== check.chunks) {
    return `usage ${JSON.stringify(usage)}, expected ${PROMPT_TOKENS} in and ${check.chunks} out`;
  }
  return undefined;
}

export interface TranslatedRow extends LoadResult {
  /** 1-based: every workload runs once per round, rounds one after another. */
  round: number;
  workload: string;
  client: ClientProtocol;
  upstream: UpstreamProtocol;
  chunks: number;
  upstreamCpuMsPerRequest: number;
  llmMuxCpuMsPerRequest: number;
  llmMuxPeakRssBytes: number;
  /** The machine's 1-minute load average as the measured slices started: other work shows here. */
  loadAverage1m: number;
  /** This run's req/s ÷ the passthrough's in the same round at the same chunk count. */
  throughputVsPassthrough?: number;
}

export interface MarginalRow {
  workload: string;
  /** A round, or undefined for the mean over rounds. */
  round?: number;
  /** llm-mux CPU per request at the short and the long stream. */
  shortMs: number;
  longMs: number;
  /** (long − short) ÷ (long chunks − short chunks): what one more chunk costs. */
  perChunkMs: number;
  /** perChunkMs minus the passthrough's: what translating one chunk adds. */
  overPassthroughMs?: number;
  /** short − short chunks × perChunkMs: the per-request cost left without chunks. */
  fixedMs: number;
}

export interface TranslatedSettings {
  durationS: number;
  warmupS: number;
  connections: number;
  repeats: number;
}

/**
 * Every workload at every chunk count, `repeats` rounds. Within a round and a chunk count,
 * each workload gets a warm-up of `warmupS`, then their `durationS` seconds are taken in
 * slices in turn (see sliced.ts), so the ratio to the passthrough compares like with like.
 * Every run is bounded, requests timing out after 10 s.
 */
export async function runTranslatedLoad(
  llmMuxUrl: string,
  pids: { upstream: number; llmMux: number },
  settings: TranslatedSettings,
  progress: (message: string) => void,
): Promise<TranslatedRow[]> {
  const rows: TranslatedRow[] = [];
  const slices = sliceCount(settings.durationS);
  for (let round = 1; round <= settings.repeats; round++) {
    for (const chunks of CHUNK_COUNTS) {
      const requests = WORKLOADS.map((workload) => workloadRequest(llmMuxUrl, workload, chunks));
      progress(`round ${round}, ${chunks} chunks: ${settings.warmupS} s warm-up of each workload, then ${slices} × ${settings.durationS / slices} s of each in turn`);
      for (const request of requests) await runRequestLoad(request, settings.connections, settings.warmupS);
      const runs = requests.map((request) => ({ load: (seconds: number) => runRequestLoad(request, settings.connections, seconds), pid: pids.llmMux }));
      const results = await runInTurn(runs, settings.durationS, pids.upstream);
      for (const [index, workload] of WORKLOADS.entries()) {
        const { cpuMs, peakRssBytes, upstreamCpuMs, ...result } = results[index]!;
        const perRequest = (ms: number): number => ms / Math.max(1, result.totalRequests);
        rows.push({
          round,
          workload: workload.id,
          client: workload.client,
          upstream: workload.upstream,
          chunks,
          ...result,
          upstreamCpuMsPerRequest: perRequest(upstreamCpuMs),
          llmMuxCpuMsPerRequest: perRequest(cpuMs!),
          llmMuxPeakRssBytes: peakRssBytes!,
        });
      }
    }
  }
  for (const row of rows) {
    const baseline = rows.find((other) => other.workload === BASELINE.id && other.round === row.round && other.chunks === row.chunks);
    if (baseline && row.workload !== BASELINE.id) row.throughputVsPassthrough = row.requestsPerS / baseline.requestsPerS;
  }
  return rows;
}

/** Marginal per-chunk CPU per workload, per round and as the mean over rounds. */
export function marginalCosts(rows: readonly TranslatedRow[]): MarginalRow[] {
  const [short, long] = CHUNK_COUNTS;
  const rounds = [...new Set(rows.map((row) => row.round))];
  const cpu = (workload: string, chunks: number, round?: number): number | undefined => {
    const matching = rows.filter((row) => row.workload === workload && row.chunks === chunks && (round === undefined || row.round === round));
    return matching.length === 0 ? undefined : matching.reduce((sum, row) => sum + row.llmMuxCpuMsPerRequest, 0) / matching.length;
  };
  const marginal = (workload: string, round?: number): MarginalRow | undefined => {
    const shortMs = cpu(workload, short, round);
    const longMs = cpu(workload, long, round);
    if (shortMs === undefined || longMs === undefined) return undefined;
    const perChunkMs = (longMs - shortMs) / (long - short);
    return { workload, ...(round === undefined ? {} : { round }), shortMs, longMs, perChunkMs, fixedMs: shortMs - short * perChunkMs };
  };
  const out: MarginalRow[] = [];
  for (const workload of WORKLOADS) {
    for (const round of [...rounds, undefined]) {
      const row = marginal(workload.id, round);
      if (!row) continue;
      const baseline = marginal(BASELINE.id, round);
      if (baseline && workload !== BASELINE) row.overPassthroughMs = row.perChunkMs - baseline.perChunkMs;
      out.push(row);
    }
  }
  return out;
}
