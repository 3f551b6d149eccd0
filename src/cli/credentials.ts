import chalk from 'chalk';
import { Option, type Command } from 'commander';
import { openSecretStore, type CredentialStoreSetting } from '../accounts/secret-store/select.ts';
import { KEYCHAIN_PROBE_COMMAND, roundTrip, runKeychainProbe } from '../accounts/secret-store/probe.ts';
import { FileSecretStore } from '../accounts/secret-store/file.ts';
import { KEYCHAIN_SERVICE } from '../accounts/secret-store/keychain.ts';
import { loadConfigFile } from '../config/load.ts';
import { configDir, resolveConfigPath } from '../config/paths.ts';
import { CliError } from './output.ts';
import { warn } from './store.ts';

export function registerCredentials(program: Command): void {
  // `accounts` may already exist (the account commands); check-store joins it either way.
  const accounts =
    program.commands.find((command) => command.name() === 'accounts') ??
    program.command('accounts').description('manage provider accounts');
  accounts
    .command('check-store')
    .description('store, read back and delete a test secret; show which credential store is in use')
    .option('--config <path>', 'config file')
    .addOption(new Option('--store <store>', 'check this store instead of config credential-store').choices(['auto', 'keychain', 'file']))
    .action(async (options: { config?: string; store?: CredentialStoreSetting }) => {
      const configPath = resolveConfigPath(options.config);
      const setting = options.store ?? (await loadConfigFile(configPath)).config['credential-store'];
      const store = await openSecretStore(setting, configDir(configPath), warn);
      const where = store instanceof FileSecretStore ? store.path : `service "${KEYCHAIN_SERVICE}"`;
      try {
        await roundTrip(store);
      } catch (error) {
        throw new CliError(`the ${store.kind} store (${where}) does not work: ${(error as Error).message}`);
      }
      console.log(`${chalk.green('ok')}  credential store: ${chalk.bold(store.kind)} (${where}), credential-store: ${setting}`);
    });

  // Run by openSecretStore in a child process it can kill if the keychain hangs.
  program.command(KEYCHAIN_PROBE_COMMAND, { hidden: true }).action(runKeychainProbe);
}
