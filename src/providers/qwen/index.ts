/**
 * Qwen Code's OAuth (docs/providers.md §6): a device login with PKCE, then OpenAI Chat at
 * the host the token names. Legacy: the free tier behind this login ended on 2026-04-15;
 * whether a paid plan still works through it is unconfirmed.
 */
import type { Credentials } from '../../accounts/types.ts';
import { TokenError } from '../../auth/errors.ts';
import { loginWithDeviceCode } from '../../auth/device-login-ui.ts';
import type { DeviceFlowClient } from '../../auth/device-flow.ts';
import { refreshTokens, stringField, toCredentials, type TokenEndpoint, type TokenSet } from '../../auth/token-client.ts';
import { upstreamTarget } from '../endpoints.ts';
import type { UpstreamFetch } from '../http.ts';
import type { SubscriptionProvider, SubscriptionSettings } from '../subscription.ts';
import { postAdapter } from '../upstream.ts';

type Settings = SubscriptionSettings<'qwen'>;

function qwenTokenEndpoint(settings: Settings, fetch: UpstreamFetch): TokenEndpoint {
  return {
    url: settings.endpoints.token,
    clientId: settings.identity['client-id'],
    encoding: 'form',
    // Alibaba's firewall turns away requests without a User-Agent, the OAuth ones included.
    headers: { 'user-agent': settings.identity['user-agent'] },
    fetch,
  };
}

function qwenDeviceClient(settings: Settings, fetch: UpstreamFetch): DeviceFlowClient {
  return { ...qwenTokenEndpoint(settings, fetch), deviceCodeUrl: settings.endpoints['device-code'], scope: settings.identity.scopes, pkce: true };
}

/** The token's `resource_url` as an API base: `portal.qwen.ai` → `https://portal.qwen.ai/v1`. */
export function qwenApiBase(resourceUrl: string): string {
  const withScheme = /^https?:\/\//i.test(resourceUrl) ? resourceUrl : `https://${resourceUrl}`;
  const base = withScheme.replace(/\/+$/, '');
  return base.endsWith('/v1') ? base : `${base}/v1`;
}

/** What to store from a token answer; the API base only when the answer names one, so a refresh without it keeps the old. */
function qwenCredentials(tokens: TokenSet): Credentials {
  const resourceUrl = stringField(tokens.raw, 'resource_url');
  return toCredentials(tokens, resourceUrl ? { apiBase: qwenApiBase(resourceUrl) } : undefined);
}

export const qwenProvider: SubscriptionProvider<'qwen'> = {
  id: 'qwen',
  label: 'Qwen Code (legacy: its free tier ended 2026-04-15)',
  protocol: 'openai-chat',
  models: ['qwen3-coder-plus', 'qwen3-coder-flash', 'coder-model', 'vision-model'],

  async login({ settings, fetch, ui, noBrowser, timeoutMs }) {
    // Qwen reads no user info: the account is named by its label alone.
    const tokens = await loginWithDeviceCode(qwenDeviceClient(settings, fetch), { ui, noBrowser, timeoutMs });
    return { credentials: qwenCredentials(tokens) };
  },

  refresher(settings, fetch) {
    return async (credentials) => {
      if (!credentials.refreshToken) throw new TokenError('no refresh token is stored for this account — run the login again', true);
      return qwenCredentials(await refreshTokens(qwenTokenEndpoint(settings, fetch), credentials.refreshToken));
    };
  },

  adapter(settings) {
    return postAdapter((call) => {
      const base = call.credential?.extra.apiBase ?? settings.endpoints.api;
      const target = upstreamTarget('openai-chat', base, call.model, call.stream, call.credential?.secret);
      const userAgent = settings.identity['user-agent'];
      const headers = {
        ...target.headers,
        'user-agent': userAgent,
        'x-dashscope-useragent': userAgent,
        'x-dashscope-authtype': 'qwen-oauth',
        'x-dashscope-cachecontrol': 'enable',
      };
      return { url: target.url, headers };
    });
  },
};
