/**
 * GitHub Copilot (docs/providers.md §5): a GitHub device login gives a GitHub token that
 * never rotates; it is stored as the refresh token and traded for the short-lived Copilot
 * token the API takes, which is the account's access token.
 */
import { TokenError } from '../../auth/errors.ts';
import { loginWithDeviceCode } from '../../auth/device-login-ui.ts';
import type { DeviceFlowClient } from '../../auth/device-flow.ts';
import type { UpstreamFetch } from '../http.ts';
import type { SubscriptionProvider, SubscriptionSettings } from '../subscription.ts';
import { copilotAdapter, listCopilotModels } from './api.ts';
import { exchangeCopilotToken, githubLogin } from './github.ts';
import { copilotQuota } from './quota.ts';

function githubDeviceClient(settings: SubscriptionSettings<'copilot'>, fetch: UpstreamFetch): DeviceFlowClient {
  return {
    url: settings.endpoints.token,
    deviceCodeUrl: settings.endpoints['device-code'],
    clientId: settings.identity['client-id'],
    scope: settings.identity.scopes,
    fetch,
  };
}

export const copilotProvider: SubscriptionProvider<'copilot'> = {
  id: 'copilot',
  label: 'GitHub Copilot',
  protocol: 'openai-chat',
  models: ['gpt-4.1', 'gpt-4o', 'gpt-5-mini', 'claude-sonnet-4', 'claude-sonnet-4.5', 'gemini-2.5-pro', 'o4-mini'],

  async login({ settings, fetch, ui, noBrowser, timeoutMs }) {
    const github = await loginWithDeviceCode(githubDeviceClient(settings, fetch), { ui, noBrowser, timeoutMs });
    // The exchange first: it is what tells an account without Copilot apart.
    const credentials = await exchangeCopilotToken(settings, fetch, github.accessToken);
    return { credentials, email: await githubLogin(settings, fetch, github.accessToken) };
  },

  refresher(settings, fetch) {
    return async (credentials) => {
      if (!credentials.refreshToken) throw new TokenError('no GitHub token is stored for this account — run the login again', true);
      return exchangeCopilotToken(settings, fetch, credentials.refreshToken);
    };
  },

  adapter: copilotAdapter,
  listModels: listCopilotModels,
  quota: copilotQuota,
};
