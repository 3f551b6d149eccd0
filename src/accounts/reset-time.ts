/**
 * When an upstream that answered 429 / quota-exhausted will take requests again, read
 * from whatever the upstream said: HTTP headers and the JSON error body. Pure: the
 * caller passes `now` (epoch ms) and gets an epoch-ms time back.
 */
import { isRecord } from '../core/json.ts';

export type HeadersLike = Headers | Readonly<Record<string, string | undefined>>;

export interface UpstreamAnswer {
  headers?: HeadersLike;
  /** The error body: raw text (parsed as JSON when it is) or an already parsed value. */
  body?: unknown;
}

/**
 * The time (epoch ms) the answer says the limit lifts, or undefined when it says nothing
 * usable. Sources, the latest of the relevant ones winning (waking up early only earns
 * another 429):
 * - `Retry-After` (seconds or HTTP date), `retry-after-ms` (OpenAI, Azure);
 * - OpenAI `x-ratelimit-reset-{requests,tokens}` ("1s", "6m0s");
 * - Anthropic `anthropic-ratelimit-*-reset` (RFC 3339; the subscription `unified` ones in
 *   epoch seconds);
 * - Google `error.details[]`: RetryInfo `retryDelay` ("34.4s"), and the `quotaResetDelay` /
 *   `quotaResetTimeStamp` Code Assist and Antigravity put in an ErrorInfo's `metadata`;
 * - ChatGPT (Codex) `error.resets_at` (epoch seconds) / `error.resets_in_seconds`.
 * Times not after `now` are dropped (clock skew, `Retry-After: 0`): the caller's own
 * backoff then applies.
 */
export function resetTime(answer: UpstreamAnswer, now: number): number | undefined {
  const headers = headerMap(answer.headers);
  const times = [...retryAfterTimes(headers, now), ...bucketResetTimes(headers, now), ...bodyResetTimes(errorOf(answer.body), now)];
  const future = times.filter((time) => Number.isFinite(time) && time > now);
  return future.length === 0 ? undefined : Math.max(...future);
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration ("6m0s", "135h9m46s", "373.8ms") or protobuf JSON Duration ("34.4s") in
 * milliseconds; a bare number counts as seconds, as some OpenAI-compatible servers send.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value) * 1_000;
  if (!DURATION.test(value)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return ms;
}

function headerMap(headers: HeadersLike | undefined): Map<string, string> {
  const map = new Map<string, string>();
  // Not `instanceof Headers`: under Node, upstream answers carry undici's own Headers class.
  if (typeof headers?.forEach === 'function') (headers as Headers).forEach((value, name) => map.set(name, value));
  else if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) map.set(name.toLowerCase(), value);
  return map;
}

function retryAfterTimes(headers: Map<string, string>, now: number): number[] {
  const times: number[] = [];
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) times.push(/^\d+(?:\.\d+)?$/.test(retryAfter) ? now + Number(retryAfter) * 1_000 : Date.parse(retryAfter));
  const retryAfterMs = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(retryAfterMs)) times.push(now + retryAfterMs);
  return times;
}

/** One rate-limit bucket's reset; `exhausted` when the response says whether it is the one that ran out. */
interface BucketReset {
  at: number;
  exhausted: boolean | undefined;
}

/**
 * Per-bucket resets: OpenAI `x-ratelimit-reset-<bucket>`, Anthropic
 * `anthropic-ratelimit-<bucket>-reset`. Every bucket is reported on every answer, most of
 * them not the limit that was hit: a subscription's weekly window says "allowed" and
 * resets days away. So only the buckets the answer marks exhausted (remaining 0, status
 * "rejected") count; when none is marked, those it says nothing about.
 */
function bucketResetTimes(headers: Map<string, string>, now: number): number[] {
  const buckets: BucketReset[] = [];
  for (const [name, value] of headers) {
    const openai = /^x-ratelimit-reset-(.+)$/.exec(name)?.[1];
    if (openai !== undefined) {
      const ms = parseDuration(value);
      if (ms !== undefined) buckets.push({ at: now + ms, exhausted: exhausted(headers.get(`x-ratelimit-remaining-${openai}`), undefined) });
      continue;
    }
    const anthropic = /^anthropic-ratelimit-(.+)-reset$/.exec(name)?.[1];
    if (anthropic !== undefined) {
      buckets.push({
        at: parseTimestamp(value),
        exhausted: exhausted(headers.get(`anthropic-ratelimit-${anthropic}-remaining`), headers.get(`anthropic-ratelimit-${anthropic}-status`)),
      });
    }
  }
  const marked = buckets.filter((bucket) => bucket.exhausted === true);
  return (marked.length > 0 ? marked : buckets.filter((bucket) => bucket.exhausted === undefined)).map((bucket) => bucket.at);
}

function exhausted(remaining: string | undefined, status: string | undefined): boolean | undefined {
  if (remaining !== undefined && remaining.trim() !== '' && Number.isFinite(Number(remaining))) return Number(remaining) <= 0;
  if (status !== undefined) return status.trim() === 'rejected';
  return undefined;
}

/** RFC 3339 / HTTP date, or epoch seconds (Anthropic's unified subscription headers). */
function parseTimestamp(value: string): number {
  const text = value.trim();
  return /^\d+$/.test(text) ? Number(text) * 1_000 : Date.parse(text);
}

/** The `error` object of an error body; Gemini without alt=sse wraps the body in an array. */
function errorOf(body: unknown): Record<string, unknown> | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const element = Array.isArray(parsed) ? parsed[0] : parsed;
  return isRecord(element) && isRecord(element.error) ? element.error : undefined;
}

function bodyResetTimes(error: Record<string, unknown> | undefined, now: number): number[] {
  if (!error) return [];
  const times: number[] = [];
  const delay = (value: unknown) => {
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms !== undefined) times.push(now + ms);
  };
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    if (!isRecord(detail)) continue;
    delay(detail.retryDelay);
    if (isRecord(detail.metadata)) {
      delay(detail.metadata.quotaResetDelay);
      if (typeof detail.metadata.quotaResetTimeStamp === 'string') times.push(Date.parse(detail.metadata.quotaResetTimeStamp));
    }
  }
  if (typeof error.resets_at === 'number') times.push(error.resets_at * 1_000);
  if (typeof error.resets_in_seconds === 'number') times.push(now + error.resets_in_seconds * 1_000);
  return times;
}
