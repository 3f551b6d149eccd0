import chalk from 'chalk';
import type { Command } from 'commander';
import { AccountStore } from '../accounts/account-store.ts';
import { shellQuote } from '../accounts/login-hint.ts';
import type { AccountRecord } from '../accounts/types.ts';
import { configDir, resolveConfigPath } from '../config/paths.ts';
import type { Config } from '../config/schema.ts';
import { apiKeyProviders } from '../providers/provider.ts';
import { subscriptionIdOf } from '../providers/subscriptions.ts';
import type { AccountView } from '../server/management/accounts.ts';
import { daemonAccounts, MANAGEMENT_KEY_ENV } from './daemon.ts';
import { CliError } from './output.ts';
import { accountIndex, configOrDefaults, openAccountStore, warn } from './store.ts';

export function registerAccounts(program: Command): void {
  // The listing is a default subcommand, so `accounts check-store` keeps its own --config.
  program
    .command('accounts')
    .description('list and manage provider accounts')
    .command('list', { isDefault: true })
    .description(`list the stored accounts (cooldowns come from the running daemon when $${MANAGEMENT_KEY_ENV} is set)`)
    .option('--config <path>', 'config file')
    .action(async (options: { config?: string }) => {
      const configPath = resolveConfigPath(options.config);
      const config = await configOrDefaults(configPath);
      // Secrets are read only when there are accounts: to report the ones whose secret is gone.
      const records = (await accountIndex(configPath).list()).length === 0 ? [] : await (await AccountStore.open(configDir(configPath), config['credential-store'], warn)).list();
      printAccounts(records, await daemonAccounts(config));
      printConfigKeys(config);
    });

  program
    .command('logout')
    .description('remove a stored account and its secret (keychain entry included)')
    .argument('<provider>', 'the provider the account belongs to')
    .argument('[label]', 'which account, when the provider has several')
    .option('--config <path>', 'config file')
    .action(async (provider: string, label: string | undefined, options: { config?: string }) => {
      const configPath = resolveConfigPath(options.config);
      const config = await configOrDefaults(configPath);
      const account = chooseAccount(await accountIndex(configPath).list(), config, provider, label);
      const store = await openAccountStore(configPath, config);
      await store.remove(account.id);
      console.log(`${chalk.green('Removed')} ${provider} account "${account.label}" (${account.id}) and its secret from the ${store.secrets.kind} store.`);
    });
}

function printAccounts(records: AccountRecord[], daemon: AccountView[] | undefined): void {
  if (records.length === 0) {
    console.log(`No stored accounts. Add one with ${chalk.bold('llm-mux login <provider>')}.`);
    return;
  }
  const rows = records.map((record) => [
    record.provider,
    record.label,
    record.email ?? '—',
    record.state,
    record.expiresAt ?? '—',
    cooldownText(daemon?.find((view) => view.id === record.id), daemon !== undefined),
    record.id,
  ]);
  const table = [['PROVIDER', 'LABEL', 'EMAIL', 'STATE', 'EXPIRES', 'COOLDOWN', 'ID'], ...rows];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  for (const [index, row] of table.entries()) {
    const line = row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
    console.log(index === 0 ? chalk.dim(line) : line);
  }
  for (const record of records.filter((candidate) => candidate.lastError)) console.log(chalk.yellow(`${record.provider} "${record.label}": ${record.lastError}`));
}

/** `—` while no daemon tells; else its cooldowns, e.g. `gpt-5 42s, claude-sonnet 3m`. */
function cooldownText(view: AccountView | undefined, daemonAnswered: boolean): string {
  if (!daemonAnswered || !view) return '—';
  if (view.cooldowns.length === 0) return 'none';
  return view.cooldowns.map(({ family, retryAfterSeconds }) => `${family} ${duration(retryAfterSeconds)}`).join(', ');
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

/** Config keys are pool members too; they are listed so the total is not a surprise. */
function printConfigKeys(config: Config): void {
  const counts = apiKeyProviders(config).flatMap((provider) => (provider.apiKeys.length > 0 ? [`${provider.id} ${provider.apiKeys.length}`] : []));
  if (counts.length > 0) console.log(chalk.dim(`Also in config.yaml (api-keys): ${counts.join(', ')}.`));
}

/** The account `logout` means: by label, or the provider's only one. `gemini` covers both its API keys and its Code Assist logins. */
function chooseAccount(records: AccountRecord[], config: Config, provider: string, label: string | undefined): AccountRecord {
  const subscription = subscriptionIdOf(provider);
  const candidates = records.filter((record) => record.provider === provider || record.provider === subscription);
  if (candidates.length === 0) {
    const inConfig = apiKeyProviders(config).find((candidate) => candidate.id === provider)?.apiKeys.length ?? 0;
    throw new CliError(
      `no stored ${provider} account` + (inConfig > 0 ? `; its ${inConfig} key(s) in config.yaml are removed by editing api-keys there` : ''),
    );
  }
  const labels = candidates.map((record) => `"${record.label}"`).join(', ');
  if (label !== undefined) {
    const found = candidates.find((record) => record.label === label);
    if (!found) throw new CliError(`${provider} has no account labelled "${label}"; its accounts: ${labels}`);
    return found;
  }
  if (candidates.length > 1) {
    throw new CliError(`${provider} has ${candidates.length} accounts (${labels}): name one, e.g. \`llm-mux logout ${provider} ${shellQuote(candidates[0]!.label)}\``);
  }
  return candidates[0]!;
}
