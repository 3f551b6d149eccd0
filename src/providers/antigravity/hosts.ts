import type { UpstreamFetch } from '../http.ts';

/**
 * POSTs to each Cloud Code host in turn until one answers: a network error, 404 or 5xx
 * moves on to the next host (the hosts' rollouts differ), and the last host's answer is
 * returned whatever it is. Throws the last network error when no host answered, or at
 * once when the caller aborted.
 */
export async function postWithHostFallback(fetch: UpstreamFetch, hosts: readonly string[], path: string, init: RequestInit): Promise<Response> {
  let failure: unknown = new Error('no Antigravity host is configured');
  for (const [index, host] of hosts.entries()) {
    const last = index === hosts.length - 1;
    try {
      const response = await fetch(`${host}${path}`, { ...init, method: 'POST' });
      if (last || !isHostProblem(response.status)) return response;
      await response.body?.cancel();
    } catch (error) {
      if (init.signal?.aborted) throw error;
      failure = error;
    }
  }
  throw failure;
}

/** Answers that say "not this host" rather than "not this request". */
function isHostProblem(status: number): boolean {
  return status === 404 || status >= 500;
}
