import type { Protocol } from '../core/protocol.ts';

export type BuiltinProviderId = 'openai' | 'anthropic' | 'gemini' | 'openrouter' | 'ollama';

export interface ProviderDefinition {
  label: string;
  defaultBaseUrl: string;
  /** The protocol of the endpoint we call, and its path below the base URL. */
  protocol: Protocol;
  chatPath: string;
  /** Models offered when config lists none (these upstreams' own lists need a key to read). */
  models: readonly string[];
  /** Model-name prefixes that belong to this provider, for "which login is missing" hints. */
  families: readonly RegExp[];
  loginCommand: string;
}

/**
 * Built-in API-key providers. Until their native codecs land, Anthropic, Gemini and Ollama
 * are reached through the OpenAI-compatible endpoints each of them offers.
 */
export const BUILTIN_PROVIDERS: Record<BuiltinProviderId, ProviderDefinition> = {
  openai: {
    label: 'OpenAI',
    defaultBaseUrl: 'https://api.openai.com/v1',
    protocol: 'openai-chat',
    chatPath: '/chat/completions',
    models: ['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini', 'o3', 'o4-mini'],
    families: [/^gpt-/, /^o\d/, /^chatgpt-/],
    loginCommand: 'llm-mux login openai',
  },
  anthropic: {
    label: 'Anthropic',
    defaultBaseUrl: 'https://api.anthropic.com/v1',
    protocol: 'openai-chat',
    chatPath: '/chat/completions',
    models: ['claude-opus-4-1', 'claude-opus-4-0', 'claude-sonnet-4-5', 'claude-sonnet-4-0', 'claude-haiku-4-5', 'claude-3-5-haiku-latest'],
    families: [/^claude-/],
    loginCommand: 'llm-mux login claude',
  },
  gemini: {
    label: 'Google Gemini',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    protocol: 'openai-chat',
    chatPath: '/openai/chat/completions',
    models: ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-3-pro-preview'],
    families: [/^gemini-/],
    loginCommand: 'llm-mux login gemini',
  },
  openrouter: {
    label: 'OpenRouter',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    protocol: 'openai-chat',
    chatPath: '/chat/completions',
    models: ['openrouter/auto'],
    families: [],
    loginCommand: 'llm-mux login openrouter',
  },
  ollama: {
    label: 'Ollama',
    defaultBaseUrl: 'http://127.0.0.1:11434',
    protocol: 'openai-chat',
    chatPath: '/v1/chat/completions',
    models: [],
    families: [],
    loginCommand: 'add providers.ollama to config.yaml',
  },
};
