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
  readonly keys: KeyRing;
}

/** Round-robin over a provider's API keys, so load and quota spread across them. */
export class KeyRing {
  private cursor = 0;
  constructor(private readonly keys: readonly string[]) {}

  get size(): number {
    return this.keys.length;
  }

  next(): string | undefined {
    if (this.keys.length === 0) return undefined;
    const key = this.keys[this.cursor % this.keys.length];
    this.cursor = (this.cursor + 1) % this.keys.length;
    return key;
  }
}

/** The providers a config enables: API-key providers with keys, Ollama when present. */
export function buildProviders(config: Config): Provider[] {
  const providers: Provider[] = [];
  const builtins: Array<[BuiltinProviderId, { 'api-keys'?: string[]; 'base-url'?: string; models?: ModelEntryConfig[] } | undefined]> = [
    ['openai', config.providers.openai],
    ['anthropic', config.providers.anthropic],
    ['gemini', config.providers.gemini],
    ['openrouter', config.providers.openrouter],
    ['ollama', config.providers.ollama],
  ];
  for (const [id, entry] of builtins) {
    if (!entry) continue;
    const keys = entry['api-keys'] ?? [];
    if (id !== 'ollama' && keys.length === 0) continue;
    const definition = BUILTIN_PROVIDERS[id];
    const baseUrl = trimSlash(entry['base-url'] ?? definition.defaultBaseUrl);
    providers.push({
      id,
      label: definition.label,
      protocol: definition.protocol,
      baseUrl,
      models: toModels(entry.models ?? definition.models),
      keys: new KeyRing(keys),
    });
  }
  for (const entry of config.providers['openai-compatible']) {
    providers.push({
      id: entry.name,
      label: entry.name,
      protocol: entry.protocol,
      baseUrl: trimSlash(entry['base-url']),
      models: toModels(entry.models),
      keys: new KeyRing(entry['api-keys']),
    });
  }
  return providers;
}

function toModels(entries: readonly ModelEntryConfig[]): ProviderModel[] {
  return entries.map((entry) =>
    typeof entry === 'string' ? { id: entry, upstream: entry } : { id: entry.alias ?? entry.name, upstream: entry.name },
  );
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
