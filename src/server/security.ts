import { matchesAnyHash } from '../config/management-key.ts';
import { ProxyError } from '../core/errors.ts';
import { isLoopbackHost } from '../core/hosts.ts';

/**
 * Why a request may not go on, checked before any route runs: a ProxyError to answer
 * with, or undefined when it may. Plain functions of the Web Request, so the direct POST
 * dispatch and the Hono app share them (see app.ts).
 */
export type RequestCheck = (request: Request) => ProxyError | undefined;

/**
 * Keeps browsers on other origins from driving the proxy. A page can send "simple"
 * cross-origin POSTs without a preflight, so any request that carries a foreign Origin
 * (or says it is cross-site) is refused; and while bound to loopback, a Host header that
 * is not loopback means DNS rebinding and is refused too.
 */
export function browserCheck(options: { loopbackOnly: () => boolean }): RequestCheck {
  // Clients send the same Host on every request: the last loopback one seen is remembered
  // (only a loopback one, so the cache can never let another host through).
  let loopbackHost: string | undefined;
  return (request) => {
    const headers = request.headers;
    const host = headers.get('host') ?? '';
    if (host !== loopbackHost && options.loopbackOnly()) {
      if (!isLoopbackHost(host.replace(/:\d+$/, ''))) {
        return new ProxyError('permission', `Host "${host}" is not allowed.`, { code: 'forbidden_host' });
      }
      loopbackHost = host;
    }
    const origin = headers.get('origin');
    const fetchSite = headers.get('sec-fetch-site');
    const foreignOrigin = origin !== null && origin !== `http://${host}`;
    if (foreignOrigin || fetchSite === 'cross-site' || fetchSite === 'same-site') {
      return new ProxyError('permission', 'Requests from web pages on other origins are not allowed.', { code: 'forbidden_origin' });
    }
    return undefined;
  };
}

/** The client key a request presents, in any of the headers the SDKs use (or Gemini's `?key=`). */
export function presentedClientKey(request: Request): string | undefined {
  const headers = request.headers;
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    if (match) return match[1]!.trim();
  }
  return headers.get('x-api-key') ?? headers.get('x-goog-api-key') ?? new URL(request.url).searchParams.get('key') ?? undefined;
}

export function clientKeyCheck(options: { required: () => boolean; keyHashes: () => readonly Buffer[] }): RequestCheck {
  return (request) => {
    if (!options.required()) return undefined;
    const key = presentedClientKey(request);
    if (key && matchesAnyHash(key, options.keyHashes())) return undefined;
    return new ProxyError('authentication', key ? 'Invalid API key.' : 'Missing API key: send Authorization: Bearer <key>.', {
      code: 'invalid_api_key',
    });
  };
}
