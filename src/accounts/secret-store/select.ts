import type { SecretStore } from '../types.ts';
import { credentialsFilePath, FileSecretStore } from './file.ts';
import { KeychainSecretStore } from './keychain.ts';
import { probeKeychain } from './probe.ts';

/** config.yaml `credential-store`. */
export type CredentialStoreSetting = 'auto' | 'keychain' | 'file';

export class KeychainUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `credential-store is "keychain", but the OS keychain is not usable: ${reason}\n` +
        'Start or unlock the keyring (on Linux: a D-Bus session with GNOME Keyring, KWallet or KeePassXC), ' +
        'or set credential-store: file (or auto) in config.yaml.',
    );
    this.name = 'KeychainUnavailableError';
  }
}

/**
 * The SecretStore the `credential-store` setting asks for.
 * - file: `<config dir>/credentials.json`; the keychain is never touched.
 * - keychain: the OS keychain, or KeychainUnavailableError.
 * - auto: the keychain when it works, else the file with one warning. A credentials file
 *   that already holds secrets keeps being used: switching stores under existing
 *   accounts (say, once a keyring appears on a server) would make them all need login.
 */
export async function openSecretStore(
  setting: CredentialStoreSetting,
  configDir: string,
  warn: (message: string) => void,
): Promise<SecretStore> {
  const file = new FileSecretStore(credentialsFilePath(configDir));
  if (setting === 'file') return file;
  if (setting === 'auto' && (await file.hasSecrets())) return file;

  const probe = await probeKeychain();
  if (probe.reachable) return new KeychainSecretStore();
  if (setting === 'keychain') throw new KeychainUnavailableError(probe.reason);
  warn(
    `OS keychain not usable (${probe.reason}); storing credentials in ${file.path} (mode 0600) instead. ` +
      'Set credential-store: file in config.yaml to make this the choice and silence this warning.',
  );
  return file;
}
