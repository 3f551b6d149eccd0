import type { Hono } from 'hono';
import { z } from 'zod';
import { UnknownAccountError } from '../../accounts/index-file.ts';
import type { MemberStatus } from '../../accounts/provider-pool.ts';
import type { AccountRecord } from '../../accounts/types.ts';
import { ProxyError } from '../../core/errors.ts';
import type { Runtime } from '../runtime.ts';
import { readJson } from './json.ts';
import { registerQuotaRoute } from './quota.ts';

const disableBody = z.strictObject({ disabled: z.boolean() });

/** An account or config key as the management API shows it: state and cooldowns, never a secret. */
export interface AccountView extends Partial<Omit<AccountRecord, 'id' | 'provider' | 'label' | 'state'>> {
  id: string;
  provider: string;
  label: string;
  /** `config`: a key in config.yaml (change it there); `store`: an account from `llm-mux login`. */
  source: 'config' | 'store';
  state: AccountRecord['state'];
  /** Model families it rests for after a 429, with when each rest ends. */
  cooldowns: Array<{ family: string; until: string; retryAfterSeconds: number }>;
}

/** `/accounts`: list, disable / enable, delete, and a subscription's quota. Changes apply to the running pools at once. */
export function registerAccountRoutes(app: Hono, runtime: Runtime): void {
  app.get('/accounts', (c) => c.json({ accounts: accountViews(runtime) }));

  app.put('/accounts/:id', async (c) => {
    const id = storedAccountId(c.req.param('id'));
    const { disabled } = disableBody.parse(await readJson(c));
    // Enabling gives back an account that was disabled; one that needs a login keeps needing it.
    await runtime.accounts.index
      .update(id, (current) => (disabled ? { state: 'disabled' } : current.state === 'disabled' ? { state: 'active' } : {}))
      .catch(notFound(id));
    await runtime.reloadAccounts();
    runtime.logger.info(disabled ? 'account disabled' : 'account enabled', { account: id });
    return c.json(accountViews(runtime).find((view) => view.id === id));
  });

  app.delete('/accounts/:id', async (c) => {
    const id = storedAccountId(c.req.param('id'));
    if (!(await runtime.accounts.index.list()).some((record) => record.id === id)) notFound(id)(new UnknownAccountError(id));
    const store = await runtime.accounts.store(runtime.config['credential-store']).catch((error: Error) => {
      throw new ProxyError('unavailable', `The credential store cannot be opened: ${error.message}`, { code: 'credential_store_unavailable' });
    });
    await store.remove(id);
    await runtime.reloadAccounts();
    runtime.logger.info('account removed', { account: id });
    return c.json({ status: 'ok' });
  });

  registerQuotaRoute(app, runtime);
}

/** Config keys first (in provider order), then the stored accounts in index order. */
export function accountViews(runtime: Runtime): AccountView[] {
  const { router, accounts } = runtime.state;
  const now = Date.now();
  const cooldowns = new Map<string, AccountView['cooldowns']>();
  const views: AccountView[] = [];
  for (const provider of router.providers) {
    for (const member of provider.pool?.status() ?? []) {
      cooldowns.set(member.id, cooldownViews(member.cooldowns, now));
      if (member.source === 'config') {
        views.push({ id: member.id, provider: provider.id, label: member.label, source: 'config', state: member.state, cooldowns: cooldowns.get(member.id)! });
      }
    }
  }
  for (const { record } of accounts) views.push({ ...record, source: 'store', cooldowns: cooldowns.get(record.id) ?? [] });
  return views;
}

function cooldownViews(entries: MemberStatus['cooldowns'], now: number): AccountView['cooldowns'] {
  return entries.map(({ family, until }) => ({
    family,
    until: new Date(until).toISOString(),
    retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)),
  }));
}

/** Config keys are pool members too, but they live in config.yaml: they are changed there. */
function storedAccountId(id: string): string {
  if (id.startsWith('config:')) {
    throw new ProxyError('invalid_request', `"${id}" is an API key from config.yaml: edit or remove it there (PUT /v0/management/config.yaml).`, {
      code: 'config_key',
    });
  }
  return id;
}

function notFound(id: string) {
  return (error: unknown): never => {
    if (error instanceof UnknownAccountError) throw new ProxyError('not_found', `No account "${id}".`, { code: 'unknown_account' });
    throw error;
  };
}
