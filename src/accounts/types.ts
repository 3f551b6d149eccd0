/**
 * Accounts: the credentials llm-mux holds for upstreams (OAuth logins to subscriptions,
 * API keys). Secrets live in a SecretStore (the OS keychain, or a 0600 file where no
 * keychain is reachable); everything else about an account lives in a small index file
 * in the config directory, so listing accounts never touches a secret.
 */

/** Where an account is in its life. */
export type AccountState = 'active' | 'disabled' | 'needs-login';

/** What the index keeps about an account: no secrets. */
export interface AccountRecord {
  /** Stable and unique, e.g. `claude-3f2a9c`; also the secret's key in the store. */
  id: string;
  /** The login flow / upstream it belongs to: claude, codex, gemini, antigravity, copilot, qwen, openai, … */
  provider: string;
  /** The user's name for it (`--label`), unique per provider. */
  label: string;
  /** The account's email or user id, as the provider reported it at login. */
  email?: string;
  createdAt: string;
  /** When the current access token expires (ISO time), for `llm-mux accounts`. */
  expiresAt?: string;
  state: AccountState;
  /** Why the account needs attention, e.g. the refresh error. */
  lastError?: string;
}

/** The secret part of an account, stored as JSON in the SecretStore under the account id. */
export interface Credentials {
  apiKey?: string;
  accessToken?: string;
  refreshToken?: string;
  idToken?: string;
  /** Access-token expiry, epoch milliseconds. */
  expiresAt?: number;
  /** When the access token was issued, epoch milliseconds (to refresh at a quarter of its life left). */
  issuedAt?: number;
  /** Provider-specific values that must stay with the token (project id, ChatGPT account id, Copilot token…). */
  extra?: Record<string, string>;
}

/** A place for secrets, keyed by account id. */
export interface SecretStore {
  readonly kind: 'keychain' | 'file';
  get(id: string): Promise<string | undefined>;
  /** Replaces the secret atomically: a crash never leaves neither the old nor the new one. */
  set(id: string, secret: string): Promise<void>;
  /** True when something was deleted. */
  delete(id: string): Promise<boolean>;
}

/** The accounts llm-mux holds: the index and the secrets together (src/accounts/account-store.ts). */
export interface AccountStore {
  list(): Promise<AccountRecord[]>;
  get(id: string): Promise<AccountRecord | undefined>;
  /** Stores the secret first, then the index entry, so a crash never leaves an entry without its secret. */
  add(record: AccountRecord, credentials: Credentials): Promise<void>;
  credentials(id: string): Promise<Credentials | undefined>;
  /** Atomic: a rotated refresh token is never lost, even if the process dies mid-write. */
  updateCredentials(id: string, credentials: Credentials): Promise<void>;
  update(id: string, patch: Partial<Omit<AccountRecord, 'id' | 'provider' | 'createdAt'>>): Promise<AccountRecord>;
  /** Removes the index entry and the secret (keychain entry included). */
  remove(id: string): Promise<boolean>;
}
