import type { Protocol } from '../core/protocol.ts';

export type BuiltinProviderId = 'openai' | 'anthropic' | 'gemini' | 'openrouter' | 'ollama';

export interface ProviderDefinition {
  label: string;
  defaultBaseUrl: string;
  /** The protocol its API speaks. */
  protocol: Protocol;
  /** Models offered when config lists none (these upstreams' own lists need a key to read). */
  models: readonly string[];
  /** Model-name prefixes that belong to this provider, for "which login is missing" hints. */
  families: readonly RegExp[];
  loginCommand: string;
}

/** Built-in API-key providers, each reached through its native API. */
export const BUILTIN_PROVIDERS: Record<BuiltinProviderId, ProviderDefinition> = {
  openai: {
    label: 'OpenAI',
    defaultBaseUrl: 'https://api.openai.com/v1',
    protocol: 'openai-chat',
    models: ['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini', 'o3', 'o4-mini'],
    families: [/^gpt-/, /^o\d/, /^chatgpt-/],
    loginCommand: 'llm-mux login openai',
  },
  anthropic: {
    label: 'Anthropic',
    defaultBaseUrl: 'https://api.anthropic.com/v1',
    protocol: 'anthropic',
    models: ['claude-opus-4-1', 'claude-opus-4-0', 'claude-sonnet-4-5', 'claude-sonnet-4-0', 'claude-haiku-4-5', 'claude-3-5-haiku-latest'],
    families: [/^claude-/],
    loginCommand: 'llm-mux login claude',
  },
  gemini: {
    label: 'Google Gemini',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    protocol: 'gemini',
    models: ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-3-pro-preview'],
    families: [/^gemini-/],
    loginCommand: 'llm-mux login gemini',
  },
  openrouter: {
    label: 'OpenRouter',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    protocol: 'openai-chat',
    models: ['openrouter/auto'],
    families: [],
    loginCommand: 'llm-mux login openrouter',
  },
  ollama: {
    label: 'Ollama',
    defaultBaseUrl: 'http://127.0.0.1:11434',
    protocol: 'ollama',
    models: [],
    families: [],
    loginCommand: 'add providers.ollama to config.yaml',
  },
};
