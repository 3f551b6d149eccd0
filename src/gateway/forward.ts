import { ProxyError } from '../core/errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { UpstreamFetch } from '../providers/http.ts';
import type { Route } from './router.ts';

export interface ForwardOptions {
  fetch: UpstreamFetch;
  logger: Logger;
  /** Extra attempts after the first, rotating keys and then providers. */
  retries: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export interface Forwarded {
  response: Response;
  route: Route;
}

/** Upstream answers worth another attempt with another key or provider. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** The HTTP request for one attempt on one route, built with that attempt's API key. */
export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends a request to the first route that answers, before any byte goes to the client.
 * `prepare` gets the route and the key to use, so each provider receives its own model
 * name, URL and auth. The last upstream answer is returned as-is, error or not, for the
 * caller to render.
 */
export async function forward(
  routes: readonly Route[],
  prepare: (route: Route, key: string | undefined) => PreparedRequest | Promise<PreparedRequest>,
  options: ForwardOptions,
): Promise<Forwarded> {
  const attempts = options.retries + 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const route = routes[attempt % routes.length]!;
    const request = await prepare(route, route.provider.keys.next());
    const started = performance.now();
    try {
      const response = await options.fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: options.signal,
      });
      const retryable = RETRYABLE_STATUS.has(response.status) && attempt + 1 < attempts;
      options.logger.debugLog('upstream answered', {
        provider: route.provider.id,
        status: response.status,
        ms: Math.round(performance.now() - started),
        retry: retryable,
      });
      if (!retryable) return { response, route };
      await response.body?.cancel().catch(() => undefined);
    } catch (error) {
      if (options.signal.aborted) throw error;
      lastError = error;
      options.logger.warn('upstream unreachable', { provider: route.provider.id, error: (error as Error).message });
    }
  }
  throw new ProxyError('upstream', `Could not reach the upstream: ${describe(lastError)}`, { code: 'upstream_unreachable' });
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? 'unknown error';
}
