/**
 * The two kinds of measurement: throughput under concurrent load (autocannon) and
 * latency of unloaded sequential requests (one keep-alive socket, node:http).
 */
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export type Mode = 'non-streaming' | 'streaming';

export const CHAT_PATH = '/v1/chat/completions';
const HEADERS = { 'content-type': 'application/json' };
/** The fake upstream's default shape: 20 chunks. */
export const DEFAULT_MODEL = 'bench-model';

export function chatBody(mode: Mode, model = DEFAULT_MODEL): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'hi' }],
    stream: mode === 'streaming',
  });
}

/** Cheap enough to run on every response under load; preflight() checks content thoroughly. */
function looksComplete(mode: Mode): (body: string) => boolean {
  return mode === 'streaming'
    ? (body) => body.trimEnd().endsWith('data: [DONE]')
    : (body) => body.includes('"choices"');
}

export interface LoadResult {
  requestsPerS: number;
  totalRequests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyAvgMs: number;
  /** Connection errors, timeouts, non-2xx answers and incomplete bodies. */
  failures: number;
}

/** OpenAI Chat requests of one mode and model to a target, `connections` at a time for `durationS` seconds. */
export async function runLoad(target: Target, mode: Mode, model: string, connections: number, durationS: number): Promise<LoadResult> {
  return runRequestLoad(
    { url: target.baseUrl + CHAT_PATH, body: chatBody(mode, model), verify: looksComplete(mode), headers: target.headers },
    connections,
    durationS,
  );
}

/** One request, sent over and over under load. */
export interface LoadRequest {
  url: string;
  body: string;
  /** Whether a response body is a complete answer; cheap, it runs on every response. */
  verify: (body: string) => boolean;
  /** Sent besides the content type (e.g. Portkey's routing headers). */
  headers?: Record<string, string>;
}

/** `connections` keep-alive connections sending `request` back to back for `durationS` seconds. */
export async function runRequestLoad(request: LoadRequest, connections: number, durationS: number): Promise<LoadResult> {
  const result = await autocannon({
    url: request.url,
    method: 'POST',
    headers: { ...HEADERS, ...request.headers },
    body: request.body,
    connections,
    duration: durationS,
    timeout: 10,
    verifyBody: request.verify,
  });
  return {
    requestsPerS: result.requests.average,
    totalRequests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyAvgMs: result.latency.average,
    failures: result.errors + result.non2xx + result.mismatches,
  };
}

interface Timing {
  /** Until the first body byte: for streaming, the first token. */
  ttfbMs: number;
  totalMs: number;
  status: number;
  body: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

export function timedRequest(url: string, body: string, agent: Agent, headers?: Record<string, string>): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let ttfbMs = 0;
    const options = { method: 'POST', agent, headers: { ...HEADERS, ...headers }, timeout: REQUEST_TIMEOUT_MS };
    const req = request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => {
        if (text === '') ttfbMs = performance.now() - start;
        text += part;
      });
      res.on('end', () =>
        resolve({ ttfbMs, totalMs: performance.now() - start, status: res.statusCode ?? 0, body: text }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Parses a response and checks it carries the fake upstream's full answer and usage. */
function checkAnswer(mode: Mode, timing: { status: number; body: string }, expectedContent: string): string | undefined {
  if (timing.status !== 200) return `HTTP ${timing.status}: ${timing.body.slice(0, 300)}`;
  let content = '';
  let usage: unknown;
  try {
    if (mode === 'non-streaming') {
      const json = JSON.parse(timing.body);
      content = json.choices?.[0]?.message?.content ?? '';
      usage = json.usage;
    } else {
      const events = timing.body.split('\n').filter((line) => line.startsWith('data:'));
      if (events.at(-1)?.trim() !== 'data: [DONE]') return 'stream does not end with data: [DONE]';
      for (const event of events.slice(0, -1)) {
        const json = JSON.parse(event.slice(5));
        content += json.choices?.[0]?.delta?.content ?? '';
        usage ??= json.usage ?? undefined;
      }
    }
  } catch (error) {
    return `unparseable body (${error instanceof Error ? error.message : error}): ${timing.body.slice(0, 300)}`;
  }
  if (content !== expectedContent) return `content ${JSON.stringify(content)} != ${JSON.stringify(expectedContent)}`;
  if (!usage) return 'no usage in the answer';
  return undefined;
}

/** Fails loudly before any load if a target does not answer like an OpenAI upstream. */
export async function preflight(target: Target, mode: Mode, model: string, expectedContent: string): Promise<void> {
  const problem = checkAnswer(mode, await requestOnce(target.baseUrl + CHAT_PATH, chatBody(mode, model), target.headers), expectedContent);
  if (problem) throw new Error(`${mode} request (${model}) to ${target.name} at ${target.baseUrl} failed: ${problem}`);
}

/** One POST on a connection of its own; the status and the whole body. */
export async function requestOnce(url: string, body: string, headers?: Record<string, string>): Promise<{ status: number; body: string }> {
  const agent = new Agent({ keepAlive: false });
  try {
    const timing = await timedRequest(url, body, agent, headers);
    return { status: timing.status, body: timing.body };
  } finally {
    agent.destroy();
  }
}

export interface Percentiles {
  p50: number;
  p99: number;
}

export type TargetName = 'direct' | 'llm-mux' | 'portkey';

export interface Target {
  name: TargetName;
  baseUrl: string;
  /** Sent with every request to this target. */
  headers?: Record<string, string>;
}

export interface SequentialResult {
  target: TargetName;
  ttfbMs: Percentiles;
  totalMs: Percentiles;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The nearest-rank percentile `p` (0–1] of `sorted`, NaN when empty. */
export function percentileOf(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentileOf(sorted, 0.5), p99: percentileOf(sorted, 0.99) };
}

/**
 * `count` unloaded requests to each target, alternating between them so that drift
 * (CPU frequency, GC, other tenants) hits all targets equally. One keep-alive socket each.
 */
export async function sequentialLatency(
  targets: Target[],
  mode: Mode,
  model: string,
  count: number,
  warmup: number,
): Promise<SequentialResult[]> {
  const body = chatBody(mode, model);
  const runs = targets.map((target) => ({
    target,
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    ttfb: [] as number[],
    total: [] as number[],
  }));
  try {
    for (let i = 0; i < warmup + count; i++) {
      for (const run of runs) {
        const timing = await timedRequest(run.target.baseUrl + CHAT_PATH, body, run.agent, run.target.headers);
        if (timing.status !== 200) throw new Error(`${run.target.name}: HTTP ${timing.status} in sequential ${mode} requests`);
        if (i < warmup) continue;
        run.ttfb.push(timing.ttfbMs);
        run.total.push(timing.totalMs);
      }
    }
  } finally {
    for (const run of runs) run.agent.destroy();
  }
  return runs.map((run) => ({ target: run.target.name, ttfbMs: percentiles(run.ttfb), totalMs: percentiles(run.total) }));
}
