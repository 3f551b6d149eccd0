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
  const targets = new TargetMemo((model, stream, key) => upstreamTarget(protocol, baseUrl, model, stream, key));
  return postAdapter((call) => targets.get(call.model, call.stream, call.credential?.secret ?? ''));
}

/** Models remembered per key, and keys, before the memo starts over: clients may name any model an upstream serves, and keys change. */
const MAX_MEMO_MODELS = 256;
const MAX_MEMO_KEYS = 64;

/**
 * An API-key upstream's targets, built once per key, model and mode, and frozen: the same
 * URL and header objects on every request, which the loopback client writes from a cache
 * (loopback-http.ts) rather than header by header.
 */
class TargetMemo {
  /** By key, then by model: the whole-answer target, then the streaming one. */
  private readonly byKey = new Map<string, Map<string, [UpstreamTarget?, UpstreamTarget?]>>();

  constructor(private readonly build: (model: string, stream: boolean, key: string) => UpstreamTarget) {}

  get(model: string, stream: boolean, key: string): UpstreamTarget {
    let byModel = this.byKey.get(key);
    if (!byModel) {
      if (this.byKey.size >= MAX_MEMO_KEYS) this.byKey.clear();
      this.byKey.set(key, (byModel = new Map()));
    }
    let modes = byModel.get(model);
    if (!modes) {
      if (byModel.size >= MAX_MEMO_MODELS) byModel.clear();
      byModel.set(model, (modes = [undefined, undefined]));
    }
    const mode = stream ? 1 : 0;
    return (modes[mode] ??= frozenTarget(this.build(model, stream, key)));
  }
}

function frozenTarget(target: UpstreamTarget): UpstreamTarget {
  return Object.freeze({ url: target.url, headers: Object.freeze(target.headers) });
}

/** The token-count endpoint of an API-key provider whose protocol has one (Anthropic, Gemini). */
export function apiKeyCountAdapter(protocol: Protocol, baseUrl: string): UpstreamAdapter | undefined {
  if (!countTokensTarget(protocol, baseUrl, '')) return undefined;
  return postAdapter((call) => countTokensTarget(protocol, baseUrl, call.model, call.credential?.secret)!);
}
