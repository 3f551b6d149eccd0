import { isRecord } from '../core/json.ts';
import { createLoopbackFetch } from './loopback-http.ts';

/** How llm-mux calls upstreams: the runtime's fetch, through `proxy-url` when set. */
export type UpstreamFetch = (url: string, init: UpstreamInit) => Promise<Response>;

export interface UpstreamInit extends RequestInit {
  /** The caller reads the answer whole (no stream): an upstream on this machine is then called directly. */
  wholeAnswer?: boolean;
}

declare const Bun: unknown;

/** Why a fetch failed, for a message: `timed out`, the socket's error code (ECONNREFUSED…), else the error's message. */
export function fetchFailureReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = error instanceof Error && isRecord(error.cause) ? error.cause : undefined;
  return typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
}

/** The runtime's fetch, with whole answers from upstreams on this machine fetched directly unless `proxy-url` takes everything. */
export async function createUpstreamFetch(proxyUrl: string): Promise<UpstreamFetch> {
  const runtimeFetch = await createRuntimeFetch(proxyUrl);
  return proxyUrl ? runtimeFetch : createLoopbackFetch(runtimeFetch);
}

async function createRuntimeFetch(proxyUrl: string): Promise<UpstreamFetch> {
  if (typeof Bun !== 'undefined') {
    // Bun's fetch takes the proxy as an option and keeps connections alive by itself.
    const options = proxyUrl ? { proxy: proxyUrl } : {};
    return (url, init) => fetch(url, { ...init, ...options });
  }
  // Under Node, undici's own fetch and dispatcher: the global fetch cannot take a
  // dispatcher from another undici copy.
  const undici = await import('undici');
  const dispatcher = proxyUrl
    ? new undici.ProxyAgent({ uri: proxyUrl, keepAliveTimeout: 30_000 })
    : new undici.Agent({ keepAliveTimeout: 30_000 });
  return (url, init) =>
    undici.fetch(url, { ...(init as Parameters<typeof undici.fetch>[1]), dispatcher }) as unknown as Promise<Response>;
}
