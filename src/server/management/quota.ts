import type { Hono } from 'hono';
import type { UsableCredentials } from '../../accounts/tokens.ts';
import type { Config } from '../../config/schema.ts';
import { ProxyError } from '../../core/errors.ts';
import type { UpstreamFetch } from '../../providers/http.ts';
import { QuotaError } from '../../providers/quota.ts';
import type { QuotaReport, SubscriptionId, SubscriptionProvider } from '../../providers/subscription.ts';
import { isSubscriptionId, settingsFromConfig, SUBSCRIPTION_PROVIDERS } from '../../providers/subscriptions.ts';
import type { Runtime } from '../runtime.ts';

/** `GET /accounts/:id/quota`: the account and what its provider's usage endpoint says is left of its plan. */
export interface AccountQuota extends QuotaReport {
  id: string;
  provider: string;
}

/**
 * What is left of a subscription account's plan, read from its provider with a valid
 * access token (refreshed first when due). 404 for an unknown account, 501 for accounts
 * whose provider has no usage endpoint (API keys, Qwen), 502 naming the upstream's status
 * when the usage endpoint fails.
 */
export function registerQuotaRoute(app: Hono, runtime: Runtime): void {
  app.get('/accounts/:id/quota', async (c) => {
    const id = c.req.param('id');
    const provider = quotaProvider(runtime, id);
    const credentials = await runtime.tokens.credentials(id);
    const read = (usable: UsableCredentials) => readQuota(provider, runtime.config, usable, runtime.state.fetch);
    const report = await read(credentials)
      // A token refused before its expiry (revoked, or renewed by another client): refreshed once, as requests are.
      .catch(async (error: unknown) => {
        if (!(error instanceof QuotaError && error.upstreamStatus === 401)) throw error;
        return read(await runtime.tokens.refreshAfterUnauthorized(id, credentials.accessToken));
      })
      .catch((error: unknown) => {
        if (!(error instanceof QuotaError)) throw error;
        // QuotaError messages name the endpoint and the upstream's status and message, never a token.
        runtime.logger.warn('account quota not read', { account: id, provider, error: error.message, status: error.upstreamStatus });
        throw new ProxyError('upstream', error.message, { status: 502, code: 'quota_upstream_error' });
      });
    const answer: AccountQuota = { id, provider, ...report };
    return c.json(answer);
  });
}

/** The subscription the stored account `id` belongs to, when that provider reports quota; otherwise the error to answer. */
function quotaProvider(runtime: Runtime, id: string): SubscriptionId {
  const record = runtime.state.accounts.find((account) => account.record.id === id)?.record;
  if (!record) {
    const configKey = runtime.state.router.providers.some((provider) => provider.pool?.status().some((member) => member.id === id));
    if (configKey) throw noQuota(`"${id}" is an API key from config.yaml; API keys have no plan quota to read.`);
    throw new ProxyError('not_found', `No account "${id}".`, { code: 'unknown_account' });
  }
  if (!isSubscriptionId(record.provider)) throw noQuota(`${record.provider} account "${record.label}" is an API key; API keys have no plan quota to read.`);
  if (!SUBSCRIPTION_PROVIDERS[record.provider].quota) {
    throw noQuota(`${SUBSCRIPTION_PROVIDERS[record.provider].label} has no usage endpoint llm-mux can read.`);
  }
  return record.provider;
}

function noQuota(message: string): ProxyError {
  return new ProxyError('invalid_request', message, { status: 501, code: 'quota_unsupported' });
}

function readQuota<Id extends SubscriptionId>(id: Id, config: Config, credentials: UsableCredentials, fetch: UpstreamFetch): Promise<QuotaReport> {
  const provider: SubscriptionProvider<Id> = SUBSCRIPTION_PROVIDERS[id];
  return provider.quota!(settingsFromConfig(config, id), credentials, fetch);
}
