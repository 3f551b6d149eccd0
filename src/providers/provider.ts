import type { PoolSelection, ProviderPool } from '../accounts/provider-pool.ts';
import type { Config, ModelEntryConfig } from '../config/schema.ts';
import type { Protocol } from '../core/protocol.ts';
import { BUILTIN_PROVIDERS, type BuiltinProviderId } from './definitions.ts';

export interface ProviderModel {
  /** The name clients use. */
  id: string;
  /** The name sent upstream. */
  upstream: string;
}

/** One configured upstream, ready to receive requests. */
export interface Provider {
  /** Name used in logs, `/v1/models` owned_by and as a model prefix (`id/model`). */
  readonly id: string;
  readonly label: string;
  /** The protocol its API speaks. */
  readonly protocol: Protocol;
  /** Base URL without a trailing slash; src/providers/endpoints.ts adds each protocol's path. */
  readonly baseUrl: string;
  readonly models: readonly ProviderModel[];
  /** `api-keys` from config.yaml, in order. */
  readonly apiKeys: readonly string[];
  /** How its keys and accounts share the traffic. */
  readonly selection: PoolSelection;
  /** Its keys and accounts, attached by the runtime; absent when the upstream takes no key (Ollama, a keyless server). */
  readonly pool?: ProviderPool;
}

/** The built-in providers that take API keys, in config order. */
export const API_KEY_PROVIDERS = ['openai', 'anthropic', 'gemini', 'openrouter'] as const satisfies readonly BuiltinProviderId[];

/**
 * Every provider an API key can be stored for: the built-in ones whether configured or not
 * (with their default base URL), and every openai-compatible entry. What `llm-mux login`
 * accepts.
 */
export function apiKeyProviders(config: Config): Provider[] {
  return [...API_KEY_PROVIDERS.map((id) => builtinProvider(config, id)), ...compatibleProviders(config)];
}

/**
 * The providers a config enables: a built-in API-key provider with keys in config.yaml or
 * stored accounts (`accountProviders`: the providers that have any), Ollama when present,
 * every openai-compatible entry (a local server may take no key).
 */
export function buildProviders(config: Config, accountProviders: ReadonlySet<string> = new Set()): Provider[] {
  const builtins = API_KEY_PROVIDERS.map((id) => builtinProvider(config, id)).filter(
    (provider) => provider.apiKeys.length > 0 || accountProviders.has(provider.id),
  );
  const ollama = config.providers.ollama;
  const local: Provider[] = ollama
    ? [
        {
          id: 'ollama',
          label: BUILTIN_PROVIDERS.ollama.label,
          protocol: BUILTIN_PROVIDERS.ollama.protocol,
          baseUrl: trimSlash(ollama['base-url']),
          models: toModels(ollama.models ?? BUILTIN_PROVIDERS.ollama.models),
          apiKeys: [],
          selection: selectionOf(undefined),
        },
      ]
    : [];
  return [...builtins, ...local, ...compatibleProviders(config)];
}

function builtinProvider(config: Config, id: (typeof API_KEY_PROVIDERS)[number]): Provider {
  const entry = config.providers[id];
  const definition = BUILTIN_PROVIDERS[id];
  return {
    id,
    label: definition.label,
    protocol: definition.protocol,
    baseUrl: trimSlash(entry?.['base-url'] ?? definition.defaultBaseUrl),
    models: toModels(entry?.models ?? definition.models),
    apiKeys: entry?.['api-keys'] ?? [],
    selection: selectionOf(entry),
  };
}

function compatibleProviders(config: Config): Provider[] {
  return config.providers['openai-compatible'].map((entry) => ({
    id: entry.name,
    label: entry.name,
    protocol: entry.protocol,
    baseUrl: trimSlash(entry['base-url']),
    models: toModels(entry.models),
    apiKeys: entry['api-keys'],
    selection: selectionOf(entry),
  }));
}

function selectionOf(entry: { strategy?: PoolSelection['strategy']; 'session-affinity-ttl'?: number } | undefined): PoolSelection {
  return { strategy: entry?.strategy ?? 'round-robin', affinityTtlMs: (entry?.['session-affinity-ttl'] ?? 0) * 1000 };
}

function toModels(entries: readonly ModelEntryConfig[]): ProviderModel[] {
  return entries.map((entry) =>
    typeof entry === 'string' ? { id: entry, upstream: entry } : { id: entry.alias ?? entry.name, upstream: entry.name },
  );
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
