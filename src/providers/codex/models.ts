import type { Credentials } from '../../accounts/types.ts';
import type { UpstreamFetch } from '../http.ts';
import type { SubscriptionSettings } from '../subscription.ts';
import { accountHeaders } from './adapter.ts';

type CodexSettings = SubscriptionSettings<'codex'>;

/**
 * Models a ChatGPT plan served through Codex, newest first, for when the account's own
 * list cannot be read. Slugs as seen in Codex's bundled catalogue and in third-party model
 * lists up to 2026; which ones a given plan still serves is what listModels tells.
 */
export const CODEX_MODELS = [
  'gpt-5.5',
  'gpt-5.4',
  'gpt-5.4-mini',
  'gpt-5.3-codex',
  'gpt-5.2-codex',
  'gpt-5.2',
  'gpt-5.1-codex-max',
  'gpt-5.1-codex',
  'gpt-5.1-codex-mini',
  'gpt-5.1',
  'gpt-5-codex',
  'gpt-5-codex-mini',
  'gpt-5',
] as const;

const LIST_TIMEOUT_MS = 30_000;
/** Codex's visibility values besides `list`: kept out of pickers, or not offered at all. */
const HIDDEN = new Set(['hide', 'none']);

interface ListedModel {
  slug?: unknown;
  visibility?: unknown;
  supported_in_api?: unknown;
}

/**
 * The account's models: `GET {api}/models?client_version=…` with the account's headers.
 * The client version matters: the endpoint hides models newer clients need.
 */
export async function listModels(settings: CodexSettings, credentials: Credentials, fetch: UpstreamFetch): Promise<string[]> {
  if (!credentials.accessToken) throw new Error('the ChatGPT account has no access token');
  const url = `${settings.endpoints.api}/models?client_version=${encodeURIComponent(settings.identity['client-version'])}`;
  const response = await fetch(url, {
    method: 'GET',
    headers: { ...accountHeaders(settings, credentials.accessToken, credentials.extra), accept: 'application/json' },
    signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`the ChatGPT model list answered HTTP ${response.status}`);
  }
  return usableSlugs(await response.json());
}

/** The slugs of `{models: [...]}` that can be called: not hidden, not marked unsupported in the API. */
export function usableSlugs(body: unknown): string[] {
  const models = (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return (models as ListedModel[]).flatMap((model) =>
    typeof model?.slug === 'string' && model.supported_in_api !== false && !HIDDEN.has(String(model.visibility)) ? [model.slug] : [],
  );
}
