/**
 * A ChatGPT plan through Codex CLI's OAuth client (docs/providers.md §2): a browser login
 * with PKCE on Codex's fixed callback port, rotating refresh tokens, and the Responses API
 * on chatgpt.com with Codex's headers, which only streams.
 */
import type { SubscriptionProvider } from '../subscription.ts';
import { codexAdapter } from './adapter.ts';
import { login, refresher } from './login.ts';
import { CODEX_MODELS, listModels } from './models.ts';
import { codexQuota } from './quota.ts';

export const codexProvider: SubscriptionProvider<'codex'> = {
  id: 'codex',
  label: 'ChatGPT (Codex)',
  protocol: 'openai-responses',
  models: CODEX_MODELS,
  login,
  refresher,
  adapter: codexAdapter,
  listModels,
  quota: codexQuota,
};
