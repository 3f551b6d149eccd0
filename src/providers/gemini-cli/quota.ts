import { isRecord } from '../../core/json.ts';
import type { UsableCredentials } from '../../accounts/tokens.ts';
import type { UpstreamFetch } from '../http.ts';
import { fractionOf, isoTime, numberOf, quotaAnswer } from '../quota.ts';
import type { QuotaReport, QuotaWindow, SubscriptionSettings } from '../subscription.ts';

/**
 * `POST <api>/v1internal:retrieveUserQuota` with `{project}` (docs/providers.md §3 "Quota
 * endpoint"), sent with the client's identity headers: `buckets[]` of `{modelId,
 * tokenType, remainingAmount, remainingFraction, resetTime}`.
 */
export async function geminiCliQuota(
  settings: SubscriptionSettings<'gemini-cli'>,
  credentials: UsableCredentials,
  fetch: UpstreamFetch,
  identityHeaders: Record<string, string>,
): Promise<QuotaReport> {
  const project = credentials.extra?.project ?? settings.project;
  const answer = await quotaAnswer('Gemini Code Assist quota endpoint', (signal) =>
    fetch(`${settings.endpoints.api}/v1internal:retrieveUserQuota`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credentials.accessToken}`, 'content-type': 'application/json', accept: 'application/json', ...identityHeaders },
      body: JSON.stringify(project ? { project } : {}),
      signal,
    }),
  );
  return { windows: bucketWindows(answer) };
}

/** One window per bucket, named by its model; a token type other than requests is named too. */
export function bucketWindows(answer: Record<string, unknown>): QuotaWindow[] {
  const buckets = Array.isArray(answer.buckets) ? answer.buckets.filter(isRecord) : [];
  return buckets.flatMap((bucket): QuotaWindow[] => {
    if (typeof bucket.modelId !== 'string' || bucket.modelId === '') return [];
    const tokenType = typeof bucket.tokenType === 'string' && bucket.tokenType !== 'REQUESTS' ? ` ${bucket.tokenType.toLowerCase()}` : '';
    return [
      {
        name: `${bucket.modelId}${tokenType}`,
        remainingFraction: fractionOf(bucket.remainingFraction, 1),
        remaining: numberOf(bucket.remainingAmount),
        resetsAt: isoTime(bucket.resetTime),
      },
    ];
  });
}
