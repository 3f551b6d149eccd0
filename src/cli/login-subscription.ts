import { randomBytes } from 'node:crypto';
import chalk from 'chalk';
import type { AccountRecord } from '../accounts/types.ts';
import type { Config } from '../config/schema.ts';
import { createUpstreamFetch } from '../providers/http.ts';
import type { LoginResult, SubscriptionProvider } from '../providers/subscription.ts';
import type { SubscriptionId } from '../providers/subscription-defaults.ts';
import { settingsFromConfig, SUBSCRIPTION_PROVIDERS } from '../providers/subscriptions.ts';
import type { LoginOptions } from './login.ts';
import { terminalLoginUi } from './login-ui.ts';
import { CliError } from './output.ts';
import { openAccountStore } from './store.ts';

/**
 * `llm-mux login <subscription>`: runs the provider's login, then stores the account.
 * Logging in again to an account already stored (same label, or same e-mail without
 * --label) renews its credentials in place, which also ends a needs-login state.
 */
export async function loginSubscription(id: SubscriptionId, options: LoginOptions, configPath: string, config: Config): Promise<void> {
  // Opened first: a store that does not work should fail before the browser opens.
  const store = await openAccountStore(configPath, config);
  const provider: SubscriptionProvider = SUBSCRIPTION_PROVIDERS[id];
  const ui = terminalLoginUi();
  let result: LoginResult;
  try {
    result = await runLogin(id, config, options, ui);
  } finally {
    ui.close();
  }

  const label = options.label?.trim() || result.email || 'default';
  const existing = (await store.index.list()).find(
    (record) => record.provider === id && (record.label === label || (options.label === undefined && result.email !== undefined && record.email === result.email)),
  );
  const expiresAt = result.credentials.expiresAt === undefined ? undefined : new Date(result.credentials.expiresAt).toISOString();
  if (existing) {
    await store.updateCredentials(existing.id, result.credentials);
    await store.update(existing.id, { email: result.email ?? existing.email, expiresAt, lastError: undefined, state: existing.state === 'disabled' ? 'disabled' : 'active' });
    console.log(`${chalk.green('Renewed')} ${provider.label} account "${existing.label}" (${existing.id}) in the ${store.secrets.kind} store.`);
    // Without an e-mail the label alone matched: it may have been another account, so say how to keep both.
    if (result.email === undefined && options.label === undefined) console.log('To add another account instead, log in with --label <name>.');
    return;
  }
  const record: AccountRecord = {
    id: `${id}-${randomBytes(3).toString('hex')}`,
    provider: id,
    label,
    ...(result.email ? { email: result.email } : {}),
    createdAt: new Date().toISOString(),
    ...(expiresAt ? { expiresAt } : {}),
    state: 'active',
  };
  await store.add(record, result.credentials);
  console.log(
    `${chalk.green('Added')} ${provider.label} account ${chalk.bold(result.email ?? label)} (${record.id}) to the ${store.secrets.kind} store.`,
  );
}

function runLogin<Id extends SubscriptionId>(id: Id, config: Config, options: LoginOptions, ui: ReturnType<typeof terminalLoginUi>): Promise<LoginResult> {
  const provider: SubscriptionProvider<Id> = SUBSCRIPTION_PROVIDERS[id];
  if (options.project !== undefined && id !== 'gemini-cli' && id !== 'antigravity') throw new CliError('--project is for gemini and antigravity logins only');
  return createUpstreamFetch(config['proxy-url']).then((fetch) =>
    provider.login({
      settings: settingsFromConfig(config, id),
      fetch,
      ui,
      noBrowser: !options.browser,
      project: options.project,
      timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
    }),
  );
}
