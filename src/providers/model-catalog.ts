/**
 * Reading an upstream's own model list (docs/providers.md §7): what providers without a
 * `models:` list in config.yaml offer once the daemon has fetched it. Subscription
 * providers bring their own `listModels`; the API-key upstreams are read here, by the
 * protocol they speak.
 */
import { isRecord } from '../core/json.ts';
import type { Protocol } from '../core/protocol.ts';
import { modelListTarget } from './endpoints.ts';
import type { UpstreamFetch } from './http.ts';
import type { MemberCredential } from './upstream.ts';

/** Fetches a provider's model names with one of its credentials (none for upstreams that take no key). */
export type ModelLister = (credential: MemberCredential | undefined, fetch: UpstreamFetch) => Promise<string[]>;

const LIST_TIMEOUT_MS = 30_000;
/** A bound on paging: the longest lists are a few hundred models, one or two pages. */
const MAX_PAGES = 20;

/** One page of a list: its model names, and the cursor of the next page when there is one. */
interface ListPage {
  models: string[];
  next?: string;
}

/** How a protocol's list endpoint pages and what its answer looks like. */
interface ListFormat {
  /** The query string for the page after `cursor` (the first page: no cursor). */
  query(cursor: string | undefined): string;
  /** Throws when the body is not a list of this format. */
  read(body: unknown): ListPage;
}

const openaiList: ListFormat = {
  query: () => '',
  read: (body) => ({ models: stringsOf(arrayField(body, 'data'), 'id') }),
};

/** `{data: [{id}], has_more, last_id}`, paged with `after_id`. */
const anthropicList: ListFormat = {
  query: (cursor) => `?limit=1000${cursor ? `&after_id=${encodeURIComponent(cursor)}` : ''}`,
  read: (body) => {
    const models = stringsOf(arrayField(body, 'data'), 'id');
    const { has_more: more, last_id: last } = body as { has_more?: unknown; last_id?: unknown };
    return { models, next: more === true && typeof last === 'string' ? last : undefined };
  },
};

/** `{models: [{name: "models/…", supportedGenerationMethods}], nextPageToken}`: only models that generate content. */
const geminiList: ListFormat = {
  query: (cursor) => `?pageSize=1000${cursor ? `&pageToken=${encodeURIComponent(cursor)}` : ''}`,
  read: (body) => {
    const models = arrayField(body, 'models').flatMap((model) => {
      const { name, supportedGenerationMethods: methods } = (model ?? {}) as { name?: unknown; supportedGenerationMethods?: unknown };
      if (typeof name !== 'string' || !Array.isArray(methods) || !methods.includes('generateContent')) return [];
      return [name.replace(/^models\//, '')];
    });
    const token = (body as { nextPageToken?: unknown }).nextPageToken;
    return { models, next: typeof token === 'string' && token !== '' ? token : undefined };
  },
};

/** Ollama's `/api/tags`: `{models: [{name}]}`. */
const ollamaList: ListFormat = {
  query: () => '',
  read: (body) => ({ models: stringsOf(arrayField(body, 'models'), 'name') }),
};

const LIST_FORMATS: Record<Protocol, ListFormat> = {
  'openai-chat': openaiList,
  'openai-responses': openaiList,
  anthropic: anthropicList,
  gemini: geminiList,
  ollama: ollamaList,
};

/** The model list of an upstream reached with API keys (or none) below `baseUrl`, every page of it. */
export function apiKeyModelLister(protocol: Protocol, baseUrl: string): ModelLister {
  const format = LIST_FORMATS[protocol];
  return async (credential, fetch) => {
    const { url, headers } = modelListTarget(protocol, baseUrl, credential?.secret);
    const models: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = format.read(await getJson(fetch, url + format.query(cursor), headers));
      models.push(...listed.models);
      if (listed.next === undefined) break;
      cursor = listed.next;
    }
    return models;
  };
}

async function getJson(fetch: UpstreamFetch, url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { method: 'GET', headers, signal: AbortSignal.timeout(LIST_TIMEOUT_MS) });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`the model list answered HTTP ${response.status}`);
  }
  return response.json();
}

function arrayField(body: unknown, field: string): unknown[] {
  const value = isRecord(body) ? body[field] : undefined;
  if (!Array.isArray(value)) throw new Error(`the model list answered without a \`${field}\` array`);
  return value;
}

function stringsOf(entries: unknown[], field: string): string[] {
  return entries.flatMap((entry) => {
    const value = isRecord(entry) ? entry[field] : undefined;
    return typeof value === 'string' && value !== '' ? [value] : [];
  });
}
