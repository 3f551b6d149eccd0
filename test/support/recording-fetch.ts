import type { UpstreamFetch, UpstreamInit } from '../../src/providers/http.ts';

/**
 * An UpstreamFetch that records what it is asked and answers `answer` (200) every time:
 * for code that hands requests on to a fetch, where the fetch itself is not the subject.
 */
export function recordingFetch(answer: string): { fetch: UpstreamFetch; calls: Array<{ url: string; init: UpstreamInit }> } {
  const calls: Array<{ url: string; init: UpstreamInit }> = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      return new Response(answer, { status: 200 });
    },
  };
}
