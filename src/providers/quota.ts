/**
 * What the subscription providers' quota functions share: reading a usage endpoint's
 * JSON answer, and restating its percentages, counts and times in QuotaWindow's terms.
 * The endpoints are undocumented and their shapes drift, so every field is read as
 * "maybe": a value of the wrong type is left out, never guessed.
 */
import { isRecord, tryParseJson } from '../core/json.ts';
import { fetchFailureReason } from './http.ts';

const QUOTA_TIMEOUT_MS = 15_000;
/** Enough of an upstream's own error message to say what went wrong. */
const MESSAGE_CHARS = 200;

/** A usage endpoint that failed: its HTTP status when it answered, none when it could not be reached or answered no JSON object. */
export class QuotaError extends Error {
  constructor(
    message: string,
    readonly upstreamStatus?: number,
  ) {
    super(message);
    this.name = 'QuotaError';
  }
}

/**
 * The JSON object `what` (e.g. "Claude's usage endpoint") answers to `send`, which gets a
 * timeout signal. Throws QuotaError: unreachable, an error status (with the upstream's
 * own message), or an answer that is not a JSON object.
 */
export async function quotaAnswer(what: string, send: (signal: AbortSignal) => Promise<Response>): Promise<Record<string, unknown>> {
  let status: number;
  let text: string;
  try {
    const response = await send(AbortSignal.timeout(QUOTA_TIMEOUT_MS));
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw new QuotaError(`${what} could not be reached (${fetchFailureReason(error)})`);
  }
  const body = tryParseJson(text);
  if (status < 200 || status > 299) throw new QuotaError(`${what} answered HTTP ${status}${upstreamMessage(body)}`, status);
  if (!isRecord(body)) throw new QuotaError(`${what} answered something that is not a JSON object`);
  return body;
}

/** `: <message>` from the usual error shapes (`{error: {message}}`, `{error}`, `{message}`, `{detail}`), or nothing. */
function upstreamMessage(body: unknown): string {
  if (!isRecord(body)) return '';
  const error = body.error;
  const candidates = [isRecord(error) ? error.message : error, body.message, body.detail];
  const message = candidates.find((candidate): candidate is string => typeof candidate === 'string' && candidate !== '');
  return message ? `: ${message.slice(0, MESSAGE_CHARS)}` : '';
}

/** A finite number, from a number or numeric text (Google sends int64 values as text). */
export function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

/** A 0–1 fraction from `value` out of `whole` (1 for a fraction, 100 for a percentage), clamped. */
export function fractionOf(value: unknown, whole: number): number | undefined {
  const number = numberOf(value);
  return number === undefined ? undefined : Math.min(1, Math.max(0, number / whole));
}

/** What is left of a window reported as a percentage used (0–100). */
export function leftOfPercentUsed(value: unknown): number | undefined {
  const used = fractionOf(value, 100);
  return used === undefined ? undefined : 1 - used;
}

/** An ISO time from a date or date-time text, or undefined when it names no time. */
export function isoTime(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? isoFromMs(Date.parse(value)) : undefined;
}

/** An ISO time from unix seconds. */
export function isoFromUnixSeconds(value: unknown): string | undefined {
  const seconds = numberOf(value);
  return seconds === undefined || seconds <= 0 ? undefined : isoFromMs(seconds * 1000);
}

/** Out-of-range times (a garbled field) give undefined rather than a RangeError. */
function isoFromMs(ms: number): string | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
