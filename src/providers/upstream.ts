import type { Protocol } from '../core/protocol.ts';
import { countTokensTarget, upstreamTarget, type UpstreamTarget } from './endpoints.ts';
import type { UpstreamFetch } from './http.ts';

/** What one attempt authenticates with: an API key, or an account's OAuth access token and what goes with it. */
export interface MemberCredential {
  /** The API key or the access token. */
  secret: string;
  /** Values stored with the token that requests need (project id, ChatGPT account id, API base…). */
  extra: Readonly<Record<string, string>>;
}

/** One attempt at one upstream, as the gateway hands it to the provider's adapter. */
export interface UpstreamCall {
  /** The model name the upstream knows. */
  model: string;
  /** Whether the client asked for a stream. */
  stream: boolean;
  /** The request body in the provider's protocol (before any envelope). */
  body: string;
  /** Absent for upstreams that take no key. */
  credential?: MemberCredential;
  fetch: UpstreamFetch;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/**
 * How requests reach one provider's API. `send` resolves with the answer as a plain
 * response of the provider's protocol (any envelope removed, quirks turned into errors);
 * an HTTP error is returned as a response, for the gateway to rotate or render. It throws
 * (like fetch) when the attempt got nothing usable before any byte could reach the client:
 * the gateway then tries the next account.
 */
export interface UpstreamAdapter {
  send(call: UpstreamCall): Promise<Response>;
}

/** A POST to the URL and headers `target` builds: all most upstreams need. */
export function postAdapter(target: (call: UpstreamCall) => UpstreamTarget): UpstreamAdapter {
  return {
    send(call) {
      const { url, headers } = target(call);
      return call.fetch(url, { method: 'POST', headers, body: call.body, signal: call.signal, wholeAnswer: !call.stream });
    },
  };
}

/** API-key providers and openai-compatible servers: the protocol's own endpoint below the base URL. */
export function apiKeyAdapter(protocol: Protocol, baseUrl: string): UpstreamAdapter {
  return postAdapter((call) => upstreamTarget(protocol, baseUrl, call.model, call.stream, call.credential?.secret));
}

/** The token-count endpoint of an API-key provider whose protocol has one (Anthropic, Gemini). */
export function apiKeyCountAdapter(protocol: Protocol, baseUrl: string): UpstreamAdapter | undefined {
  if (!countTokensTarget(protocol, baseUrl, '')) return undefined;
  return postAdapter((call) => countTokensTarget(protocol, baseUrl, call.model, call.credential?.secret)!);
}
