import chalk from 'chalk';
import type { Command } from 'commander';
import { AccountStore } from '../accounts/account-store.ts';
import { shellQuote } from '../accounts/login-hint.ts';
import type { AccountRecord } from '../accounts/types.ts';
import { configDir, resolveConfigPath } from '../config/paths.ts';
import type { Config } from '../config/schema.ts';
import { apiKeyProviders } from '../providers/provider.ts';
import type { QuotaWindow } from '../providers/subscription.ts';
import { isSubscriptionId, subscriptionIdOf } from '../providers/subscriptions.ts';
import type { AccountView } from '../server/management/accounts.ts';
import { daemonAccounts, daemonQuota, managementUrl, MANAGEMENT_KEY_ENV, type DaemonQuota } from './daemon.ts';
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
    .option('--quota', "also show what is left of each subscription's plan (read by the running daemon)")
    .action(async (options: { config?: string; quota?: boolean }) => {
      const configPath = resolveConfigPath(options.config);
      const config = await configOrDefaults(configPath);
      // Secrets are read only when there are accounts: to report the ones whose secret is gone.
      const records = (await accountIndex(configPath).list()).length === 0 ? [] : await (await AccountStore.open(configDir(configPath), config['credential-store'], warn)).list();
      const daemon = await daemonAccounts(config);
      printAccounts(records, daemon);
      printConfigKeys(config);
      if (options.quota) await printQuotas(records, config, daemon !== undefined);
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

/**
 * One line per subscription account: its plan's windows as the daemon reads them from the
 * provider (the daemon holds the fresh tokens), or why they could not be read.
 */
async function printQuotas(records: AccountRecord[], config: Config, daemonAnswered: boolean): Promise<void> {
  const accounts = records.filter((record) => isSubscriptionId(record.provider));
  if (records.length > 0 && accounts.length === 0) console.log('No subscription accounts: quota is shown for plans added with llm-mux login <provider>.');
  if (accounts.length === 0) return;
  const key = process.env[MANAGEMENT_KEY_ENV];
  if (!key) {
    console.log(chalk.yellow(`Quota is read by the running daemon: set $${MANAGEMENT_KEY_ENV} to its management key (the one llm-mux init printed).`));
    return;
  }
  if (!daemonAnswered) {
    console.log(chalk.yellow(`No llm-mux daemon accepted $${MANAGEMENT_KEY_ENV} at ${managementUrl(config, '')}: start ${chalk.bold('llm-mux serve')}, or check the key.`));
    return;
  }
  const answers = await Promise.all(accounts.map((record) => daemonQuota(config, record.id, key)));
  const now = new Date();
  for (const [index, record] of accounts.entries()) console.log(quotaLine(record, answers[index]!, now));
}

/** `claude "me@x.com": five_hour 63% left, resets 19:40; seven_day 90% left, resets Jun 3 08:00`. */
function quotaLine(record: AccountRecord, answer: DaemonQuota, now: Date): string {
  const name = `${record.provider} "${record.label}"`;
  if ('error' in answer) return chalk.yellow(`${name}: ${answer.error}`);
  const { plan, windows } = answer.quota;
  const text = windows.length === 0 ? 'no limits reported' : windows.map((window) => windowText(window, now)).join('; ');
  return `${name}${plan ? ` (${plan})` : ''}: ${text}`;
}

function windowText(window: QuotaWindow, now: Date): string {
  const { remainingFraction, remaining, limit } = window;
  const counts = remaining === undefined ? '' : limit === undefined ? `${count(remaining)}` : `${count(remaining)}/${count(limit)}`;
  const amount = window.unlimited
    ? 'unlimited'
    : remainingFraction !== undefined
      ? `${Math.round(remainingFraction * 100)}% left${counts ? ` (${counts})` : ''}`
      : counts
        ? `${counts} left`
        : 'no figure';
  return `${window.name} ${amount}${window.resetsAt ? `, resets ${resetText(new Date(window.resetsAt), now)}` : ''}`;
}

/** Local time: `19:40` today, `Jun 3 19:40` on another day. */
function resetText(date: Date, now: Date): string {
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.toLocaleString('en-US', { month: 'short' })} ${date.getDate()} ${time}`;
}

/** Premium requests come in fractions; one decimal is enough. */
function count(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
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
