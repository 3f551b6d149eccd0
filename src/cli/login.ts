import { randomBytes } from 'node:crypto';
import chalk from 'chalk';
import { InvalidArgumentError, type Command } from 'commander';
import type { AccountStore } from '../accounts/account-store.ts';
import { shellQuote } from '../accounts/login-hint.ts';
import type { AccountRecord } from '../accounts/types.ts';
import { resolveConfigPath } from '../config/paths.ts';
import type { Config } from '../config/schema.ts';
import { createUpstreamFetch } from '../providers/http.ts';
import { apiKeyProviders, type Provider } from '../providers/provider.ts';
import { verifyApiKey } from '../providers/verify-key.ts';
import { SUBSCRIPTION_LOGIN_NAMES, subscriptionIdOf } from '../providers/subscriptions.ts';
import { CliError } from './output.ts';
import { readSecret } from './prompt.ts';
import { configOrDefaults, openAccountStore } from './store.ts';

/** `--api-key` for a subscription login name: the API-key provider of the same vendor. */
const API_KEY_INSTEAD: Record<string, string> = { claude: 'anthropic', codex: 'openai', gemini: 'gemini', 'gemini-cli': 'gemini' };

export interface LoginOptions {
  label?: string;
  verify: boolean;
  browser: boolean;
  apiKey?: boolean;
  project?: string;
  timeout?: number;
  config?: string;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('add an account: a subscription login in the browser, or a provider API key checked with the provider first')
    .argument(
      '<provider>',
      'subscriptions: claude, codex, gemini, antigravity, copilot, qwen; API keys: openai, anthropic, gemini --api-key, openrouter, or an openai-compatible entry of config.yaml',
    )
    .option('--label <name>', "the account's name, unique per provider (default: its e-mail, or the key's last 4 characters)")
    .option('--no-browser', 'print the login URL instead of opening a browser (SSH), then paste the address the browser ends on')
    .option('--project <id>', 'gemini: the Google Cloud project to use with Code Assist')
    .option('--timeout <seconds>', 'how long to wait for the login in the browser (default 300)', parseSeconds)
    .option('--api-key', 'store an API key instead of a subscription login (claude → anthropic, codex → openai, gemini → AI Studio)')
    .option('--no-verify', 'store an API key without checking it (offline)')
    .option('--config <path>', 'config file')
    .action(async (name: string, options: LoginOptions) => {
      const configPath = resolveConfigPath(options.config);
      const config = await configOrDefaults(configPath);
      const subscription = options.apiKey ? undefined : subscriptionIdOf(name);
      // Loaded for a login only: its terminal UI (ora, readline) would stay in `serve`'s memory for nothing.
      if (subscription) return (await import('./login-subscription.ts')).loginSubscription(subscription, options, configPath, config);
      const provider = loginProvider(config, options.apiKey ? (API_KEY_INSTEAD[name] ?? name) : name);
      // Opened first: a store that does not work should fail before the key is typed.
      const store = await openAccountStore(configPath, config);
      const apiKey = await readSecret(`${provider.label} API key: `);
      if (apiKey === '') throw new CliError(`no API key given: type it at the prompt, or pipe it in (echo "$KEY" | llm-mux login ${provider.id})`);
      const label = options.label?.trim() ?? defaultLabel(apiKey);
      if (label === '') throw new CliError('--label must not be empty');
      const replaced = await accountToReplace(store, provider.id, label);
      if (options.verify) await verify(provider, apiKey, config);

      if (replaced) {
        await store.updateCredentials(replaced.id, { apiKey });
        console.log(`${chalk.green('Replaced')} the key of ${provider.id} account "${label}" (${replaced.id}) in the ${store.secrets.kind} store.`);
        return;
      }
      const record: AccountRecord = { id: `${provider.id}-${randomBytes(3).toString('hex')}`, provider: provider.id, label, createdAt: new Date().toISOString(), state: 'active' };
      await store.add(record, { apiKey });
      console.log(
        `${chalk.green('Added')} ${provider.id} account "${label}" (${record.id}) to the ${store.secrets.kind} store` +
          (options.verify ? '.' : `, ${chalk.yellow('not verified')}.`),
      );
    });
}

/** The provider `name` stores keys for, or an error listing the ones that can. */
function loginProvider(config: Config, name: string): Provider {
  const providers = apiKeyProviders(config);
  const provider = providers.find((candidate) => candidate.id === name);
  if (provider) return provider;
  const valid = `API-key providers: ${providers.map((candidate) => candidate.id).join(', ')}`;
  if (subscriptionIdOf(name)) throw new CliError(`${name} is a subscription login and takes no API key. ${valid}.`);
  if (name === 'ollama') throw new CliError(`ollama takes no key: add providers.ollama to config.yaml. ${valid}.`);
  throw new CliError(
    `unknown provider "${name}". Subscriptions: ${SUBSCRIPTION_LOGIN_NAMES.join(', ')}. ${valid} (openai-compatible entries in config.yaml by name).`,
  );
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!(seconds > 0)) throw new InvalidArgumentError('expected a number of seconds above 0');
  return seconds;
}

/** The key's last 4 characters, when they make a plain word; else `default`. */
function defaultLabel(apiKey: string): string {
  const tail = apiKey.slice(-4);
  return apiKey.length >= 12 && /^[A-Za-z0-9_-]{4}$/.test(tail) ? tail : 'default';
}

/**
 * The account a login under `label` renews: one that lost its secret (needs-login). A
 * working account under that label is an error: labels are unique per provider.
 */
async function accountToReplace(store: AccountStore, provider: string, label: string): Promise<AccountRecord | undefined> {
  const taken = (await store.index.list()).find((record) => record.provider === provider && record.label === label);
  if (!taken) return undefined;
  if (taken.state === 'needs-login' || (await store.secrets.get(taken.id)) === undefined) return taken;
  throw new CliError(
    `${provider} already has an account labelled "${label}" (${taken.id}): choose another --label, or remove it first with \`llm-mux logout ${provider} ${shellQuote(label)}\``,
  );
}

async function verify(provider: Provider, apiKey: string, config: Config): Promise<void> {
  // Loaded here, not with the CLI: ora would stay in `serve`'s memory for nothing.
  const { default: ora } = await import('ora');
  const spinner = ora({ text: `Checking the key with ${provider.label}…`, stream: process.stderr }).start();
  const verdict = await verifyApiKey(provider, apiKey, await createUpstreamFetch(config['proxy-url']));
  if (verdict.kind === 'valid') {
    spinner.succeed(`${provider.label} accepted the key`);
    return;
  }
  spinner.stop();
  const detail = (text: string) => (text ? `: ${text}` : '');
  switch (verdict.kind) {
    case 'rejected':
      throw new CliError(`${provider.label} rejected the key (HTTP ${verdict.status}${detail(verdict.detail)}); nothing was stored`);
    case 'failed':
      throw new CliError(
        `${provider.label} answered HTTP ${verdict.status} to ${verdict.url}${detail(verdict.detail)}; nothing was stored. ` +
          'Try again, or store the key unchecked with --no-verify',
      );
    case 'unreachable':
      throw new CliError(
        `could not reach ${verdict.url} (${verdict.detail}); nothing was stored. Offline? Store the key unchecked: llm-mux login ${provider.id} --no-verify`,
      );
  }
}
