/**
 * Claude Pro/Max through Claude Code's OAuth client (docs/providers.md §1): a browser
 * login with PKCE, rotating refresh tokens, and the Messages API with Claude Code's
 * headers and identity system prompt.
 */
import { BUILTIN_PROVIDERS } from '../definitions.ts';
import type { SubscriptionProvider } from '../subscription.ts';
import { claudeAdapter } from './adapter.ts';
import { login, refresher } from './login.ts';
import { claudeQuota } from './quota.ts';

export const claudeProvider: SubscriptionProvider<'claude'> = {
  id: 'claude',
  label: 'Claude (Pro/Max)',
  protocol: 'anthropic',
  // The same Claude models as the API; whether /v1/models answers an OAuth token is unconfirmed.
  models: BUILTIN_PROVIDERS.anthropic.models,
  login,
  refresher,
  adapter: claudeAdapter,
  quota: claudeQuota,
};
