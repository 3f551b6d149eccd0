import { AccountStore } from '../../src/accounts/account-store.ts';
import { accountIndexPath, AccountIndex } from '../../src/accounts/index-file.ts';
import { credentialsFilePath, FileSecretStore } from '../../src/accounts/secret-store/file.ts';
import type { AccountState, Credentials } from '../../src/accounts/types.ts';

export interface SeedAccount {
  id: string;
  provider: string;
  label?: string;
  /** Left out (with `oauth`): the index lists the account but the store has no secret (needs-login). */
  apiKey?: string;
  /** A subscription account's tokens, as `llm-mux login <provider>` stores them. */
  oauth?: Pick<Credentials, 'accessToken' | 'refreshToken' | 'expiresAt' | 'issuedAt' | 'extra'>;
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
    const expiresAt = account.oauth?.expiresAt;
    const record = {
      id: account.id,
      provider: account.provider,
      label: account.label ?? account.id,
      createdAt: new Date().toISOString(),
      ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
      state: account.state ?? 'active',
    };
    if (account.apiKey === undefined && account.oauth === undefined) await store.index.add(record);
    else await store.add(record, { ...(account.apiKey === undefined ? {} : { apiKey: account.apiKey }), ...account.oauth });
  }
}
