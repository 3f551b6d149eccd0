// When a rate-limited upstream takes requests again, from every format upstreams use to
// say so; the latest relevant one wins.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, resetTime } from '../../src/accounts/reset-time.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const at = (iso: string) => Date.parse(iso);

describe('resetTime: Retry-After', () => {
  it('reads seconds, an HTTP date and retry-after-ms', () => {
    expect(resetTime({ headers: { 'retry-after': '30' } }, NOW)).toBe(NOW + 30_000);
    expect(resetTime({ headers: { 'Retry-After': '1.5' } }, NOW)).toBe(NOW + 1_500);
    expect(resetTime({ headers: { 'retry-after': 'Sun, 01 Mar 2026 12:02:00 GMT' } }, NOW)).toBe(at('2026-03-01T12:02:00Z'));
    expect(resetTime({ headers: new Headers({ 'retry-after-ms': '250' }) }, NOW)).toBe(NOW + 250);
  });

  it('drops times not in the future and values it cannot read', () => {
    expect(resetTime({ headers: { 'retry-after': '0' } }, NOW)).toBeUndefined();
    expect(resetTime({ headers: { 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT' } }, NOW)).toBeUndefined();
    expect(resetTime({ headers: { 'retry-after': 'soon' } }, NOW)).toBeUndefined();
  });
});

describe('resetTime: Google', () => {
  it('reads RetryInfo.retryDelay from the recorded Gemini 429', () => {
    const body = readFileSync(join(FIXTURES_DIR, 'gemini/error-429-resource-exhausted-retryinfo.json'), 'utf8');
    expect(resetTime({ body }, NOW)).toBe(NOW + 34_400);
    expect(resetTime({ body: [JSON.parse(body)] }, NOW)).toBe(NOW + 34_400); // without alt=sse: in an array
  });

  it('reads Code Assist / Antigravity quotaResetDelay and quotaResetTimeStamp, the latest winning', () => {
    const body = (metadata: Record<string, string>, retryDelay?: string) => ({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'You have exhausted your capacity on this model.',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED', domain: 'cloudcode-pa.googleapis.com', metadata },
          ...(retryDelay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }] : []),
        ],
      },
    });
    expect(resetTime({ body: body({ quotaResetDelay: '2h30m14.5s' }) }, NOW)).toBe(NOW + (2 * 3600 + 30 * 60 + 14.5) * 1_000);
    expect(resetTime({ body: body({ quotaResetTimeStamp: '2026-03-01T15:20:42Z' }) }, NOW)).toBe(at('2026-03-01T15:20:42Z'));
    expect(resetTime({ body: body({ quotaResetDelay: '373.8ms', quotaResetTimeStamp: '2026-03-01T12:00:01Z' }, '0.5s') }, NOW)).toBe(
      at('2026-03-01T12:00:01Z'),
    );
    expect(resetTime({ body: JSON.stringify(body({ model: 'gemini-2.5-pro' }, '9014.12s')) }, NOW)).toBe(NOW + 9_014_120);
  });
});

describe('resetTime: Anthropic', () => {
  it('reads the reset of the bucket that ran out (RFC 3339), not of the others', () => {
    const headers = {
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-03-01T12:00:20Z',
      'anthropic-ratelimit-tokens-remaining': '380000',
      'anthropic-ratelimit-tokens-reset': '2026-03-01T12:00:50Z',
      'anthropic-ratelimit-input-tokens-remaining': '300000',
      'anthropic-ratelimit-input-tokens-reset': '2026-03-01T12:00:45Z',
    };
    expect(resetTime({ headers }, NOW)).toBe(at('2026-03-01T12:00:20Z'));
    expect(resetTime({ headers: { ...headers, 'retry-after': '25' } }, NOW)).toBe(NOW + 25_000);
  });

  it('takes the latest reset when the answer does not say which bucket ran out', () => {
    const headers = { 'anthropic-ratelimit-requests-reset': '2026-03-01T12:00:20Z', 'anthropic-ratelimit-tokens-reset': '2026-03-01T12:00:50Z' };
    expect(resetTime({ headers }, NOW)).toBe(at('2026-03-01T12:00:50Z'));
  });

  it('reads the subscription (unified) resets in epoch seconds, ignoring windows still allowed', () => {
    const fiveHours = Math.floor(NOW / 1_000) + 2 * 3600;
    const sevenDays = Math.floor(NOW / 1_000) + 5 * 86_400;
    const headers = new Headers({
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-reset': String(fiveHours),
      'anthropic-ratelimit-unified-5h-status': 'rejected',
      'anthropic-ratelimit-unified-5h-reset': String(fiveHours),
      'anthropic-ratelimit-unified-7d-status': 'allowed',
      'anthropic-ratelimit-unified-7d-reset': String(sevenDays),
    });
    expect(resetTime({ headers }, NOW)).toBe(fiveHours * 1_000);
  });

  it('never waits for a window the answer says is still allowed, even when no window is marked rejected', () => {
    const headers = {
      'retry-after': '60',
      'anthropic-ratelimit-unified-7d-status': 'allowed_warning',
      'anthropic-ratelimit-unified-7d-reset': String(Math.floor(NOW / 1_000) + 5 * 86_400),
      'anthropic-ratelimit-tokens-remaining': '5000',
      'anthropic-ratelimit-tokens-reset': '2026-03-01T12:05:00Z',
    };
    expect(resetTime({ headers }, NOW)).toBe(NOW + 60_000);
  });
});

describe('resetTime: OpenAI', () => {
  it('reads x-ratelimit-reset-requests / -tokens durations for the buckets that ran out', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    expect(resetTime({ headers }, NOW)).toBe(NOW + 360_000);
    expect(resetTime({ headers: { ...headers, 'x-ratelimit-remaining-tokens': '1200' } }, NOW)).toBe(NOW + 1_000);
  });

  it('reads ChatGPT (Codex) usage-limit bodies', () => {
    const resetsAt = Math.floor(NOW / 1_000) + 3600;
    expect(resetTime({ body: { error: { type: 'usage_limit_reached', plan_type: 'plus', resets_at: resetsAt } } }, NOW)).toBe(resetsAt * 1_000);
    expect(resetTime({ body: { error: { type: 'usage_limit_reached', resets_in_seconds: 120 } } }, NOW)).toBe(NOW + 120_000);
  });
});

describe('resetTime: combined and absent', () => {
  it('lets the latest relevant time win across headers and body', () => {
    const body = { error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '40s' }] } };
    expect(resetTime({ headers: { 'retry-after': '30' }, body }, NOW)).toBe(NOW + 40_000);
    expect(resetTime({ headers: { 'retry-after': '50' }, body }, NOW)).toBe(NOW + 50_000);
  });

  it('is undefined when the answer names no time', () => {
    expect(resetTime({}, NOW)).toBeUndefined();
    expect(resetTime({ headers: { 'content-type': 'application/json' }, body: '{"error":{"type":"rate_limit_error","message":"slow down"}}' }, NOW)).toBeUndefined();
    expect(resetTime({ body: '<html>Too Many Requests</html>' }, NOW)).toBeUndefined();
    expect(resetTime({ body: { error: 'rate limited' } }, NOW)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it.each([
    ['34.4s', 34_400],
    ['1s', 1_000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['135h9m46s', (135 * 3600 + 9 * 60 + 46) * 1_000],
    ['500us', 0.5],
    ['7', 7_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 6);
  });

  it.each(['', 's', '1x', '1 s', '-1s', 'PT1S'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
