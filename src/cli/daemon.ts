import type { Config } from '../config/schema.ts';
import type { AccountView } from '../server/management/accounts.ts';
import type { AccountQuota } from '../server/management/quota.ts';

/** The env var that gives CLI commands the management key, to ask a running daemon. */
export const MANAGEMENT_KEY_ENV = 'LLM_MUX_MANAGEMENT_KEY';

const DAEMON_TIMEOUT_MS = 1_500;
/** The daemon may refresh the token before it asks the usage endpoint, which it gives 15 s. */
const QUOTA_TIMEOUT_MS = 20_000;

/**
 * What the daemon serving `config` knows about its accounts (cooldowns live only in its
 * memory), or undefined when there is no management key to ask with or no daemon answers.
 */
export async function daemonAccounts(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<AccountView[] | undefined> {
  const key = env[MANAGEMENT_KEY_ENV];
  if (!key) return undefined;
  try {
    const response = await fetch(managementUrl(config, 'accounts'), { headers: { 'x-management-key': key }, signal: AbortSignal.timeout(DAEMON_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    return ((await response.json()) as { accounts: AccountView[] }).accounts;
  } catch {
    return undefined;
  }
}

/** One account's quota as the daemon read it, or what went wrong (the daemon's own message). */
export type DaemonQuota = { quota: AccountQuota } | { error: string };

/** Asks the daemon for what is left of a subscription account's plan; `key` is the management key. */
export async function daemonQuota(config: Config, accountId: string, key: string): Promise<DaemonQuota> {
  const url = managementUrl(config, `accounts/${encodeURIComponent(accountId)}/quota`);
  try {
    const response = await fetch(url, { headers: { 'x-management-key': key }, signal: AbortSignal.timeout(QUOTA_TIMEOUT_MS) });
    const body: unknown = await response.json().catch(() => undefined);
    if (response.ok && body) return { quota: body as AccountQuota };
    const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
    return { error: typeof message === 'string' ? message : `the daemon answered HTTP ${response.status}` };
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name === 'TimeoutError') return { error: `the daemon gave no answer within ${QUOTA_TIMEOUT_MS / 1000} s` };
    return { error: `no llm-mux daemon answered at ${managementUrl(config, '')}` };
  }
}

/** The management API of the daemon `config` describes: a wildcard bind is reached on loopback. */
export function managementUrl(config: Config, path: string): string {
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/v0/management/${path}`;
}
