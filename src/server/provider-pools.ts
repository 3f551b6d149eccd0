import type { LoadedAccount } from '../accounts/account-cache.ts';
import { type PoolMember, type PoolSelection, ProviderPool } from '../accounts/provider-pool.ts';
import type { TokenManager } from '../accounts/tokens.ts';
import type { Provider } from '../providers/provider.ts';

/** The pool member id of a config.yaml key: stable while the key keeps its place in the list. */
export function configMemberId(providerId: string, index: number): string {
  return `config:${providerId}:${index}`;
}

/**
 * Each provider's ProviderPool, kept from one config or accounts reload to the next so
 * cooldowns and affinity survive it; rebuilt only when the provider's strategy or affinity
 * TTL changes.
 */
export class ProviderPools {
  private readonly pools = new Map<string, ProviderPool>();

  /** `tokens` gives subscription accounts their access tokens. */
  constructor(private readonly tokens: TokenManager) {}

  /** The providers with their pools attached: config keys first, then stored accounts. */
  attach(providers: readonly Provider[], accounts: readonly LoadedAccount[]): Provider[] {
    const ids = new Set(providers.map((provider) => provider.id));
    for (const id of this.pools.keys()) if (!ids.has(id)) this.pools.delete(id);
    return providers.map((provider) => {
      const members = membersOf(provider, accounts);
      if (members.length === 0) {
        this.pools.delete(provider.id);
        return provider;
      }
      let pool = this.pools.get(provider.id);
      if (pool && sameSelection(pool.selection, provider.selection)) pool.setMembers(members);
      else this.pools.set(provider.id, (pool = new ProviderPool(provider.selection, members, this.tokens)));
      return { ...provider, pool };
    });
  }
}

function membersOf(provider: Provider, accounts: readonly LoadedAccount[]): PoolMember[] {
  const configKeys = provider.apiKeys.map(
    (apiKey, index): PoolMember => ({ id: configMemberId(provider.id, index), label: `api-keys[${index}]`, source: 'config', state: 'active', apiKey }),
  );
  const stored = accounts
    .filter(({ record }) => record.provider === provider.id)
    .map(({ record, apiKey }): PoolMember => ({
      id: record.id,
      label: record.label,
      source: 'store',
      state: record.state,
      ...(provider.auth === 'oauth' ? { oauth: true } : { apiKey }),
    }));
  return [...configKeys, ...stored];
}

function sameSelection(a: PoolSelection, b: PoolSelection): boolean {
  return a.strategy === b.strategy && a.affinityTtlMs === b.affinityTtlMs;
}
