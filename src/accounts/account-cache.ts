import { AccountStore } from './account-store.ts';
import { accountIndexPath, AccountIndex } from './index-file.ts';
import { openSecretStore, type CredentialStoreSetting } from './secret-store/select.ts';
import type { AccountRecord, AccountStore as AccountStoreContract, Credentials } from './types.ts';

/** A stored account as the daemon uses it. */
export interface LoadedAccount {
  /** As stored, except needs-login while its secret cannot be had. */
  record: AccountRecord;
  /** Present when the account is active and its secret was read. */
  apiKey?: string;
}

/**
 * The stored accounts of a running daemon. The index is re-read on every load (cheap, no
 * secrets); an active account's secret is read once and then kept in memory, since a
 * keychain read can take long and no request should wait for one. The secret store itself
 * is opened on first need, so a setup without stored accounts never probes the keychain.
 */
export class AccountCache {
  readonly index: AccountIndex;
  private opened: { setting: CredentialStoreSetting; store: Promise<AccountStore> } | undefined;
  private readonly secrets = new Map<string, Credentials>();
  /** The store the cached secrets came from. */
  private secretsFrom: CredentialStoreSetting | undefined;

  constructor(
    private readonly configDir: string,
    private readonly warn: (message: string) => void,
  ) {
    this.index = new AccountIndex(accountIndexPath(configDir));
  }

  /** The store `setting` selects, opened once; a failed opening is retried on the next call. */
  store(setting: CredentialStoreSetting): Promise<AccountStore> {
    if (this.opened?.setting !== setting) {
      const store = openSecretStore(setting, this.configDir, this.warn).then((secrets) => new AccountStore(this.index, secrets));
      store.catch(() => {
        if (this.opened?.store === store) this.opened = undefined;
      });
      this.opened = { setting, store };
    }
    return this.opened.store;
  }

  /**
   * The accounts as a store that opens the secret store `setting()` names when first
   * needed: what the TokenManager reads and writes OAuth tokens through.
   */
  lazyStore(setting: () => CredentialStoreSetting): AccountStoreContract {
    const store = () => this.store(setting());
    return {
      // No accounts, no secret store: the background refresh must not probe a keychain for nothing.
      list: async () => ((await this.index.list()).length === 0 ? [] : (await store()).list()),
      get: async (id) => (await store()).get(id),
      add: async (record, credentials) => (await store()).add(record, credentials),
      credentials: async (id) => (await store()).credentials(id),
      updateCredentials: async (id, credentials) => (await store()).updateCredentials(id, credentials),
      update: async (id, patch) => (await store()).update(id, patch),
      remove: async (id) => (await store()).remove(id),
    };
  }

  /**
   * Every stored account, with the secret of each active one `usesKey` accepts (the
   * providers configured to take API keys; other accounts are only listed).
   */
  async load(setting: CredentialStoreSetting, usesKey: (record: AccountRecord) => boolean): Promise<LoadedAccount[]> {
    const records = await this.index.list();
    if (this.secretsFrom !== setting) {
      // Another store holds other secrets.
      this.secrets.clear();
      this.secretsFrom = setting;
    }
    const listed = new Set(records.map((record) => record.id));
    for (const id of this.secrets.keys()) if (!listed.has(id)) this.secrets.delete(id);

    const loaded: LoadedAccount[] = [];
    // One at a time: a keychain may prompt, and it answers serially anyway.
    for (const record of records) {
      if (record.state !== 'active' || !usesKey(record)) {
        loaded.push({ record });
        continue;
      }
      let apiKey: string | undefined;
      try {
        apiKey = await this.apiKey(setting, record.id);
      } catch (error) {
        loaded.push({ record: { ...record, state: 'needs-login', lastError: (error as Error).message } });
        continue;
      }
      loaded.push(apiKey ? { record, apiKey } : { record: { ...record, state: 'needs-login', lastError: 'no API key in the credential store; log in again' } });
    }
    return loaded;
  }

  private async apiKey(setting: CredentialStoreSetting, id: string): Promise<string | undefined> {
    let credentials = this.secrets.get(id);
    if (!credentials) {
      credentials = await (await this.store(setting)).credentials(id);
      if (credentials) this.secrets.set(id, credentials);
    }
    return credentials?.apiKey;
  }
}
