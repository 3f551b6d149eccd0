import { randomUUID } from 'node:crypto';
import { wrapCodeAssistRequest } from '../../protocols/gemini/code-assist.ts';
import { codeAssistLogin } from '../code-assist/login.ts';
import { DEFAULT_ONBOARDING_PACE, type OnboardingPace } from '../code-assist/project.ts';
import { googleRefresher } from '../code-assist/google-oauth.ts';
import { unwrapCodeAssistAnswer } from '../code-assist/unwrap.ts';
import type { SubscriptionProvider, SubscriptionSettings } from '../subscription.ts';
import type { UpstreamAdapter, UpstreamCall } from '../upstream.ts';
import { geminiCliQuota } from './quota.ts';

/** The Gemini CLI client's body metadata (docs/providers.md §3). */
const GEMINI_CLI_METADATA = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };

const MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-3-pro-preview', 'gemini-3-flash-preview'];

/** Gemini Code Assist through Gemini CLI's OAuth client; `pace` shortens the onboarding polls (tests). */
export function createGeminiCliProvider(pace: Partial<OnboardingPace> = {}): SubscriptionProvider<'gemini-cli'> {
  return {
    id: 'gemini-cli',
    label: 'Gemini (Code Assist, Google account)',
    protocol: 'gemini',
    models: MODELS,
    login: (context) =>
      codeAssistLogin(context, {
        // Gemini CLI's client takes any loopback port on 127.0.0.1, without PKCE.
        callback: { port: 0, path: '/oauth2callback', redirectHost: '127.0.0.1' },
        pkce: false,
        api: context.settings.endpoints.api,
        headers: identityHeaders(context.settings, MODELS[0]!),
        discovery: {
          metadata: GEMINI_CLI_METADATA,
          fallbackTier: 'legacy-tier',
          ...DEFAULT_ONBOARDING_PACE,
          ...pace,
        },
      }),
    refresher: googleRefresher,
    adapter: geminiCliAdapter,
    quota: (settings, credentials, fetch) => geminiCliQuota(settings, credentials, fetch, identityHeaders(settings, MODELS[0]!)),
  };
}

export const geminiCliProvider = createGeminiCliProvider();

/** `{model, project, user_prompt_id, request}` to `:generateContent` or `:streamGenerateContent?alt=sse`; the answer unwrapped. */
function geminiCliAdapter(settings: SubscriptionSettings<'gemini-cli'>): UpstreamAdapter {
  return {
    async send(call) {
      const method = call.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
      const response = await call.fetch(`${settings.endpoints.api}/v1internal:${method}`, {
        method: 'POST',
        headers: requestHeaders(settings, call),
        body: JSON.stringify(envelope(call)),
        signal: call.signal,
      });
      return unwrapCodeAssistAnswer(response);
    },
  };
}

function envelope(call: UpstreamCall) {
  const project = call.credential?.extra.project;
  return wrapCodeAssistRequest(JSON.parse(call.body) as Record<string, unknown>, {
    model: call.model,
    ...(project ? { project } : {}),
    userPromptId: randomUUID(),
  });
}

function requestHeaders(settings: SubscriptionSettings<'gemini-cli'>, call: UpstreamCall): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: call.stream ? 'text/event-stream' : 'application/json',
    ...(call.credential ? { authorization: `Bearer ${call.credential.secret}` } : {}),
    ...identityHeaders(settings, call.model),
  };
}

/** Gemini CLI names the model in its user agent. */
function identityHeaders(settings: SubscriptionSettings<'gemini-cli'>, model: string): Record<string, string> {
  return {
    'user-agent': settings.identity['user-agent'].replaceAll('{model}', model),
    'x-goog-api-client': settings.identity['x-goog-api-client'],
  };
}
