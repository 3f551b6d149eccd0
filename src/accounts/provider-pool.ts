/**
 * One provider's credentials as the gateway uses them: the API keys from config.yaml
 * (pseudo-accounts `config:<provider>:<index>`, never written anywhere) and the accounts
 * stored for it, in one AccountPool that picks per attempt and keeps cooldowns per model
 * family. The runtime keeps a provider's ProviderPool across reloads, so cooldowns,
 * affinity bindings and the round-robin position survive a config change.
 */
import type { MemberCredential } from '../providers/upstream.ts';
import { AccountPool, type PickRequest, type PickResult, type SelectionStrategy } from './pool.ts';
import type { TokenManager } from './tokens.ts';
import type { AccountState } from './types.ts';

export interface PoolMember {
  id: string;
  label: string;
  /** `config`: a key in config.yaml; `store`: an account from `llm-mux login`. */
  source: 'config' | 'store';
  state: AccountState;
  /** Present while the member is active. */
  apiKey?: string;
  /** A subscription account: its access token comes from the TokenManager, refreshed as needed. */
  oauth?: boolean;
}

export interface PoolSelection {
  strategy: SelectionStrategy;
  /** 0: no session affinity. */
  affinityTtlMs: number;
}

export interface MemberStatus extends Omit<PoolMember, 'apiKey'> {
  /** The model families it rests for, and until when (epoch ms). */
  cooldowns: Array<{ family: string; until: number }>;
}

function oauthCredential(credentials: { accessToken: string; extra?: Record<string, string> }): MemberCredential {
  return { secret: credentials.accessToken, extra: credentials.extra ?? {} };
}

export class ProviderPool {
  private readonly pool: AccountPool;
  private members = new Map<string, PoolMember>();
  /** API-key members' credentials, built once: every request asks for one. */
  private keyCredentials = new Map<string, MemberCredential>();

  constructor(
    readonly selection: PoolSelection,
    members: readonly PoolMember[],
    private readonly tokens?: TokenManager,
  ) {
    this.pool = new AccountPool([], { strategy: selection.strategy, affinityTtlMs: selection.affinityTtlMs });
    this.setMembers(members);
  }

  /** Whether pick() uses an affinity key: computing one hashes the prompt, so callers skip it otherwise. */
  get usesAffinity(): boolean {
    return this.selection.affinityTtlMs > 0;
  }

  /** After a reload. A member whose key changed under the same id (config key edited) starts without cooldowns. */
  setMembers(members: readonly PoolMember[]): void {
    for (const member of members) {
      const previous = this.members.get(member.id)?.apiKey;
      if (previous !== undefined && member.apiKey !== undefined && previous !== member.apiKey) this.pool.forget(member.id);
    }
    this.members = new Map(members.map((member) => [member.id, member]));
    this.keyCredentials = new Map(
      members.flatMap(({ id, apiKey }) => (apiKey === undefined ? [] : [[id, Object.freeze({ secret: apiKey, extra: Object.freeze({}) })] as const])),
    );
    this.pool.setAccounts(members.map(({ id, state }) => ({ id, state })));
  }

  pick(request: PickRequest): PickResult {
    return this.pool.pick(request);
  }

  rateLimited(memberId: string, modelFamily: string, resetAt?: number): number {
    return this.pool.rateLimited(memberId, modelFamily, resetAt);
  }

  succeeded(memberId: string, modelFamily: string): void {
    this.pool.succeeded(memberId, modelFamily);
  }

  /**
   * What an attempt with this member authenticates with: an API key from memory, or an
   * OAuth account's access token, refreshed first when it is due (throws AccountTokenError
   * when the account has none to give).
   */
  async credential(memberId: string): Promise<MemberCredential | undefined> {
    const member = this.members.get(memberId);
    if (member?.oauth && this.tokens) return oauthCredential(await this.tokens.credentials(memberId));
    return this.keyCredentials.get(memberId);
  }

  /** Whether a 401 for this member is worth a token refresh. */
  refreshable(memberId: string): boolean {
    return this.members.get(memberId)?.oauth === true && this.tokens !== undefined;
  }

  /** After the upstream refused `refused` with 401: a refreshed token (one refresh however many requests got the 401). */
  async refreshedCredential(memberId: string, refused: MemberCredential): Promise<MemberCredential> {
    return oauthCredential(await this.tokens!.refreshAfterUnauthorized(memberId, refused.secret));
  }

  status(): MemberStatus[] {
    return [...this.members.values()].map(({ apiKey: _secret, ...member }) => ({ ...member, cooldowns: this.pool.coolingDown(member.id) }));
  }

  /** Why no member can serve, e.g. "1 disabled, 2 need a login", for the 503 that says so. */
  unusableSummary(): string {
    const count = (state: AccountState) => [...this.members.values()].filter((member) => member.state === state).length;
    const disabled = count('disabled');
    const needsLogin = count('needs-login');
    return [disabled > 0 ? `${disabled} disabled` : '', needsLogin > 0 ? `${needsLogin} need${needsLogin === 1 ? 's' : ''} a login` : '']
      .filter(Boolean)
      .join(', ');
  }
}
