import type { Protocol } from '../core/protocol.ts';

export interface UpstreamTarget {
  url: string;
  headers: Record<string, string>;
}

/** Anthropic requires a version header on every request. */
const ANTHROPIC_VERSION = '2023-06-01';

function baseHeaders(stream: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream, application/x-ndjson, application/json' : 'application/json',
  };
}

/**
 * Where a request in `protocol` goes below an upstream's base URL, and how the API key
 * is presented. Gemini puts the model and the streaming mode in the URL.
 */
export function upstreamTarget(protocol: Protocol, baseUrl: string, model: string, stream: boolean, key?: string): UpstreamTarget {
  const headers = baseHeaders(stream);
  switch (protocol) {
    case 'openai-chat':
    case 'openai-responses':
      if (key) headers.authorization = `Bearer ${key}`;
      return { url: `${baseUrl}/${protocol === 'openai-chat' ? 'chat/completions' : 'responses'}`, headers };
    case 'anthropic':
      if (key) headers['x-api-key'] = key;
      headers['anthropic-version'] = ANTHROPIC_VERSION;
      return { url: `${baseUrl}/messages`, headers };
    case 'gemini':
      if (key) headers['x-goog-api-key'] = key;
      return {
        url: `${baseUrl}/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
        headers,
      };
    case 'ollama':
      if (key) headers.authorization = `Bearer ${key}`;
      return { url: `${baseUrl}/api/chat`, headers };
  }
}

/** The token-count endpoint of protocols that have one (Anthropic, Gemini); others are estimated locally. */
export function countTokensTarget(protocol: Protocol, baseUrl: string, model: string, key?: string): UpstreamTarget | undefined {
  if (protocol === 'anthropic') {
    const { headers } = upstreamTarget(protocol, baseUrl, model, false, key);
    return { url: `${baseUrl}/messages/count_tokens`, headers };
  }
  if (protocol === 'gemini') {
    const { headers } = upstreamTarget(protocol, baseUrl, model, false, key);
    return { url: `${baseUrl}/models/${encodeURIComponent(model)}:countTokens`, headers };
  }
  return undefined;
}

/**
 * A request that tells whether an API key works without spending tokens (docs/providers.md
 * §7): the model list, under the protocol's own auth header. OpenRouter lists models for
 * anyone, so its key is checked at `/key` instead.
 */
export function keyCheckTarget(providerId: string, protocol: Protocol, baseUrl: string, key: string): UpstreamTarget {
  if (providerId === 'openrouter') return { url: `${baseUrl}/key`, headers: { accept: 'application/json', authorization: `Bearer ${key}` } };
  return modelListTarget(protocol, baseUrl, key);
}

/** The model list of an upstream speaking `protocol`, under the protocol's own auth header when there is a key. */
export function modelListTarget(protocol: Protocol, baseUrl: string, key?: string): UpstreamTarget {
  const headers: Record<string, string> = { accept: 'application/json' };
  switch (protocol) {
    case 'anthropic':
      if (key) headers['x-api-key'] = key;
      headers['anthropic-version'] = ANTHROPIC_VERSION;
      return { url: `${baseUrl}/models`, headers };
    case 'gemini':
      if (key) headers['x-goog-api-key'] = key;
      return { url: `${baseUrl}/models`, headers };
    case 'ollama':
      if (key) headers.authorization = `Bearer ${key}`;
      return { url: `${baseUrl}/api/tags`, headers };
    case 'openai-chat':
    case 'openai-responses':
      if (key) headers.authorization = `Bearer ${key}`;
      return { url: `${baseUrl}/models`, headers };
  }
}
