/**
 * The Copilot API (docs/providers.md §5 "Upstream"): OpenAI Chat at the host the Copilot
 * token names, with the VS Code Copilot Chat plugin's headers.
 */
import { isRecord, parseJsonRecord } from '../../core/json.ts';
import { randomUUID } from 'node:crypto';
import type { Credentials } from '../../accounts/types.ts';
import { upstreamTarget } from '../endpoints.ts';
import type { UpstreamFetch } from '../http.ts';
import type { SubscriptionSettings } from '../subscription.ts';
import { postAdapter, type UpstreamAdapter } from '../upstream.ts';

type Settings = SubscriptionSettings<'copilot'>;

const MODEL_LIST_TIMEOUT_MS = 30_000;

/** The editor headers every Copilot API call carries. */
export function copilotHeaders(settings: Settings): Record<string, string> {
  const { identity } = settings;
  return {
    'editor-version': identity['editor-version'],
    'editor-plugin-version': identity['editor-plugin-version'],
    'user-agent': identity['user-agent'],
    'copilot-integration-id': identity['copilot-integration-id'],
    'x-github-api-version': identity['x-github-api-version'],
    'openai-intent': 'conversation-panel',
    'x-request-id': randomUUID(),
  };
}

/** What the chat headers tell Copilot about a request: who started the turn, and whether it holds images. */
export interface ChatTraits {
  /** `agent` once the conversation holds an assistant or tool message: the turn continues the model's own work. */
  initiator: 'user' | 'agent';
  vision: boolean;
}

export function chatTraits(body: string): ChatTraits {
  const { messages } = parseJsonRecord(body) ?? {};
  const list = Array.isArray(messages) ? messages.filter(isRecord) : [];
  return {
    initiator: list.some((message) => message.role === 'assistant' || message.role === 'tool') ? 'agent' : 'user',
    vision: list.some((message) => Array.isArray(message.content) && message.content.some((part) => isRecord(part) && part.type === 'image_url')),
  };
}

/** The API host of the account's current Copilot token. */
function apiBase(settings: Settings, extra: Readonly<Record<string, string>> | undefined): string {
  return extra?.apiBase ?? settings.endpoints.api;
}

export function copilotAdapter(settings: Settings): UpstreamAdapter {
  return postAdapter((call) => {
    const target = upstreamTarget('openai-chat', apiBase(settings, call.credential?.extra), call.model, call.stream, call.credential?.secret);
    const traits = chatTraits(call.body);
    const headers = {
      ...target.headers,
      ...copilotHeaders(settings),
      'x-initiator': traits.initiator,
      ...(traits.vision ? { 'copilot-vision-request': 'true' } : {}),
    };
    return { url: target.url, headers };
  });
}

/** `GET /models` at the token's host: the ids of the models this account may use. */
export async function listCopilotModels(settings: Settings, credentials: Credentials, fetch: UpstreamFetch): Promise<string[]> {
  const response = await fetch(`${apiBase(settings, credentials.extra)}/models`, {
    method: 'GET',
    headers: { accept: 'application/json', authorization: `Bearer ${credentials.accessToken ?? ''}`, ...copilotHeaders(settings) },
    signal: AbortSignal.timeout(MODEL_LIST_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`the Copilot model list answered HTTP ${response.status}`);
  const { data } = parseJsonRecord(await response.text()) ?? {};
  if (!Array.isArray(data)) throw new Error('the Copilot model list answered without a data array');
  return data.filter(isRecord).flatMap((model) => (typeof model.id === 'string' && model.id !== '' ? [model.id] : []));
}
