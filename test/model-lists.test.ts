// Model lists read from upstreams: the real proxy on loopback with fake upstreams, its
// background refresh started as `llm-mux serve` starts it (with no start delay), and the
// lists read back through the official SDKs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { cleanupAfterEach } from './support/cleanups.ts';
import { configDir } from '../src/config/paths.ts';
import { BUILTIN_PROVIDERS } from '../src/providers/definitions.ts';
import { modelCachePath } from '../src/providers/model-cache.ts';
import { seedAccounts } from './support/accounts.ts';
import { runCli, showResult } from './support/cli.ts';
import { startFakeUpstream, type CannedResponse, type FakeUpstream, type RecordedRequest, type Responder } from './support/fake-upstream.ts';
import { startProxy, type TestProxy } from './support/llm-mux.ts';

const HOUR = 3_600_000;
const UPSTREAM_KEY = 'sk-upstream-secret-key';
const WAIT = { timeout: 5_000, interval: 20 };

const onCleanup = cleanupAfterEach();

async function upstream(responder: Responder): Promise<FakeUpstream> {
  const fake = await startFakeUpstream(responder);
  onCleanup(() => fake.close());
  return fake;
}

async function proxy(config: string, beforeStart?: (configDir: string) => Promise<void>): Promise<TestProxy> {
  const started = await startProxy(config, { beforeStart });
  onCleanup(async () => {
    started.runtime.modelLists.stop();
    await started.close();
  });
  return started;
}

/** What `llm-mux serve` does after listening, with no start delay: the first fetches begin at once. */
function startFetching(p: TestProxy, everyMs = HOUR): void {
  p.runtime.modelLists.start({ firstDelayMs: 0, intervalMs: everyMs, retryMs: everyMs });
}

/** JSON is YAML: a config with the file credential store and these providers. */
function configOf(providers: Record<string, unknown>): string {
  return JSON.stringify({ 'credential-store': 'file', providers });
}

const json = (body: unknown, status = 200): CannedResponse => ({ status, body: JSON.stringify(body) });
const openaiList = (ids: string[]): CannedResponse => json({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'system' })) });
const isListRequest = (request: RecordedRequest, path: string) => request.method === 'GET' && request.url.split('?')[0] === path;

function chatCompletion(model: string): CannedResponse {
  return json({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

const openaiClient = (p: TestProxy) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });

async function openaiModelIds(p: TestProxy): Promise<string[]> {
  const ids: string[] = [];
  for await (const model of openaiClient(p).models.list()) ids.push(model.id);
  return ids;
}

/** Waits (bounded) until `/v1/models` lists `model`, and returns the whole list. */
async function untilListed(p: TestProxy, model: string): Promise<string[]> {
  return vi.waitFor(async () => {
    const ids = await openaiModelIds(p);
    expect(ids).toContain(model);
    return ids;
  }, WAIT);
}

const warnings = (p: TestProxy) => p.runtime.logger.lines().filter((line) => line.level === 'warn');

describe('model lists fetched from API-key upstreams', () => {
  it('offers the fetched OpenAI list, with aliases and excluded models, in every client API', async () => {
    const up = await upstream((request) => {
      if (isListRequest(request, '/v1/models')) return openaiList(['gpt-x', 'gpt-y', 'gpt-y-preview', 'tts-1']);
      return chatCompletion((JSON.parse(request.body) as { model: string }).model);
    });
    const p = await proxy(
      configOf({
        openai: {
          'api-keys': [UPSTREAM_KEY],
          'base-url': `${up.url}/v1`,
          'excluded-models': ['*-preview', 'tts-*'],
          'model-aliases': [{ name: 'gpt-y', alias: 'fast' }],
        },
      }),
    );
    // Before any fetch: the built-in catalogue.
    expect(await openaiModelIds(p)).toEqual(BUILTIN_PROVIDERS.openai.models);

    startFetching(p);
    expect(await untilListed(p, 'gpt-x')).toEqual(['gpt-x', 'fast']);
    const listRequests = up.requests.filter((request) => isListRequest(request, '/v1/models'));
    expect(listRequests).toHaveLength(1);
    expect(listRequests[0]!.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);

    // The alias reaches the upstream under its own name.
    const answer = await openaiClient(p).chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]!.message.content).toBe('hi');
    expect(JSON.parse(up.requests.at(-1)!.body)).toMatchObject({ model: 'gpt-y' });

    const anthropicIds: string[] = [];
    for await (const model of new Anthropic({ baseURL: p.url, apiKey: 'unused', maxRetries: 0 }).models.list()) anthropicIds.push(model.id);
    expect(anthropicIds).toEqual(['gpt-x', 'fast']);

    const geminiNames: string[] = [];
    for await (const model of await new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: p.url } }).models.list()) geminiNames.push(model.name ?? '');
    expect(geminiNames).toEqual(['models/gpt-x', 'models/fast']);

    const ollamaNames = (await new Ollama({ host: p.url }).list()).models.map((model) => model.name);
    expect(ollamaNames).toEqual(['gpt-x', 'fast']);
  });

  it('reads every page of the Gemini list, without the models/ prefix and only models that generate content', async () => {
    const up = await upstream((request) => {
      if (request.url === '/v1beta/models?pageSize=1000') {
        return json({
          models: [
            { name: 'models/gemini-x', supportedGenerationMethods: ['generateContent', 'countTokens'] },
            { name: 'models/text-embedding-004', supportedGenerationMethods: ['embedContent'] },
          ],
          nextPageToken: 'page-2',
        });
      }
      if (request.url === '/v1beta/models?pageSize=1000&pageToken=page-2') {
        return json({ models: [{ name: 'models/gemini-y', supportedGenerationMethods: ['generateContent'] }] });
      }
      return json({ error: { code: 404, message: 'not found' } }, 404);
    });
    const p = await proxy(configOf({ gemini: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${up.url}/v1beta` } }));
    startFetching(p);

    expect(await untilListed(p, 'gemini-y')).toEqual(['gemini-x', 'gemini-y']);
    expect(up.requests.map((request) => request.headers['x-goog-api-key'])).toEqual([UPSTREAM_KEY, UPSTREAM_KEY]);
  });

  it('reads every page of the Anthropic list', async () => {
    const up = await upstream((request) => {
      if (request.url === '/v1/models?limit=1000') return json({ data: [{ type: 'model', id: 'claude-a' }], has_more: true, first_id: 'claude-a', last_id: 'claude-a' });
      if (request.url === '/v1/models?limit=1000&after_id=claude-a') return json({ data: [{ type: 'model', id: 'claude-b' }], has_more: false, first_id: 'claude-b', last_id: 'claude-b' });
      return json({ type: 'error', error: { type: 'not_found_error', message: 'not found' } }, 404);
    });
    const p = await proxy(configOf({ anthropic: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${up.url}/v1` } }));
    startFetching(p);

    expect(await untilListed(p, 'claude-b')).toEqual(['claude-a', 'claude-b']);
    expect(up.requests.map((request) => [request.headers['x-api-key'], request.headers['anthropic-version']])).toEqual([
      [UPSTREAM_KEY, '2023-06-01'],
      [UPSTREAM_KEY, '2023-06-01'],
    ]);
  });

  it("reads an Ollama server's /api/tags", async () => {
    const up = await upstream((request) =>
      isListRequest(request, '/api/tags') ? json({ models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest', size: 1 }] }) : json({ error: 'not found' }, 404),
    );
    const p = await proxy(configOf({ ollama: { 'base-url': up.url } }));
    expect(await openaiModelIds(p)).toEqual([]);
    startFetching(p);

    expect(await untilListed(p, 'llama3.2:latest')).toEqual(['llama3.2:latest']);
  });

  it('does not fetch the list of a provider whose models config.yaml lists', async () => {
    const pinned = await upstream(() => openaiList(['should-not-appear']));
    const listed = await upstream(() => openaiList(['listed-model']));
    const p = await proxy(
      configOf({
        openai: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${pinned.url}/v1`, models: ['pinned-model'] },
        openrouter: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${listed.url}/v1` },
      }),
    );
    startFetching(p);

    // Both lists are fetched in the same pass: once one is in, the other would have been asked for.
    expect(await untilListed(p, 'listed-model')).toEqual(['pinned-model', 'listed-model']);
    expect(pinned.requests).toEqual([]);
  });
});

describe('a subscription provider with a list endpoint', () => {
  it("lists Copilot's models with the account's token and the editor headers", async () => {
    const up = await upstream((request) =>
      isListRequest(request, '/api/models') ? json({ data: [{ id: 'copilot-model-a' }, { id: 'copilot-model-b' }], object: 'list' }) : json({ error: 'not found' }, 404),
    );
    const now = Date.now();
    const p = await proxy(configOf({ copilot: { 'excluded-models': ['*-b'] } }), (dir) =>
      seedAccounts(dir, [
        {
          id: 'copilot-1',
          provider: 'copilot',
          oauth: { accessToken: 'copilot-access-token', refreshToken: 'github-token', issuedAt: now, expiresAt: now + HOUR, extra: { apiBase: `${up.url}/api` } },
        },
      ]),
    );
    startFetching(p);

    expect(await untilListed(p, 'copilot-model-a')).toEqual(['copilot-model-a']);
    const [request] = up.requests;
    expect(request!.headers.authorization).toBe('Bearer copilot-access-token');
    expect(request!.headers['editor-version']).toMatch(/^vscode\//);
    expect(request!.headers['copilot-integration-id']).toBeTruthy();
  });
});

describe('when a list cannot be fetched', () => {
  it('keeps the built-in catalogue and logs one warning without the key', async () => {
    const up = await upstream(() => json({ error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}` } }, 500));
    const p = await proxy(configOf({ openai: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${up.url}/v1` } }));
    startFetching(p);

    await vi.waitFor(() => expect(warnings(p)).toHaveLength(1), WAIT);
    expect(warnings(p)[0]).toMatchObject({ message: expect.stringContaining('model list'), fields: { provider: 'openai', error: expect.stringContaining('500') } });
    expect(JSON.stringify(p.runtime.logger.lines())).not.toContain(UPSTREAM_KEY);
    expect(await openaiModelIds(p)).toEqual(BUILTIN_PROVIDERS.openai.models);
  });

  it('keeps the list fetched before', async () => {
    let lists = 0;
    const up = await upstream(() => (++lists === 1 ? openaiList(['gpt-fetched']) : json({ error: { message: 'overloaded' } }, 503)));
    const p = await proxy(configOf({ openai: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${up.url}/v1` } }));
    startFetching(p, 20);

    await untilListed(p, 'gpt-fetched');
    await vi.waitFor(() => expect(warnings(p).length).toBeGreaterThan(0), WAIT);
    expect(await openaiModelIds(p)).toEqual(['gpt-fetched']);
  });

  it('answers requests while a list endpoint is slow to answer', async () => {
    let answerList!: () => void;
    const listAnswered = new Promise<void>((resolve) => (answerList = resolve));
    const up = await upstream(async (request) => {
      if (!isListRequest(request, '/v1/models')) return chatCompletion('gpt-4o');
      await listAnswered;
      return openaiList(['gpt-late']);
    });
    const p = await proxy(configOf({ openai: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${up.url}/v1` } }));
    startFetching(p);
    await vi.waitFor(() => expect(up.requests).toHaveLength(1), WAIT);

    const answer = await openaiClient(p).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]!.message.content).toBe('hi');
    expect(await openaiModelIds(p)).toEqual(BUILTIN_PROVIDERS.openai.models);

    answerList();
    expect(await untilListed(p, 'gpt-late')).toEqual(['gpt-late']);
  });
});

describe('the model cache', () => {
  it('gives the next start the fetched lists before any fetch, for the same base URL only', async () => {
    const up = await upstream(() => openaiList(['gpt-cached']));
    const config = configOf({ openai: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${up.url}/v1` } });
    const first = await proxy(config);
    startFetching(first);
    await untilListed(first, 'gpt-cached');
    const cacheFile = modelCachePath(first.configPath);
    const cache = await vi.waitFor(() => readFile(cacheFile, 'utf8'), WAIT);
    expect(cache).not.toContain(UPSTREAM_KEY);

    const restarted = await proxy(config, (dir) => writeFile(join(dir, 'models-cache.json'), cache));
    expect(await openaiModelIds(restarted)).toEqual(['gpt-cached']);
    expect(up.requests).toHaveLength(1);

    const elsewhere = await proxy(configOf({ openai: { 'api-keys': [UPSTREAM_KEY], 'base-url': `${up.url}/other/v1` } }), (dir) =>
      writeFile(join(dir, 'models-cache.json'), cache),
    );
    expect(await openaiModelIds(elsewhere)).toEqual(BUILTIN_PROVIDERS.openai.models);
  });

  it('is what `llm-mux models` shows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-mux-models-cli-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const configPath = join(dir, 'config.yaml');
    await writeFile(configPath, configOf({ openai: { 'api-keys': [UPSTREAM_KEY], 'model-aliases': [{ name: 'gpt-cached', alias: 'cached' }] } }));
    const cache = { version: 1, providers: { openai: { baseUrl: BUILTIN_PROVIDERS.openai.defaultBaseUrl, models: ['gpt-cached', 'gpt-other'] } } };
    await writeFile(join(configDir(configPath), 'models-cache.json'), JSON.stringify(cache));

    const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') };
    delete env.LLM_MUX_CONFIG;
    const result = await runCli(['models', '--json', '--config', configPath], { cwd: dir, env });
    expect(result.code, showResult(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { id: 'cached', provider: 'openai' },
      { id: 'gpt-other', provider: 'openai' },
    ]);
  });
});
