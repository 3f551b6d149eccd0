import { modelFamily } from '../accounts/cooldown.ts';
import { loginCommand } from '../accounts/login-hint.ts';
import type { ProviderPool } from '../accounts/provider-pool.ts';
import { resetTime } from '../accounts/reset-time.ts';
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

/** The HTTP request for one attempt on one route, built with that attempt's credential. */
export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
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
 * conversation); `prepare` gets the route and that account's credential, so each provider
 * receives its own model name, URL and auth.
 * - 429 / 402: the account rests until the upstream's reset time (else a backoff) and the
 *   request moves on to the next account, then to the next route; this costs no retry.
 *   Once every account rests, the client gets a 429 whose Retry-After is the earliest reset.
 * - connection error, timeout, 5xx: retried `retries` times, moving on to the next route.
 * The last upstream answer is returned as-is, error or not, for the caller to render.
 */
export async function forward(
  routes: readonly Route[],
  prepare: (route: Route, credential: string | undefined) => PreparedRequest | Promise<PreparedRequest>,
  options: ForwardOptions,
): Promise<Forwarded> {
  let retriesLeft = options.retries;
  let first = 0;
  // Members that answered 429 / 402 during this request, per pool: never asked twice.
  const exhausted = new Map<ProviderPool, Set<string>>();
  let lastExhausted: Forwarded | undefined;
  let lastError: unknown;

  for (;;) {
    const attempt = choose(routes, first, exhausted, options);
    if ('unusable' in attempt) return settle(attempt, lastExhausted, lastError);
    const { route, pool, accountId, family } = attempt;
    const request = await prepare(route, accountId === undefined ? undefined : await pool!.credential(accountId));
    const started = performance.now();
    let response: Response;
    try {
      response = await options.fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal: options.signal });
    } catch (error) {
      if (options.signal.aborted) throw error;
      lastError = error;
      options.logger.warn('upstream unreachable', { provider: route.provider.id, account: accountId, error: (error as Error).message });
      if (retriesLeft-- <= 0) throw unreachable(lastError);
      first++;
      continue;
    }

    if (pool && accountId !== undefined && accountExhausted(response.status)) {
      lastExhausted = { response: await rested(response, { route, pool, accountId, family }, options.logger), route, accountId };
      let tried = exhausted.get(pool);
      if (!tried) exhausted.set(pool, (tried = new Set()));
      tried.add(accountId);
      continue;
    }
    const retry = RETRYABLE_STATUS.has(response.status) && retriesLeft > 0;
    options.logger.debugLog('upstream answered', {
      provider: route.provider.id,
      account: accountId,
      status: response.status,
      ms: Math.round(performance.now() - started),
      retry,
    });
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
function choose(routes: readonly Route[], first: number, exhausted: Map<ProviderPool, Set<string>>, options: ForwardOptions): Attempt | Blocked {
  const blocked: Blocked = { unusable: [] };
  for (let step = 0; step < routes.length; step++) {
    const route = routes[(first + step) % routes.length]!;
    const family = modelFamily(route.upstreamModel);
    const pool = route.provider.pool;
    if (!pool) return { route, family };
    const picked = pool.pick({
      modelFamily: family,
      affinityKey: pool.usesAffinity ? options.affinityKey?.() : undefined,
      exclude: exhausted.get(pool),
    });
    if (picked.kind === 'account') return { route, pool, accountId: picked.accountId, family };
    if (picked.kind === 'all-cooling-down') {
      blocked.retryAfterSeconds = Math.min(blocked.retryAfterSeconds ?? Infinity, picked.retryAfterSeconds);
    } else if (picked.kind === 'no-usable-account') blocked.unusable.push(route);
  }
  return blocked;
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
  if (!route) throw unreachable(lastError);
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
