import type { AsyncEntry as AsyncEntryClass } from '@napi-rs/keyring';
import type { SecretStore } from '../types.ts';

/** The keychain service every llm-mux secret is filed under; the account id is the entry's user name. */
export const KEYCHAIN_SERVICE = 'llm-mux';

/**
 * On Linux, only the Secret Service (GNOME Keyring, KWallet, KeePassXC) persists: the
 * library would otherwise fall back to the kernel keyring, which forgets everything at
 * logout or reboot and would silently lose refresh tokens. Ignored on macOS and Windows.
 */
const ENTRY_OPTIONS = { linux: { store: 'secret-service' } } as const;

let keyring: Promise<typeof AsyncEntryClass> | undefined;

/** Loaded on first use: the native addon may be missing (unsupported platform), which must only disable the keychain. */
function loadAsyncEntry(): Promise<typeof AsyncEntryClass> {
  keyring ??= import('@napi-rs/keyring').then((module) => module.AsyncEntry);
  return keyring;
}

/**
 * Secrets in the OS keychain (macOS Keychain, Windows Credential Manager, Secret Service),
 * one entry per account. Replacing an entry is a single keychain operation, so it is atomic.
 * Opening an entry talks to D-Bus synchronously on Linux: use it only after openSecretStore
 * has probed the keychain in a child process.
 */
export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain';

  async get(id: string): Promise<string | undefined> {
    return (await keychainCall('read', () => this.entry(id).then((entry) => entry.getPassword()))) ?? undefined;
  }

  async set(id: string, secret: string): Promise<void> {
    await keychainCall('write', () => this.entry(id).then((entry) => entry.setPassword(secret)));
  }

  delete(id: string): Promise<boolean> {
    return keychainCall('delete', () => this.entry(id).then((entry) => entry.deleteCredential()));
  }

  private async entry(id: string): Promise<AsyncEntryClass> {
    const AsyncEntry = await loadAsyncEntry();
    return new AsyncEntry(KEYCHAIN_SERVICE, id, ENTRY_OPTIONS);
  }
}

/** Library errors say "Platform failure: DBus error: …"; say which store and operation failed. */
async function keychainCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new Error(`OS keychain ${operation} failed: ${(error as Error).message}`, { cause: error });
  }
}
