import { AccountStore } from '../../src/accounts/account-store.ts';
import { accountIndexPath, AccountIndex } from '../../src/accounts/index-file.ts';
import { credentialsFilePath, FileSecretStore } from '../../src/accounts/secret-store/file.ts';
import type { AccountState } from '../../src/accounts/types.ts';

export interface SeedAccount {
  id: string;
  provider: string;
  label?: string;
  /** Left out: the index lists the account but the store has no secret (needs-login). */
  apiKey?: string;
  state?: AccountState;
}

/** The real account store of a config dir, over the file secret store (`credential-store: file`). */
export function fileAccountStore(configDir: string): AccountStore {
  return new AccountStore(new AccountIndex(accountIndexPath(configDir)), new FileSecretStore(credentialsFilePath(configDir)));
}

/** Stores accounts as `llm-mux login` would. */
export async function seedAccounts(configDir: string, accounts: SeedAccount[]): Promise<void> {
  const store = fileAccountStore(configDir);
  for (const account of accounts) {
    const record = { id: account.id, provider: account.provider, label: account.label ?? account.id, createdAt: new Date().toISOString(), state: account.state ?? 'active' };
    if (account.apiKey === undefined) await store.index.add(record);
    else await store.add(record, { apiKey: account.apiKey });
  }
}
