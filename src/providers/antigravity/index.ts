import { isRecord } from '../../core/json.ts';
import type { UsableCredentials } from '../../accounts/tokens.ts';
import type { Credentials } from '../../accounts/types.ts';
import { googleRefresher } from '../code-assist/google-oauth.ts';
import { codeAssistLogin } from '../code-assist/login.ts';
import { DEFAULT_ONBOARDING_PACE, type OnboardingPace } from '../code-assist/project.ts';
import { unwrapCodeAssistAnswer } from '../code-assist/unwrap.ts';
import type { UpstreamFetch } from '../http.ts';
import { quotaAnswer } from '../quota.ts';
import type { QuotaReport, SubscriptionProvider, SubscriptionSettings } from '../subscription.ts';
import type { UpstreamAdapter } from '../upstream.ts';
import { antigravityRequest } from './envelope.ts';
import { postWithHostFallback } from './hosts.ts';
import { rejectOutdatedVersion } from './outdated-version.ts';
import { modelQuotaWindows } from './quota.ts';

type Settings = SubscriptionSettings<'antigravity'>;

/** Antigravity's ClientMetadata in loadCodeAssist / onboardUser. */
const ANTIGRAVITY_METADATA = { ideType: 'ANTIGRAVITY', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };

/** Gemini models the Antigravity backend serves (its Claude and GPT-OSS models need request rewriting not done here). */
const MODELS = ['gemini-3-pro-high', 'gemini-3-pro-low', 'gemini-3-flash', 'gemini-2.5-flash', 'gemini-2.5-flash-lite'];

/** Google's Antigravity IDE subscription through its OAuth client; `pace` shortens the onboarding polls (tests). */
export function createAntigravityProvider(pace: Partial<OnboardingPace> = {}): SubscriptionProvider<'antigravity'> {
  return {
    id: 'antigravity',
    label: 'Antigravity (Google account)',
    protocol: 'gemini',
    models: MODELS,
    login: (context) =>
      codeAssistLogin(context, {
        // The client registered only http://localhost:<callback-port>/oauth-callback.
        callback: { port: Number(context.settings.identity['callback-port']), path: '/oauth-callback', redirectHost: 'localhost' },
        pkce: true,
        api: context.settings.endpoints.production,
        headers: identityHeaders(context.settings, 'setup-user-agent'),
        discovery: {
          metadata: ANTIGRAVITY_METADATA,
          fallbackTier: 'free-tier',
          ...DEFAULT_ONBOARDING_PACE,
          ...pace,
        },
      }),
    refresher: googleRefresher,
    adapter: antigravityAdapter,
    listModels,
    quota,
  };
}

export const antigravityProvider = createAntigravityProvider();

/** The enveloped request to the daily host, then production; the answer unwrapped and checked for the outdated-version notice. */
function antigravityAdapter(settings: Settings): UpstreamAdapter {
  return {
    async send(call) {
      const method = call.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
      const project = call.credential?.extra.project;
      const body = antigravityRequest(JSON.parse(call.body) as Record<string, unknown>, { model: call.model, ...(project ? { project } : {}) });
      const response = await postWithHostFallback(call.fetch, hosts(settings), `/v1internal:${method}`, {
        headers: requestHeaders(settings, call.credential?.secret, call.stream),
        body: JSON.stringify(body),
        signal: call.signal,
      });
      return rejectOutdatedVersion(await unwrapCodeAssistAnswer(response), settings.identity.version);
    },
  };
}

/** `:fetchAvailableModels` answers `{models: {<id>: {…}}}` for the account's project: the model list, and each model's quota. */
function postAvailableModels(settings: Settings, credentials: Credentials, fetch: UpstreamFetch, signal: AbortSignal): Promise<Response> {
  return postWithHostFallback(fetch, hosts(settings), '/v1internal:fetchAvailableModels', {
    headers: requestHeaders(settings, credentials.accessToken, false),
    body: JSON.stringify(credentials.extra?.project ? { project: credentials.extra.project } : {}),
    signal,
  });
}

async function listModels(settings: Settings, credentials: Credentials, fetch: UpstreamFetch): Promise<string[]> {
  const response = await postAvailableModels(settings, credentials, fetch, AbortSignal.timeout(30_000));
  if (!response.ok) throw new Error(`Antigravity's model list answered HTTP ${response.status}`);
  const answer: unknown = await response.json();
  if (!isRecord(answer) || !isRecord(answer.models)) throw new Error("Antigravity's model list has no `models` object");
  return Object.keys(clientModels(answer.models));
}

async function quota(settings: Settings, credentials: UsableCredentials, fetch: UpstreamFetch): Promise<QuotaReport> {
  const answer = await quotaAnswer("Antigravity's model list", (signal) => postAvailableModels(settings, credentials, fetch, signal));
  return { windows: modelQuotaWindows(clientModels(isRecord(answer.models) ? answer.models : {})) };
}

/** Ids the list carries for Antigravity's own internal agents (`chat_20706`), which no client can ask for. */
const INTERNAL_MODEL = /^chat_\d+$/;

function clientModels(models: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(models).filter(([id]) => !INTERNAL_MODEL.test(id)));
}

function hosts(settings: Settings): string[] {
  return [settings.endpoints.daily, settings.endpoints.production];
}

function requestHeaders(settings: Settings, accessToken: string | undefined, stream: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    ...identityHeaders(settings, 'user-agent'),
  };
}

/** The user agent (generation's, or the setup calls' longer one) with the configured version. */
function identityHeaders(settings: Settings, agent: 'user-agent' | 'setup-user-agent'): Record<string, string> {
  return {
    'user-agent': settings.identity[agent].replaceAll('{version}', settings.identity.version),
    'x-goog-api-client': settings.identity['x-goog-api-client'],
  };
}
