import { upstreamTarget, type UpstreamTarget } from '../endpoints.ts';
import type { SubscriptionSettings } from '../subscription.ts';
import { postAdapter, type UpstreamAdapter, type UpstreamCall } from '../upstream.ts';

type ClaudeSettings = SubscriptionSettings<'claude'>;

/**
 * The Messages endpoint as Claude Code calls it: `?beta=true`, the OAuth token as a bearer
 * (no x-api-key), and the beta flags and client headers that get the token accepted.
 */
function claudeTarget(settings: ClaudeSettings, call: UpstreamCall): UpstreamTarget {
  if (!call.credential) throw new Error('a Claude subscription request needs an account token');
  const { identity } = settings;
  const target = upstreamTarget('anthropic', settings.endpoints.api, call.model, call.stream);
  return {
    url: `${target.url}?beta=true`,
    headers: {
      ...target.headers,
      authorization: `Bearer ${call.credential.secret}`,
      'anthropic-version': identity['anthropic-version'],
      'anthropic-beta': identity['anthropic-beta'],
      'user-agent': identity['user-agent'],
      'x-app': identity['x-app'],
    },
  };
}

/**
 * The body with `prompt` as its first system block, which Anthropic requires of requests
 * made with a Claude Code token. The caller's own system prompt follows it. A body that
 * already starts with it is returned as it came.
 */
function withIdentitySystem(body: string, prompt: string): string {
  const request: unknown = JSON.parse(body);
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return body;
  const system = systemWithIdentity((request as { system?: unknown }).system, prompt);
  return system ? JSON.stringify({ ...request, system }) : body;
}

/** `system` as blocks led by the identity, or undefined when it already is (or is no shape Anthropic takes). */
function systemWithIdentity(system: unknown, prompt: string): unknown[] | undefined {
  const identity = { type: 'text', text: prompt };
  if (system === undefined || system === null || system === '') return [identity];
  if (typeof system === 'string') return system === prompt ? undefined : [identity, { type: 'text', text: system }];
  if (Array.isArray(system)) return startsWithText(system, prompt) ? undefined : [identity, ...system];
  return undefined;
}

function startsWithText(blocks: unknown[], text: string): boolean {
  const first = blocks[0] as { type?: unknown; text?: unknown } | null | undefined;
  return first?.type === 'text' && first.text === text;
}

export function claudeAdapter(settings: ClaudeSettings): UpstreamAdapter {
  const post = postAdapter((call) => claudeTarget(settings, call));
  const prompt = settings.identity['system-prompt'];
  return {
    // async: a missing token rejects like a failed fetch instead of throwing synchronously.
    async send(call) {
      return post.send({ ...call, body: withIdentitySystem(call.body, prompt) });
    },
  };
}
