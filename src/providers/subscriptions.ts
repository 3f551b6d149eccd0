import { antigravityProvider } from './antigravity/index.ts';
import { claudeProvider } from './claude/index.ts';
import { codexProvider } from './codex/index.ts';
import { copilotProvider } from './copilot/index.ts';
import { geminiCliProvider } from './gemini-cli/index.ts';
import { qwenProvider } from './qwen/index.ts';
import type { SubscriptionId, SubscriptionProvider } from './subscription.ts';
import { SUBSCRIPTION_IDS, subscriptionSettings, type SubscriptionSettings } from './subscription-defaults.ts';
import type { RefreshFn } from '../accounts/tokens.ts';
import type { Config, SubscriptionProviderConfig } from '../config/schema.ts';
import type { UpstreamFetch } from './http.ts';

/** Every subscription provider, by id (which is also its accounts' `provider`). */
export const SUBSCRIPTION_PROVIDERS: { readonly [Id in SubscriptionId]: SubscriptionProvider<Id> } = {
  claude: claudeProvider,
  codex: codexProvider,
  'gemini-cli': geminiCliProvider,
  antigravity: antigravityProvider,
  copilot: copilotProvider,
  qwen: qwenProvider,
};

/** `llm-mux login <name>`: the name people type for a subscription, where it is not its id. */
const LOGIN_NAME: Partial<Record<SubscriptionId, string>> = { 'gemini-cli': 'gemini' };

/** What `llm-mux login` accepts for subscriptions, as people type them. */
export const SUBSCRIPTION_LOGIN_NAMES = SUBSCRIPTION_IDS.map((id) => LOGIN_NAME[id] ?? id);

/** The subscription a login name (or id) means. */
export function subscriptionIdOf(name: string): SubscriptionId | undefined {
  return SUBSCRIPTION_IDS.find((id) => LOGIN_NAME[id] === name) ?? (isSubscriptionId(name) ? name : undefined);
}

export function isSubscriptionId(provider: string): provider is SubscriptionId {
  return (SUBSCRIPTION_IDS as string[]).includes(provider);
}

/** A provider's endpoints and identity strings with config.yaml's overrides. */
export function settingsFromConfig<Id extends SubscriptionId>(config: Config, id: Id): SubscriptionSettings<Id> {
  const entry: SubscriptionProviderConfig | undefined = config.providers[id];
  const project = entry && 'project' in entry && typeof entry.project === 'string' ? entry.project : undefined;
  return subscriptionSettings(id, { endpoints: entry?.endpoints, identity: entry?.identity, project });
}

/** The provider's token refresh with the endpoints and identity `config` sets. */
export function refresherFor<Id extends SubscriptionId>(id: Id, config: Config, fetch: UpstreamFetch): RefreshFn {
  const provider: SubscriptionProvider<Id> = SUBSCRIPTION_PROVIDERS[id];
  return provider.refresher(settingsFromConfig(config, id), fetch);
}
