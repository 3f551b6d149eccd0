import { isRecord } from '../../core/json.ts';
import type { UsableCredentials } from '../../accounts/tokens.ts';
import type { UpstreamFetch } from '../http.ts';
import { fractionOf, isoTime, numberOf, QuotaError, quotaAnswer } from '../quota.ts';
import type { QuotaReport, QuotaWindow, SubscriptionSettings } from '../subscription.ts';
import { githubHeaders } from './github.ts';

/**
 * `GET api.github.com/copilot_internal/user` with the GitHub token, the account's refresh
 * token (docs/providers.md §5 "Usage"). Paid plans answer `quota_snapshots`; the free
 * plan's older shape counts down `limited_user_quotas` out of `monthly_quotas`.
 */
export async function copilotQuota(settings: SubscriptionSettings<'copilot'>, credentials: UsableCredentials, fetch: UpstreamFetch): Promise<QuotaReport> {
  const githubToken = credentials.refreshToken;
  if (!githubToken) throw new QuotaError('no GitHub token is stored for this account — run `llm-mux login copilot` again');
  const answer = await quotaAnswer("GitHub's Copilot user endpoint", (signal) =>
    fetch(settings.endpoints.quota, { method: 'GET', headers: githubHeaders(settings, githubToken), signal }),
  );
  const plan = [answer.copilot_plan, answer.access_type_sku].find((value): value is string => typeof value === 'string' && value !== '');
  return { ...(plan ? { plan } : {}), windows: isRecord(answer.quota_snapshots) ? snapshotWindows(answer) : freePlanWindows(answer) };
}

/** `{chat, completions, premium_interactions}`, each `{entitlement, remaining, percent_remaining, unlimited}`. */
function snapshotWindows(answer: Record<string, unknown>): QuotaWindow[] {
  const resetsAt = isoTime(answer.quota_reset_date_utc) ?? isoTime(answer.quota_reset_date);
  return Object.entries(answer.quota_snapshots as Record<string, unknown>).flatMap(([name, snapshot]): QuotaWindow[] => {
    if (!isRecord(snapshot)) return [];
    if (snapshot.unlimited === true) return [{ name, unlimited: true }];
    const remainingFraction = fractionOf(snapshot.percent_remaining, 100);
    if (remainingFraction === undefined) return [];
    return [{ name, remainingFraction, remaining: numberOf(snapshot.remaining), limit: numberOf(snapshot.entitlement), resetsAt }];
  });
}

function freePlanWindows(answer: Record<string, unknown>): QuotaWindow[] {
  const left = isRecord(answer.limited_user_quotas) ? answer.limited_user_quotas : {};
  const monthly = isRecord(answer.monthly_quotas) ? answer.monthly_quotas : {};
  const resetsAt = isoTime(answer.limited_user_reset_date);
  return Object.keys(monthly).flatMap((name): QuotaWindow[] => {
    const limit = numberOf(monthly[name]);
    const remaining = numberOf(left[name]);
    if (limit === undefined || limit <= 0 || remaining === undefined) return [];
    return [{ name, remainingFraction: fractionOf(remaining, limit), remaining, limit, resetsAt }];
  });
}
