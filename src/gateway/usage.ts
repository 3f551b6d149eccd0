import type { TokenUsage } from '../core/usage.ts';

interface Counters {
  requests: number;
  failed: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
}

export interface UsageRecord {
  provider: string;
  model: string;
  ok: boolean;
  usage?: TokenUsage;
}

function emptyCounters(): Counters {
  return { requests: 0, failed: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, reasoning_tokens: 0 };
}

/** Request and token counts since start, in total and per provider and model. */
export class UsageStats {
  private readonly since = new Date();
  private readonly total = emptyCounters();
  private readonly byProvider = new Map<string, Counters>();
  private readonly byModel = new Map<string, Counters>();

  record(entry: UsageRecord): void {
    count(this.total, entry);
    count(bucket(this.byProvider, entry.provider), entry);
    count(bucket(this.byModel, entry.model), entry);
  }

  snapshot() {
    return {
      since: this.since.toISOString(),
      total: { ...this.total },
      providers: Object.fromEntries([...this.byProvider].map(([key, value]) => [key, { ...value }])),
      models: Object.fromEntries([...this.byModel].map(([key, value]) => [key, { ...value }])),
    };
  }
}

function count(counters: Counters, entry: UsageRecord): void {
  counters.requests += 1;
  if (!entry.ok) counters.failed += 1;
  if (entry.usage) {
    counters.input_tokens += entry.usage.input;
    counters.output_tokens += entry.usage.output;
    counters.cached_tokens += entry.usage.cached;
    counters.reasoning_tokens += entry.usage.reasoning;
  }
}

function bucket(map: Map<string, Counters>, key: string): Counters {
  let counters = map.get(key);
  if (!counters) {
    counters = emptyCounters();
    map.set(key, counters);
  }
  return counters;
}
