import { isRecord } from '../../core/json.ts';
import type { UsableCredentials } from '../../accounts/tokens.ts';
import type { UpstreamFetch } from '../http.ts';
import { isoTime, leftOfPercentUsed, quotaAnswer } from '../quota.ts';
import type { QuotaReport, QuotaWindow, SubscriptionSettings } from '../subscription.ts';

/**
 * `GET /api/oauth/usage` with the account's bearer token (docs/providers.md §1 "Usage
 * endpoint"): the plan's rolling windows as `{utilization (0–100), resets_at}`.
 */
export async function claudeQuota(settings: SubscriptionSettings<'claude'>, credentials: UsableCredentials, fetch: UpstreamFetch): Promise<QuotaReport> {
  const answer = await quotaAnswer("Claude's usage endpoint", (signal) =>
    fetch(settings.endpoints.usage, {
      method: 'GET',
      headers: {
        authorization: `Bearer ${credentials.accessToken}`,
        'anthropic-beta': settings.identity['usage-beta'],
        'user-agent': settings.identity['user-agent'],
        accept: 'application/json',
      },
      signal,
    }),
  );
  return { windows: usageWindows(answer) };
}

/**
 * Every member that is a window (`five_hour`, `seven_day`, `seven_day_opus`, and whatever
 * Anthropic adds): a `utilization` number beside a `resets_at` field, which is null while
 * the window is unused. `extra_usage` has no reset and is left out; so are null windows.
 */
export function usageWindows(answer: Record<string, unknown>): QuotaWindow[] {
  return Object.entries(answer).flatMap(([name, window]): QuotaWindow[] => {
    if (!isRecord(window) || !('resets_at' in window)) return [];
    const remainingFraction = leftOfPercentUsed(window.utilization);
    if (remainingFraction === undefined) return [];
    return [{ name, remainingFraction, resetsAt: isoTime(window.resets_at) }];
  });
}
