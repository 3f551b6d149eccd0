import { isRecord } from '../../core/json.ts';
import type { UsableCredentials } from '../../accounts/tokens.ts';
import type { UpstreamFetch } from '../http.ts';
import { isoFromUnixSeconds, leftOfPercentUsed, numberOf, quotaAnswer } from '../quota.ts';
import type { QuotaReport, QuotaWindow, SubscriptionSettings } from '../subscription.ts';
import { accountHeaders } from './adapter.ts';

/** The two windows each limit of the answer may have, with the name used when the window gives no length. */
const WINDOW_KEYS = [
  ['primary_window', 'primary'],
  ['secondary_window', 'secondary'],
] as const;

/**
 * `GET /backend-api/wham/usage` with the account's headers (docs/providers.md §2):
 * `{plan_type, rate_limit, code_review_rate_limit?, additional_rate_limits?, credits?}`,
 * each limit with a primary (5-hour) and secondary (weekly) window of
 * `{used_percent, limit_window_seconds, reset_at (unix s), reset_after_seconds}`.
 */
export async function codexQuota(settings: SubscriptionSettings<'codex'>, credentials: UsableCredentials, fetch: UpstreamFetch): Promise<QuotaReport> {
  const answer = await quotaAnswer("ChatGPT's usage endpoint", (signal) =>
    fetch(settings.endpoints.usage, {
      method: 'GET',
      headers: { ...accountHeaders(settings, credentials.accessToken, credentials.extra), accept: 'application/json' },
      signal,
    }),
  );
  return { ...(typeof answer.plan_type === 'string' ? { plan: answer.plan_type } : {}), windows: usageWindows(answer, Date.now()) };
}

/** The plan's windows (`5h`, `7d`), then code review's, then per-model limits', then the credits balance. */
export function usageWindows(answer: Record<string, unknown>, now: number): QuotaWindow[] {
  const additional = Array.isArray(answer.additional_rate_limits) ? answer.additional_rate_limits.filter(isRecord) : [];
  return [
    ...limitWindows(answer.rate_limit, undefined, now),
    ...limitWindows(answer.code_review_rate_limit, 'code_review', now),
    ...additional.flatMap((limit) => limitWindows(limit.rate_limit, limitName(limit), now)),
    ...creditsWindows(answer.credits),
  ];
}

function limitWindows(limit: unknown, prefix: string | undefined, now: number): QuotaWindow[] {
  if (!isRecord(limit)) return [];
  return WINDOW_KEYS.flatMap(([key, fallbackName]): QuotaWindow[] => {
    const window = limit[key];
    if (!isRecord(window)) return [];
    const remainingFraction = leftOfPercentUsed(window.used_percent);
    if (remainingFraction === undefined) return [];
    const length = windowLength(window.limit_window_seconds) ?? fallbackName;
    return [{ name: prefix ? `${prefix} ${length}` : length, remainingFraction, resetsAt: resetTime(window, now) }];
  });
}

/** `5h`, `7d`: how the window's length reads, from its seconds. */
function windowLength(value: unknown): string | undefined {
  const seconds = numberOf(value);
  if (seconds === undefined || seconds <= 0) return undefined;
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  return `${Math.round(seconds / 60)}m`;
}

/** `reset_at` (unix seconds), else `reset_after_seconds` from now. */
function resetTime(window: Record<string, unknown>, now: number): string | undefined {
  const after = numberOf(window.reset_after_seconds);
  return isoFromUnixSeconds(window.reset_at) ?? (after === undefined ? undefined : isoFromUnixSeconds(now / 1000 + after));
}

function limitName(limit: Record<string, unknown>): string {
  const name = [limit.limit_name, limit.metered_feature].find((value): value is string => typeof value === 'string' && value !== '');
  return name ?? 'additional';
}

/** Bought credits: a balance, or none at all when the plan's credits are unlimited; nothing when the account has none. */
function creditsWindows(credits: unknown): QuotaWindow[] {
  if (!isRecord(credits)) return [];
  if (credits.unlimited === true) return [{ name: 'credits', unlimited: true }];
  const balance = numberOf(credits.balance);
  return credits.has_credits === true && balance !== undefined ? [{ name: 'credits', remaining: balance }] : [];
}
