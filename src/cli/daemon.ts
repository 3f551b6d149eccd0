import type { Config } from '../config/schema.ts';
import type { AccountView } from '../server/management/accounts.ts';

/** The env var that gives CLI commands the management key, to ask a running daemon. */
export const MANAGEMENT_KEY_ENV = 'LLM_MUX_MANAGEMENT_KEY';

const DAEMON_TIMEOUT_MS = 1_500;

/**
 * What the daemon serving `config` knows about its accounts (cooldowns live only in its
 * memory), or undefined when there is no management key to ask with or no daemon answers.
 */
export async function daemonAccounts(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<AccountView[] | undefined> {
  const key = env[MANAGEMENT_KEY_ENV];
  if (!key) return undefined;
  // A wildcard bind is reached on loopback.
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/v0/management/accounts`;
  try {
    const response = await fetch(url, { headers: { 'x-management-key': key }, signal: AbortSignal.timeout(DAEMON_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    return ((await response.json()) as { accounts: AccountView[] }).accounts;
  } catch {
    return undefined;
  }
}
