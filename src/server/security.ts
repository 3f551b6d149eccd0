import type { MiddlewareHandler } from 'hono';
import { matchesAnyHash } from '../config/management-key.ts';
import { ProxyError } from '../core/errors.ts';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Renders a ProxyError in the protocol of the path that was called. */
export type ErrorRenderer = (error: ProxyError, path: string) => Response;

/**
 * Keeps browsers on other origins from driving the proxy. A page can send "simple"
 * cross-origin POSTs without a preflight, so any request that carries a foreign Origin
 * (or says it is cross-site) is refused; and while bound to loopback, a Host header that
 * is not loopback means DNS rebinding and is refused too.
 */
export function browserGuard(options: { loopbackOnly: () => boolean; render: ErrorRenderer }): MiddlewareHandler {
  // Clients send the same Host on every request: the last loopback one seen is remembered
  // (only a loopback one, so the cache can never let another host through).
  let loopbackHost: string | undefined;
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (host !== loopbackHost && options.loopbackOnly()) {
      if (!isLoopbackHost(host.replace(/:\d+$/, ''))) {
        return options.render(new ProxyError('permission', `Host "${host}" is not allowed.`, { code: 'forbidden_host' }), c.req.path);
      }
      loopbackHost = host;
    }
    const origin = c.req.header('origin');
    const fetchSite = c.req.header('sec-fetch-site');
    const foreignOrigin = origin !== undefined && origin !== `http://${host}`;
    if (foreignOrigin || fetchSite === 'cross-site' || fetchSite === 'same-site') {
      return options.render(
        new ProxyError('permission', 'Requests from web pages on other origins are not allowed.', { code: 'forbidden_origin' }),
        c.req.path,
      );
    }
    await next();
  };
}

/** The client key a request presents, in any of the headers the SDKs use. */
export function presentedClientKey(headers: Headers, url: URL): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    if (match) return match[1]!.trim();
  }
  return headers.get('x-api-key') ?? headers.get('x-goog-api-key') ?? url.searchParams.get('key') ?? undefined;
}

export function clientAuth(options: {
  required: () => boolean;
  keyHashes: () => readonly Buffer[];
  render: ErrorRenderer;
}): MiddlewareHandler {
  return async (c, next) => {
    if (options.required()) {
      const key = presentedClientKey(c.req.raw.headers, new URL(c.req.url));
      if (!key || !matchesAnyHash(key, options.keyHashes())) {
        return options.render(
          new ProxyError('authentication', key ? 'Invalid API key.' : 'Missing API key: send Authorization: Bearer <key>.', {
            code: 'invalid_api_key',
          }),
          c.req.path,
        );
      }
    }
    await next();
  };
}
