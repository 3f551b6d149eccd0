/**
 * Many concurrent slow streams: `streams` OpenAI Chat streams open at once, each an
 * upstream answer that trickles one event every `intervalMs` (the fake upstream's
 * `-c<chunks>-d<delay>` model names). What a proxy holding a thousand idle-most-of-the-time
 * streams costs in memory, and whether it serves them fairly: every stream should see
 * its events as the upstream sends them, about `intervalMs` apart, none starved.
 *
 * The client is raw node:http, one socket per stream (no pooling limit). Streams start
 * spread over `rampMs` so that the listen backlogs are not the thing measured; at
 * `deadlineMs` after the first start every stream still open is cut, so a run is
 * bounded whatever the proxy does.
 */
import { Agent, request, type ClientRequest } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { modelFor } from '../fake-upstream.ts';
import { stopChild, type Child } from './children.ts';
import { CHAT_PATH, chatBody, percentileOf, type Target, type TargetName } from './load.ts';
import { measureTree, treeStats } from './proc-stats.ts';

export interface StreamsSettings {
  streams: number;
  /** Content chunks per stream; the fake adds a finish, a usage and a [DONE] event. */
  chunks: number;
  intervalMs: number;
  rampMs: number;
  /** Events counted per stream within this long after its request was sent: the fairness window. */
  windowMs: number;
  deadlineMs: number;
}

export const STREAMS_DEFAULTS: StreamsSettings = {
  streams: 1000,
  chunks: 120,
  intervalMs: 100,
  rampMs: 1000,
  windowMs: 10_000,
  deadlineMs: 20_000,
};

export const streamsModel = (settings: StreamsSettings): string => modelFor('bench-model', settings.chunks, undefined, settings.intervalMs);

export interface Spread {
  min: number;
  p1: number;
  p50: number;
  max: number;
}

export interface StreamsResult {
  streams: number;
  /** Status 200 and every event, [DONE] last. */
  completed: number;
  /** Errors and non-200 answers. */
  failed: number;
  /** Still open at the deadline. */
  cut: number;
  firstError?: string;
  /** Request sent → first event, over streams that got one. */
  firstEventMs: { p50: number; p99: number; max: number };
  /**
   * Events per stream within the fairness window; `ideal` is what an unhindered stream
   * gets; `starved` counts streams below 90% of the median.
   */
  eventsInWindow: Spread & { ideal: number; starved: number };
  /** Gaps between consecutive events of a stream, over all streams (ideal: intervalMs). */
  gapMs: { p50: number; p99: number; p999: number; max: number };
  /** First start → last stream finished (or the deadline). */
  wallMs: number;
}

interface Tracked {
  req?: ClientRequest;
  sentAt: number;
  firstAt?: number;
  lastAt?: number;
  events: number;
  inWindow: number;
  finished: boolean;
  ok: boolean;
  error?: string;
}

/** Counts SSE event ends (`\n\n`) across reads; the fake and both proxies frame events so. */
function eventEnds(chunk: Buffer, previousWasNewline: boolean): { count: number; endsWithNewline: boolean } {
  let count = 0;
  let prev = previousWasNewline;
  for (let i = 0; i < chunk.length; i++) {
    const isNewline = chunk[i] === 0x0a;
    if (isNewline && prev) {
      count++;
      prev = false; // "\n\n\n" is one end, not two.
    } else {
      prev = isNewline;
    }
  }
  return { count, endsWithNewline: prev };
}

const spread = (sorted: number[]): Spread => ({
  min: sorted[0] ?? NaN,
  p1: percentileOf(sorted, 0.01),
  p50: percentileOf(sorted, 0.5),
  max: sorted.at(-1) ?? NaN,
});

export async function runStreams(target: Target, settings: StreamsSettings): Promise<StreamsResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const body = chatBody('streaming', streamsModel(settings));
  const expectedEvents = settings.chunks + 3;
  const tracked: Tracked[] = [];
  const gaps: number[] = [];
  const start = performance.now();
  let open = 0;
  let started = 0;
  let settle!: () => void;
  const allDone = new Promise<void>((resolve) => (settle = resolve));
  const finish = (stream: Tracked, ok: boolean, error?: string): void => {
    if (stream.finished) return;
    stream.finished = true;
    stream.ok = ok;
    if (error) stream.error = error;
    open--;
    if (open === 0 && started === settings.streams) settle();
  };

  const startOne = (): void => {
    const stream: Tracked = { sentAt: performance.now(), events: 0, inWindow: 0, finished: false, ok: false };
    tracked.push(stream);
    open++;
    started++;
    const headers = { 'content-type': 'application/json', ...target.headers };
    const req = request(target.baseUrl + CHAT_PATH, { method: 'POST', agent, headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        res.on('end', () => finish(stream, false, `HTTP ${res.statusCode}`));
        return;
      }
      let newline = false;
      let tail = '';
      res.on('data', (chunk: Buffer) => {
        const now = performance.now();
        const ends = eventEnds(chunk, newline);
        newline = ends.endsWithNewline;
        for (let i = 0; i < ends.count; i++) {
          if (stream.lastAt === undefined) stream.firstAt = now;
          else gaps.push(now - stream.lastAt);
          stream.lastAt = now;
          stream.events++;
          if (now - stream.sentAt <= settings.windowMs) stream.inWindow++;
        }
        tail = (tail + chunk.toString('latin1')).slice(-64);
      });
      res.on('end', () => {
        const complete = stream.events >= expectedEvents && tail.includes('[DONE]');
        finish(stream, complete, complete ? undefined : `ended after ${stream.events} of ${expectedEvents} events`);
      });
      res.on('error', (error) => finish(stream, false, error.message));
    });
    req.on('error', (error) => finish(stream, false, error.message));
    req.end(body);
    stream.req = req;
  };

  // Ramp: batches every 10 ms.
  const batches = Math.max(1, Math.round(settings.rampMs / 10));
  const perBatch = Math.ceil(settings.streams / batches);
  const ramp = setInterval(() => {
    for (let i = 0; i < perBatch && started < settings.streams; i++) startOne();
    if (started >= settings.streams) clearInterval(ramp);
  }, 10);
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, settings.deadlineMs).unref());
  await Promise.race([allDone, deadline]);
  clearInterval(ramp);
  const wallMs = performance.now() - start;
  let cut = 0;
  for (const stream of tracked) {
    if (!stream.finished) {
      cut++;
      stream.finished = true;
      stream.req?.destroy();
    }
  }
  agent.destroy();

  const firstEvents = tracked.filter((s) => s.firstAt !== undefined).map((s) => s.firstAt! - s.sentAt).sort((a, b) => a - b);
  const inWindow = tracked.map((s) => s.inWindow).sort((a, b) => a - b);
  gaps.sort((a, b) => a - b);
  const ideal = Math.min(expectedEvents, Math.ceil(settings.windowMs / settings.intervalMs));
  const medianInWindow = percentileOf(inWindow, 0.5);
  const failedStreams = tracked.filter((s) => !s.ok && s.error !== undefined);
  return {
    streams: tracked.length,
    completed: tracked.filter((s) => s.ok).length,
    failed: failedStreams.length,
    cut,
    ...(failedStreams[0]?.error ? { firstError: failedStreams[0].error } : {}),
    firstEventMs: { p50: percentileOf(firstEvents, 0.5), p99: percentileOf(firstEvents, 0.99), max: firstEvents.at(-1) ?? NaN },
    eventsInWindow: { ...spread(inWindow), ideal, starved: inWindow.filter((n) => n < 0.9 * medianInWindow).length },
    gapMs: { p50: percentileOf(gaps, 0.5), p99: percentileOf(gaps, 0.99), p999: percentileOf(gaps, 0.999), max: gaps.at(-1) ?? NaN },
    wallMs,
  };
}

export interface StreamsTarget {
  /** How the report names the run, e.g. `llm-mux, BUN_CONFIG_MAX_HTTP_REQUESTS=4096`. */
  label: string;
  name: TargetName;
  /** A fresh proxy per run (so its RSS is this run's); none for direct. */
  start?: () => Promise<{ child: Child; target: Target }>;
  target?: Target;
}

export interface StreamsRow extends StreamsResult {
  round: number;
  label: string;
  target: TargetName;
  /** The proxy's RSS after start-up and its peak during the run, sampled every 100 ms. */
  idleRssBytes?: number;
  peakRssBytes?: number;
  proxyCpuMs?: number;
  upstreamCpuMs: number;
  loadAverage1m: number;
}

export async function runStreamsSuite(
  targets: StreamsTarget[],
  upstreamPid: number,
  settings: StreamsSettings,
  rounds: number,
  progress: (message: string) => void,
): Promise<StreamsRow[]> {
  const rows: StreamsRow[] = [];
  const total = rounds * targets.length;
  for (let round = 1; round <= rounds; round++) {
    for (const spec of targets) {
      progress(
        `[${rows.length + 1}/${total}] round ${round}, ${settings.streams} streams × ${settings.chunks} chunks ${settings.intervalMs} ms apart → ${spec.label} (at most ${settings.deadlineMs / 1000} s)`,
      );
      const server = spec.start ? await spec.start() : undefined;
      const target = server?.target ?? spec.target;
      if (!target) throw new Error(`streams target ${spec.label} has neither a server nor an address`);
      try {
        const loadAverage1m = loadavg()[0] ?? 0;
        const upstreamBefore = treeStats(upstreamPid).cpuMs;
        const idleRssBytes = server ? treeStats(server.child.pid).rssBytes : undefined;
        const measured = server
          ? await measureTree(server.child.pid, () => runStreams(target, settings))
          : { result: await runStreams(target, settings), peakRssBytes: undefined, cpuMs: undefined };
        rows.push({
          round,
          label: spec.label,
          target: spec.name,
          ...measured.result,
          ...(idleRssBytes === undefined ? {} : { idleRssBytes }),
          ...(measured.peakRssBytes === undefined ? {} : { peakRssBytes: measured.peakRssBytes }),
          ...(measured.cpuMs === undefined ? {} : { proxyCpuMs: measured.cpuMs }),
          upstreamCpuMs: treeStats(upstreamPid).cpuMs - upstreamBefore,
          loadAverage1m,
        });
      } finally {
        if (server) await stopChild(server.child);
      }
      // Let the closed sockets and the upstream's timers wind down before the next run.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  return rows;
}
