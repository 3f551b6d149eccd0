import { z } from 'zod';
import { accountIndexPath, AccountIndex } from './index-file.ts';
import { openSecretStore, type CredentialStoreSetting } from './secret-store/select.ts';
import type { AccountRecord, AccountStore as AccountStoreContract, Credentials, SecretStore } from './types.ts';

// Loose, like the index: fields a newer llm-mux stores survive.
const credentialsSchema = z.looseObject({
  apiKey: z.string().optional(),
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
  idToken: z.string().optional(),
  expiresAt: z.number().optional(),
  issuedAt: z.number().optional(),
  extra: z.record(z.string(), z.string()).optional(),
});

/**
 * Accounts: records in the index, secrets in the SecretStore under the account id.
 * Secrets are written before the index and deleted before it, so a crash in between
 * leaves at worst a secret nobody lists or an account that needs login, never an account
 * that looks fine but cannot authenticate.
 */
export class AccountStore implements AccountStoreContract {
  /** Listed accounts whose secret was missing when the store was opened. */
  private readonly missing = new Set<string>();

  constructor(
    readonly index: AccountIndex,
    readonly secrets: SecretStore,
  ) {}

  static async open(configDir: string, setting: CredentialStoreSetting, warn: (message: string) => void): Promise<AccountStore> {
    const store = new AccountStore(new AccountIndex(accountIndexPath(configDir)), await openSecretStore(setting, configDir, warn));
    await store.findMissingSecrets(warn);
    return store;
  }

  /** Every account; one whose secret is missing is reported as needs-login. */
  async list(): Promise<AccountRecord[]> {
    return Promise.all((await this.index.list()).map((record) => this.reported(record)));
  }

  async get(id: string): Promise<AccountRecord | undefined> {
    const record = (await this.index.list()).find((candidate) => candidate.id === id);
    return record && this.reported(record);
  }

  update(id: string, patch: Partial<Omit<AccountRecord, 'id' | 'provider' | 'createdAt'>>): Promise<AccountRecord> {
    return this.index.update(id, patch);
  }

  async add(record: AccountRecord, credentials: Credentials): Promise<void> {
    await this.index.add(record, () => this.secrets.set(record.id, serialize(credentials)));
    this.missing.delete(record.id);
  }

  /** The account's secret, or undefined when the store has none. */
  async credentials(id: string): Promise<Credentials | undefined> {
    const secret = await this.secrets.get(id);
    if (secret === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(secret);
    } catch {
      raw = undefined; // Reported below like any other damage.
    }
    const parsed = credentialsSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`the credentials stored for account "${id}" (${this.secrets.kind} store) are damaged; log in again`);
    return parsed.data;
  }

  /**
   * Replaces an account's credentials (a refresh, a rotated refresh token, a new login):
   * the secret atomically, then the index's expiry. Fresh credentials end needs-login;
   * a disabled account stays disabled.
   */
  async updateCredentials(id: string, credentials: Credentials): Promise<void> {
    await this.index.update(
      id,
      (current) => ({
        expiresAt: credentials.expiresAt === undefined ? undefined : new Date(credentials.expiresAt).toISOString(),
        ...(current.state === 'needs-login' ? { state: 'active', lastError: undefined } : {}),
      }),
      () => this.secrets.set(id, serialize(credentials)),
    );
    this.missing.delete(id);
  }

  /** Deletes the account and its secret. True when there was something to delete. */
  async remove(id: string): Promise<boolean> {
    const hadSecret = await this.secrets.delete(id);
    const hadRecord = await this.index.remove(id);
    this.missing.delete(id);
    return hadSecret || hadRecord;
  }

  /**
   * The record as it is, or needs-login while its secret is missing. Only such accounts
   * are looked up again (another process may have logged them in since); the rest of a
   * listing never touches a secret.
   */
  private async reported(record: AccountRecord): Promise<AccountRecord> {
    if (!this.missing.has(record.id)) return record;
    const secret = await this.secrets.get(record.id).catch(() => undefined);
    if (secret !== undefined) {
      this.missing.delete(record.id);
      return record;
    }
    return { ...record, state: 'needs-login', lastError: `no credentials in the ${this.secrets.kind} store; log in again` };
  }

  private async findMissingSecrets(warn: (message: string) => void): Promise<void> {
    const unreadable: string[] = [];
    for (const record of await this.index.list()) {
      try {
        if ((await this.secrets.get(record.id)) === undefined) this.missing.add(record.id);
      } catch (error) {
        // A locked or failing store is not proof the secret is gone: leave the state alone.
        unreadable.push(`${record.id}: ${(error as Error).message}`);
      }
    }
    if (unreadable.length > 0) warn(`could not check the credentials of ${unreadable.length} account(s): ${unreadable.join('; ')}`);
  }
}

function serialize(credentials: Credentials): string {
  return JSON.stringify(credentialsSchema.parse(credentials));
}
