import { isRecord } from '../../core/json.ts';
import { fractionOf, isoTime } from '../quota.ts';
import type { QuotaWindow } from '../subscription.ts';

/**
 * The quota `:fetchAvailableModels` reports per model (docs/providers.md §4 "Model list and
 * quota"): `models.<id>.quotaInfo {remainingFraction, resetTime}`. The answer is proto3
 * JSON, which leaves a zero out, so a quotaInfo without remainingFraction is a used-up one.
 * Models without quotaInfo have nothing to report.
 */
export function modelQuotaWindows(models: Record<string, unknown>): QuotaWindow[] {
  return Object.entries(models).flatMap(([name, model]): QuotaWindow[] => {
    const quota = isRecord(model) ? model.quotaInfo : undefined;
    if (!isRecord(quota)) return [];
    return [{ name, remainingFraction: fractionOf(quota.remainingFraction ?? 0, 1), resetsAt: isoTime(quota.resetTime) }];
  });
}
