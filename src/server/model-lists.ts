/**
 * The model lists the daemon reads from upstreams. Fetches run in the background, never on
 * a request's path: until a provider's list has been read once (in this process or, through
 * models-cache.json, in an earlier one) it offers its built-in catalogue, and a failed fetch
 * keeps whatever it had.
 */
import type { Logger } from '../logging/logger.ts';
import type { UpstreamFetch } from '../providers/http.ts';
import { type FetchedModelList, type FetchedModels, readModelCache, writeModelCache } from '../providers/model-cache.ts';
import type { Provider } from '../providers/provider.ts';
import type { MemberCredential } from '../providers/upstream.ts';

export interface ModelRefreshTiming {
  /** From start to the first fetches: start-up and the first requests go first. */
  firstDelayMs: number;
  /** How old a list gets before it is fetched again. */
  intervalMs: number;
  /** How soon a failed fetch (or one with no usable credential) is tried again. */
  retryMs: number;
}

export const DEFAULT_MODEL_REFRESH: ModelRefreshTiming = { firstDelayMs: 5_000, intervalMs: 6 * 3600_000, retryMs: 15 * 60_000 };

export interface ModelListsOptions {
  cacheFile: string;
  logger: Logger;
  /** The providers in force, with their pools. */
  providers: () => readonly Provider[];
  fetch: () => UpstreamFetch;
  /** After a list changed: puts the lists in force (a new router). */
  changed: () => Promise<void>;
}

export class ModelLists {
  private lists = new Map<string, FetchedModelList>();
  /** When each provider's list may be fetched next, by provider and base URL; absent: at the next pass. */
  private readonly due = new Map<string, number>();
  private timing: ModelRefreshTiming | undefined;
  /** No fetch before this time (the start delay). */
  private notBefore = 0;
  private timer: { at: number; handle: NodeJS.Timeout } | undefined;
  private running = false;
  private passAgain = false;

  constructor(private readonly options: ModelListsOptions) {}

  /** What has been fetched (or read from the cache) so far, by provider id. */
  get fetched(): FetchedModels {
    return this.lists;
  }

  /** Reads the lists an earlier daemon fetched. A cache that cannot be read is ignored: the lists are fetched again. */
  async loadCache(): Promise<void> {
    try {
      this.lists = await readModelCache(this.options.cacheFile);
    } catch (error) {
      this.options.logger.warn('model cache ignored', { error: messageOf(error) });
    }
  }

  /** Fetches every list after `firstDelayMs`, then each one again when it is due. */
  start(timing: Partial<ModelRefreshTiming> = {}): void {
    this.timing = { ...DEFAULT_MODEL_REFRESH, ...timing };
    this.notBefore = Date.now() + this.timing.firstDelayMs;
    this.wake(this.notBefore);
  }

  /** A fetch in progress ends on its own; nothing is scheduled after it. */
  stop(): void {
    this.timing = undefined;
    if (this.timer) clearTimeout(this.timer.handle);
    this.timer = undefined;
  }

  /** After a reload: a provider that appeared (a login, a new base URL) gets its list at the next pass, which this brings forward. */
  providersChanged(): void {
    if (this.timing) this.wake(Date.now());
  }

  private wake(at: number): void {
    if (!this.timing) return;
    const when = Math.max(at, this.notBefore);
    if (this.timer && this.timer.at <= when) return;
    if (this.timer) clearTimeout(this.timer.handle);
    const handle = setTimeout(() => {
      this.timer = undefined;
      void this.pass();
    }, when - Date.now());
    // The daemon's server keeps the process alive, not this.
    handle.unref();
    this.timer = { at: when, handle };
  }

  /** Fetches the lists that are due, then puts the changed ones in force and in the cache. Never throws. */
  private async pass(): Promise<void> {
    if (this.running) {
      this.passAgain = true;
      return;
    }
    this.running = true;
    try {
      const now = Date.now();
      const due = this.options.providers().filter((provider) => provider.fetchModels && (this.due.get(dueKey(provider)) ?? 0) <= now);
      const changed = (await Promise.all(due.map((provider) => this.fetchList(provider)))).some(Boolean);
      if (changed) await this.putInForce();
    } finally {
      this.running = false;
    }
    if (this.passAgain) {
      this.passAgain = false;
      this.wake(Date.now());
    } else this.scheduleNext();
  }

  private scheduleNext(): void {
    const times = this.options.providers().flatMap((provider) => (provider.fetchModels ? [this.due.get(dueKey(provider)) ?? Date.now()] : []));
    if (times.length > 0) this.wake(Math.min(...times));
  }

  /** Whether the provider's list changed. */
  private async fetchList(provider: Provider): Promise<boolean> {
    const { intervalMs, retryMs } = this.timing ?? DEFAULT_MODEL_REFRESH;
    const key = dueKey(provider);
    this.due.set(key, Date.now() + retryMs);
    const credential = await firstCredential(provider);
    if (credential === null) return false;
    let models: string[];
    try {
      models = [...new Set(await provider.fetchModels!(credential, this.options.fetch()))];
      if (models.length === 0) throw new Error('the upstream listed no models');
    } catch (error) {
      // The message names the status or the network error, never the credential.
      this.options.logger.warn('model list not fetched; keeping the previous one', { provider: provider.id, error: messageOf(error) });
      return false;
    }
    this.due.set(key, Date.now() + intervalMs);
    const previous = this.lists.get(provider.id);
    if (previous?.baseUrl === provider.baseUrl && sameList(previous.models, models)) return false;
    this.lists.set(provider.id, { baseUrl: provider.baseUrl, models });
    this.options.logger.info('model list fetched', { provider: provider.id, models: models.length });
    return true;
  }

  private async putInForce(): Promise<void> {
    await writeModelCache(this.options.cacheFile, this.lists).catch((error: unknown) =>
      this.options.logger.warn('model cache not written', { error: messageOf(error) }),
    );
    await this.options.changed().catch((error: unknown) => this.options.logger.warn('model lists not applied', { error: messageOf(error) }));
  }
}

function dueKey(provider: Provider): string {
  return `${provider.id} ${provider.baseUrl}`;
}

/**
 * What to list the models with: the first active member of the provider's pool that has a
 * credential to give (an OAuth account's token comes refreshed from the TokenManager);
 * undefined for an upstream that takes no key, null when no member can give one.
 */
async function firstCredential(provider: Provider): Promise<MemberCredential | undefined | null> {
  if (!provider.pool) return undefined;
  for (const member of provider.pool.status()) {
    if (member.state !== 'active') continue;
    // A member whose token cannot be had (needs a login, store unreadable): the next one.
    const credential = await provider.pool.credential(member.id).catch(() => undefined);
    if (credential) return credential;
  }
  return null;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((model, index) => model === b[index]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
