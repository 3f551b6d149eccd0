import { modelFamily } from '../accounts/cooldown.ts';
import { loginCommand } from '../accounts/login-hint.ts';
import type { ProviderPool } from '../accounts/provider-pool.ts';
import { resetTime } from '../accounts/reset-time.ts';
import { AccountTokenError } from '../accounts/tokens.ts';
import { ProxyError } from '../core/errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { UpstreamFetch } from '../providers/http.ts';
import type { Route } from './router.ts';

export interface ForwardOptions {
  fetch: UpstreamFetch;
  logger: Logger;
  /** Extra attempts after a connection error, timeout or 5xx, on the next account and provider. */
  retries: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Whether the client asked for a stream (adapters of always-streaming upstreams need to know). */
  stream: boolean;
  /** Which of the provider's endpoints: generation (default) or token counting. */
  endpoint?: 'generate' | 'count';
  /** The conversation's key for session affinity (affinityKey() of the client body); asked only by pools that use affinity. */
  affinityKey?: () => string | undefined;
}

export interface Forwarded {
  response: Response;
  route: Route;
  /** The pool member (account or config key) that sent it. */
  accountId?: string;
}

/** Upstream answers worth another attempt (request-retry); 429 only where no pool can rotate past it. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Answers that mean "this account, not this request": rate limited (429) or out of
 * credit (402, OpenRouter and Anthropic billing). The account rests for the model family
 * and the request moves on to the next one.
 */
function accountExhausted(status: number): boolean {
  return status === 429 || status === 402;
}

/** One attempt: a route and, when its provider has a pool, the member to send with. */
interface Attempt {
  route: Route;
  pool?: ProviderPool;
  accountId?: string;
  family: string;
}

/** Why no route could take an attempt: the earliest reset when some pool is only resting. */
interface Blocked {
  retryAfterSeconds?: number;
  unusable: Route[];
}

/**
 * Sends a request to the first route that answers, before any byte goes to the client.
 * Each attempt picks an account from the route's pool (for the model family and the
 * conversation) and hands the provider's adapter that account's credential, the body
 * `bodyFor` builds for the route (each provider gets its own model name) and the client's
 * signal.
 * - 429 / 402: the account rests until the upstream's reset time (else a backoff) and the
 *   request moves on to the next account, then to the next route; this costs no retry.
 *   Once every account rests, the client gets a 429 whose Retry-After is the earliest reset.
 * - 401 from an OAuth account: its token is refreshed once and the attempt repeated.
 * - an account without a usable token, a connection error, an answer the adapter refused
 *   (stream cut before its first event), a timeout or 5xx: retried `retries` times on the
 *   next account or route (a token problem costs no retry).
 * The last upstream answer is returned as-is, error or not, for the caller to render.
 */
export async function forward(routes: readonly Route[], bodyFor: (route: Route) => string | Promise<string>, options: ForwardOptions): Promise<Forwarded> {
  let retriesLeft = options.retries;
  let first = 0;
  const tried = new Exclusions();
  let lastExhausted: Forwarded | undefined;
  let lastError: unknown;

  for (;;) {
    const attempt = choose(routes, first, tried, options);
    if ('unusable' in attempt) return settle(attempt, lastExhausted, lastError);
    const { route, pool, accountId, family } = attempt;
    const adapter = options.endpoint === 'count' ? route.provider.countUpstream! : route.provider.upstream;
    // Outside the try: a body that cannot be built (a bad image, a request the upstream's
    // protocol cannot express) is the client's error, not an upstream to retry.
    const body = await bodyFor(route);
    const started = performance.now();
    let response: Response;
    try {
      const credential = accountId === undefined ? undefined : await pool!.credential(accountId);
      const call = { model: route.upstreamModel, stream: options.stream, body, credential, fetch: options.fetch, signal: options.signal };
      response = await adapter.send(call);
      if (response.status === 401 && credential && accountId !== undefined && pool!.refreshable(accountId)) {
        await response.body?.cancel().catch(() => undefined);
        options.logger.info('upstream refused the token; refreshing it', { provider: route.provider.id, account: accountId });
        response = await adapter.send({ ...call, credential: await pool!.refreshedCredential(accountId, credential) });
      }
    } catch (error) {
      if (options.signal.aborted) throw error;
      lastError = error;
      if (error instanceof AccountTokenError) {
        tried.exclude(pool!, accountId!);
        options.logger.warn('account has no usable token', { provider: route.provider.id, account: accountId, error: error.message });
        continue;
      }
      options.logger.warn('upstream unreachable', { provider: route.provider.id, account: accountId, error: (error as Error).message });
      if (retriesLeft-- <= 0) throw unreachable(lastError);
      if (pool) tried.avoid(pool, accountId!);
      else first++;
      continue;
    }

    if (pool && accountId !== undefined && accountExhausted(response.status)) {
      lastExhausted = { response: await rested(response, { route, pool, accountId, family }, options.logger), route, accountId };
      tried.exclude(pool, accountId);
      continue;
    }
    const retry = RETRYABLE_STATUS.has(response.status) && retriesLeft > 0;
    // Its fields are built only when debug lines are kept: this runs on every request.
    if (options.logger.isEnabled('debug')) {
      options.logger.debugLog('upstream answered', {
        provider: route.provider.id,
        account: accountId,
        status: response.status,
        ms: Math.round(performance.now() - started),
        retry,
      });
    }
    if (!retry) {
      if (response.ok && accountId !== undefined) pool!.succeeded(accountId, family);
      return { response, route, accountId };
    }
    retriesLeft--;
    first++;
    await response.body?.cancel().catch(() => undefined);
  }
}

/** The first route, from `first` on, whose pool has an account ready (or that needs none). */
function choose(routes: readonly Route[], first: number, tried: Exclusions, options: ForwardOptions): Attempt | Blocked {
  const blocked: Blocked = { unusable: [] };
  for (let step = 0; step < routes.length; step++) {
    const route = routes[(first + step) % routes.length]!;
    const family = modelFamily(route.upstreamModel);
    const pool = route.provider.pool;
    if (!pool) return { route, family };
    const affinityKey = pool.usesAffinity ? options.affinityKey?.() : undefined;
    let picked = pool.pick({ modelFamily: family, affinityKey, exclude: tried.all(pool) });
    // A member that only failed to connect may be tried again when it is the last one left.
    if (picked.kind === 'all-tried' && tried.hasAvoided(pool)) picked = pool.pick({ modelFamily: family, affinityKey, exclude: tried.excluded(pool) });
    if (picked.kind === 'account') return { route, pool, accountId: picked.accountId, family };
    if (picked.kind === 'all-cooling-down') {
      blocked.retryAfterSeconds = Math.min(blocked.retryAfterSeconds ?? Infinity, picked.retryAfterSeconds);
    } else if (picked.kind === 'no-usable-account') blocked.unusable.push(route);
  }
  return blocked;
}

/**
 * The pool members one request should not ask again. Its maps are made on first use: most
 * requests are answered by their first attempt.
 */
class Exclusions {
  /** Rate-limited, out of credit or without a token: never again for this request. */
  private hard: Map<ProviderPool, Set<string>> | undefined;
  /** Unreachable or cut off: others first, but still worth a retry when no other is left. */
  private soft: Map<ProviderPool, Set<string>> | undefined;

  exclude(pool: ProviderPool, memberId: string): void {
    add((this.hard ??= new Map()), pool, memberId);
  }

  avoid(pool: ProviderPool, memberId: string): void {
    add((this.soft ??= new Map()), pool, memberId);
  }

  excluded(pool: ProviderPool): ReadonlySet<string> | undefined {
    return this.hard?.get(pool);
  }

  hasAvoided(pool: ProviderPool): boolean {
    return (this.soft?.get(pool)?.size ?? 0) > 0;
  }

  /** Undefined when there are none. */
  all(pool: ProviderPool): string[] | undefined {
    const hard = this.hard?.get(pool);
    const soft = this.soft?.get(pool);
    if (!hard && !soft) return undefined;
    return [...(hard ?? []), ...(soft ?? [])];
  }
}

function add(sets: Map<ProviderPool, Set<string>>, pool: ProviderPool, memberId: string): void {
  let members = sets.get(pool);
  if (!members) sets.set(pool, (members = new Set()));
  members.add(memberId);
}

/**
 * No route can take another attempt. Every account resting → 429 with the earliest reset:
 * the last upstream 429 when this request got one (its message says which limit), else
 * our own. Nothing usable at all → 503 naming the login that fixes it.
 */
function settle(blocked: Blocked, lastExhausted: Forwarded | undefined, lastError: unknown): Forwarded {
  const seconds = blocked.retryAfterSeconds;
  if (lastExhausted) {
    if (seconds !== undefined) lastExhausted.response.headers.set('retry-after', String(seconds));
    return lastExhausted;
  }
  if (seconds !== undefined) {
    throw new ProxyError('rate_limit', `Every account that serves this model is rate-limited; retry in ${seconds} s.`, {
      code: 'rate_limited',
      headers: { 'retry-after': String(seconds) },
    });
  }
  const route = blocked.unusable[0];
  // Every account was tried and the last had no usable token: its own 503 names the login that fixes it.
  if (!route) throw lastError instanceof AccountTokenError ? lastError : unreachable(lastError);
  const summary = route.provider.pool?.unusableSummary();
  throw new ProxyError(
    'unavailable',
    `No usable ${route.provider.label} account${summary ? ` (${summary})` : ''}. Run \`${loginCommand(route.provider.id)}\`, or enable one with PUT /v0/management/accounts/<id>.`,
    { code: 'no_usable_account' },
  );
}

/**
 * Puts the account to rest for the family until the upstream's reset time and returns the
 * answer with its body read (the reset time may be in it) for a possible final reply.
 */
async function rested(response: Response, attempt: Required<Attempt>, logger: Logger): Promise<Response> {
  const { route, pool, accountId, family } = attempt;
  const body = await response.text();
  const until = pool.rateLimited(accountId, family, resetTime({ headers: response.headers, body }, Date.now()));
  logger.info('account resting', { provider: route.provider.id, account: accountId, family, status: response.status, until: new Date(until).toISOString() });
  const headers = new Headers({ 'content-type': response.headers.get('content-type') ?? 'application/json' });
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter) headers.set('retry-after', retryAfter);
  return new Response(body, { status: response.status, headers });
}

function unreachable(error: unknown): ProxyError {
  return new ProxyError('upstream', `Could not reach the upstream: ${describe(error)}`, { code: 'upstream_unreachable' });
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? 'unknown error';
}
