import { existsSync } from 'node:fs';
import chalk from 'chalk';
import { AccountStore } from '../accounts/account-store.ts';
import { accountIndexPath, AccountIndex } from '../accounts/index-file.ts';
import { openSecretStore } from '../accounts/secret-store/select.ts';
import { loadConfigFile, parseConfig } from '../config/load.ts';
import { configDir } from '../config/paths.ts';
import type { Config } from '../config/schema.ts';

/** The config, or the defaults while there is no file yet: an account can be added before `llm-mux init`. */
export async function configOrDefaults(configPath: string): Promise<Config> {
  return existsSync(configPath) ? (await loadConfigFile(configPath)).config : parseConfig('', configPath);
}

/** The account index beside the config: reading it touches no secret. */
export function accountIndex(configPath: string): AccountIndex {
  return new AccountIndex(accountIndexPath(configDir(configPath)));
}

/** The accounts with the secret store `credential-store` selects (which may probe the keychain). */
export async function openAccountStore(configPath: string, config: Config): Promise<AccountStore> {
  return new AccountStore(accountIndex(configPath), await openSecretStore(config['credential-store'], configDir(configPath), warn));
}

export function warn(message: string): void {
  process.stderr.write(`${chalk.yellow(`warning: ${message}`)}\n`);
}
