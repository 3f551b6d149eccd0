import type { PoolSelection, ProviderPool } from '../accounts/provider-pool.ts';
import type { Config, ModelAliasConfig, ModelEntryConfig } from '../config/schema.ts';
import type { Protocol } from '../core/protocol.ts';
import { BUILTIN_PROVIDERS, type BuiltinProviderId } from './definitions.ts';
import type { FetchedModels } from './model-cache.ts';
import { apiKeyModelLister, type ModelLister } from './model-catalog.ts';
import type { SubscriptionProvider } from './subscription.ts';
import { SUBSCRIPTION_IDS, type SubscriptionId } from './subscription-defaults.ts';
import { settingsFromConfig, SUBSCRIPTION_PROVIDERS } from './subscriptions.ts';
import { apiKeyAdapter, apiKeyCountAdapter, type UpstreamAdapter } from './upstream.ts';

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
  /** `api-key`: keys from config.yaml or `llm-mux login`; `oauth`: subscription accounts with refreshed tokens. */
  readonly auth: 'api-key' | 'oauth';
  /** Base URL without a trailing slash; src/providers/endpoints.ts adds each protocol's path. */
  readonly baseUrl: string;
  /** How requests reach its API. */
  readonly upstream: UpstreamAdapter;
  /** Its token-count endpoint, when it has one the client's protocol can use. */
  readonly countUpstream?: UpstreamAdapter;
  /** From config.yaml's `models:`, else as last fetched from the upstream, else the built-in catalogue. */
  readonly models: readonly ProviderModel[];
  /** Reads the upstream's model list; absent when config.yaml lists the models or the upstream has no list endpoint. */
  readonly fetchModels?: ModelLister;
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
 * stored accounts (`accountProviders`: the providers that have any), a subscription
 * provider with stored accounts, Ollama when present, every openai-compatible entry (a
 * local server may take no key). `fetched`: the model lists read from upstreams so far.
 */
export function buildProviders(config: Config, accountProviders: ReadonlySet<string> = new Set(), fetched: FetchedModels = new Map()): Provider[] {
  const builtins = API_KEY_PROVIDERS.map((id) => builtinProvider(config, id, fetched)).filter(
    (provider) => provider.apiKeys.length > 0 || accountProviders.has(provider.id),
  );
  const subscriptions = SUBSCRIPTION_IDS.filter((id) => accountProviders.has(id)).map((id) => subscriptionProvider(config, id, fetched));
  const ollama = config.providers.ollama;
  const local: Provider[] = ollama ? [keyProvider('ollama', BUILTIN_PROVIDERS.ollama.label, 'ollama', ollama['base-url'], BUILTIN_PROVIDERS.ollama.models, ollama, fetched)] : [];
  return [...builtins, ...subscriptions, ...local, ...compatibleProviders(config, fetched)];
}

function builtinProvider(config: Config, id: (typeof API_KEY_PROVIDERS)[number], fetched: FetchedModels = new Map()): Provider {
  const entry = config.providers[id];
  const definition = BUILTIN_PROVIDERS[id];
  return keyProvider(id, definition.label, definition.protocol, entry?.['base-url'] ?? definition.defaultBaseUrl, definition.models, entry, fetched);
}

function compatibleProviders(config: Config, fetched: FetchedModels = new Map()): Provider[] {
  return config.providers['openai-compatible'].map((entry) => keyProvider(entry.name, entry.name, entry.protocol, entry['base-url'], [], entry, fetched));
}

/** A provider reached with API keys (or none) at its protocol's own endpoints below a base URL. */
function keyProvider(
  id: string,
  label: string,
  protocol: Protocol,
  baseUrl: string,
  catalogue: readonly ModelEntryConfig[],
  entry: ProviderEntry | undefined,
  fetched: FetchedModels,
): Provider {
  const base = trimSlash(baseUrl);
  return {
    id,
    label,
    protocol,
    auth: 'api-key',
    baseUrl: base,
    upstream: apiKeyAdapter(protocol, base),
    countUpstream: apiKeyCountAdapter(protocol, base),
    models: modelsOf(entry?.models ?? fetchedList(fetched, id, base) ?? catalogue, entry),
    ...(entry?.models ? {} : { fetchModels: apiKeyModelLister(protocol, base) }),
    apiKeys: entry?.['api-keys'] ?? [],
    selection: selectionOf(entry),
  };
}

/** A subscription provider, whose accounts come from `llm-mux login <id>` (src/providers/subscriptions.ts). */
function subscriptionProvider<Id extends SubscriptionId>(config: Config, id: Id, fetched: FetchedModels): Provider {
  const definition: SubscriptionProvider<Id> = SUBSCRIPTION_PROVIDERS[id];
  const entry = config.providers[id];
  const settings = settingsFromConfig(config, id);
  const listModels = entry?.models ? undefined : definition.listModels;
  return {
    id,
    label: definition.label,
    protocol: definition.protocol,
    auth: 'oauth',
    baseUrl: '',
    upstream: definition.adapter(settings),
    models: modelsOf(entry?.models ?? fetchedList(fetched, id, '') ?? definition.models, entry),
    ...(listModels && {
      fetchModels: (credential, fetch) => listModels(settings, { accessToken: credential?.secret, extra: { ...credential?.extra } }, fetch),
    }),
    apiKeys: [],
    selection: selectionOf(entry),
  };
}

/** What every provider entry in config.yaml may set about keys, models and rotation. */
interface ProviderEntry {
  'api-keys'?: readonly string[];
  models?: readonly ModelEntryConfig[];
  'model-aliases'?: readonly ModelAliasConfig[];
  'excluded-models'?: readonly string[];
  strategy?: PoolSelection['strategy'];
  'session-affinity-ttl'?: number;
}

function selectionOf(entry: ProviderEntry | undefined): PoolSelection {
  return { strategy: entry?.strategy ?? 'round-robin', affinityTtlMs: (entry?.['session-affinity-ttl'] ?? 0) * 1000 };
}

/** A provider's list as fetched, unless it was read at another base URL. */
function fetchedList(fetched: FetchedModels, id: string, baseUrl: string): readonly string[] | undefined {
  const list = fetched.get(id);
  return list?.baseUrl === baseUrl ? list.models : undefined;
}

/**
 * The models a provider offers: its list with aliases applied (an entry's own, then
 * `model-aliases`, which also rename models of a fetched list), less the excluded ones (by
 * client or upstream name).
 */
export function modelsOf(entries: readonly ModelEntryConfig[], entry: Pick<ProviderEntry, 'excluded-models' | 'model-aliases'> | undefined): ProviderModel[] {
  const excluded = (entry?.['excluded-models'] ?? []).map(globPattern);
  const aliases = entry?.['model-aliases'] ?? [];
  return entries
    .map((model) => (typeof model === 'string' ? { id: model, upstream: model } : { id: model.alias ?? model.name, upstream: model.name }))
    .flatMap((model) => {
      const renamed = aliases.filter((alias) => alias.name === model.upstream);
      return renamed.length > 0 ? renamed.map((alias) => ({ id: alias.alias, upstream: model.upstream })) : [model];
    })
    .filter((model) => !excluded.some((pattern) => pattern.test(model.id) || pattern.test(model.upstream)));
}

/** `gpt-4*` → /^gpt-4.*$/: only `*` is special. */
function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
