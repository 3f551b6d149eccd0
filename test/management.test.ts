// The /v0/management API against the real server: auth by the hashed management key,
// config edits that validate before touching the file, hot reload, usage, logs, debug.
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFilePath } from '../src/accounts/secret-store/file.ts';
import { generateManagementKey, storeManagementKeyHash } from '../src/config/management-key.ts';
import { managementKeyPath } from '../src/config/paths.ts';
import { seedAccounts, type SeedAccount } from './support/accounts.ts';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from './support/fake-upstream.ts';
import { fakeProviderConfig, startProxy, type TestProxy } from './support/llm-mux.ts';

const EXAMPLE_PATH = fileURLToPath(new URL('../llm-mux.example.yaml', import.meta.url));
const UPSTREAM_KEY = 'sk-fake-upstream-key';
const USAGE = { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 };

/** Answers like an OpenAI-compatible upstream: JSON, or SSE when the request asks to stream. */
function chatResponder(reply: string) {
  return (request: RecordedRequest) => {
    const body = JSON.parse(request.body) as { model: string; stream?: boolean };
    const base = { id: 'chatcmpl-1', created: 1, model: body.model };
    if (!body.stream) {
      return {
        body: JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
          usage: USAGE,
        }),
      };
    }
    const chunk = (extra: object) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...extra })}\n\n`;
    return {
      headers: { 'content-type': 'text/event-stream' },
      body:
        chunk({ choices: [{ index: 0, delta: { content: reply }, finish_reason: null }] }) +
        chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: USAGE }) +
        'data: [DONE]\n\n',
    };
  };
}

const proxies: TestProxy[] = [];
let upstream: FakeUpstream;

async function proxy(configYaml: string, managementKey = true, accounts: SeedAccount[] = []): Promise<TestProxy> {
  const started = await startProxy(configYaml, { managementKey, beforeStart: (dir) => seedAccounts(dir, accounts) });
  proxies.push(started);
  return started;
}

function mgmt(
  target: TestProxy,
  method: string,
  path: string,
  options: { key?: string | null; body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const key = options.key === undefined ? target.managementKey : options.key;
  return fetch(`${target.url}/v0/management/${path}`, {
    method,
    headers: { ...(key ? { 'x-management-key': key } : {}), ...options.headers },
    body: options.body,
  });
}

function chat(target: TestProxy, model: string, options: { stream?: boolean; headers?: Record<string, string> } = {}) {
  return fetch(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ model, stream: options.stream, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function fileState(file: string) {
  const info = await stat(file);
  return { bytes: await readFile(file), mtimeMs: info.mtimeMs, ino: info.ino, mode: info.mode & 0o777 };
}

beforeAll(async () => {
  upstream = await startFakeUpstream(chatResponder('hello from fake'));
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((started) => started.close()));
});

afterAll(async () => {
  await upstream?.close();
});

describe('management auth', () => {
  it('requires the management key, by X-Management-Key or Authorization: Bearer', async () => {
    const target = await proxy(fakeProviderConfig(upstream.url, 'auth:\n  api-keys: ["sk-client-key-0001"]'));
    const key = target.managementKey!;

    const missing = await mgmt(target, 'GET', 'config', { key: null });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      error: {
        message: 'A valid X-Management-Key is required.',
        type: 'authentication_error',
        param: null,
        code: 'invalid_management_key',
      },
    });
    expect((await mgmt(target, 'GET', 'config', { key: `${key}x` })).status).toBe(401);
    expect((await mgmt(target, 'GET', 'config', { key: null, headers: { authorization: 'Bearer mux-mgmt-wrong' } })).status).toBe(401);
    // A client API key is not a management key.
    expect((await mgmt(target, 'GET', 'config', { key: null, headers: { authorization: 'Bearer sk-client-key-0001' } })).status).toBe(401);

    expect((await mgmt(target, 'GET', 'config')).status).toBe(200);
    expect((await mgmt(target, 'GET', 'config', { key: null, headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    // Refusals are logged, without the presented key.
    const logs = JSON.stringify(await (await mgmt(target, 'GET', 'logs')).json());
    expect(logs).toContain('management request refused');
    expect(logs).not.toContain('mux-mgmt-wrong');
    expect(logs).not.toContain(key);
  });

  it('picks up a new key from `init --force` at once, and 404s unknown management paths', async () => {
    const target = await proxy('');
    const oldKey = target.managementKey!;
    const newKey = generateManagementKey();
    await storeManagementKeyHash(managementKeyPath(target.configPath), newKey);
    expect((await mgmt(target, 'GET', 'usage', { key: oldKey })).status).toBe(401);
    expect((await mgmt(target, 'GET', 'usage', { key: newKey })).status).toBe(200);
    expect((await mgmt(target, 'GET', 'no-such-thing', { key: newKey })).status).toBe(404);
  });

  it('is absent (404 everywhere) when no management key was generated', async () => {
    const target = await proxy('', false);
    const someKey = generateManagementKey();
    const calls: Array<[string, string]> = [
      ['GET', 'config'],
      ['GET', 'config.yaml'],
      ['PUT', 'config.yaml'],
      ['GET', 'usage'],
      ['GET', 'api-keys'],
      ['PUT', 'api-keys'],
      ['DELETE', 'api-keys?index=0'],
      ['GET', 'logs'],
      ['DELETE', 'logs'],
      ['GET', 'debug'],
      ['PUT', 'debug'],
      ['GET', 'accounts'],
      ['PUT', 'accounts/openai-1'],
      ['DELETE', 'accounts/openai-1'],
      ['GET', ''],
    ];
    for (const [method, path] of calls) {
      const response = await mgmt(target, method, path, { key: someKey, body: method === 'PUT' ? '{}' : undefined });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unknown_endpoint');
    }
    // Nothing was written by the PUTs.
    expect(await readFile(target.configPath, 'utf8')).toBe('');
    expect((await fetch(`${target.url}/health`)).status).toBe(200);
  });
});

describe('config', () => {
  it('GET config shows the running config with every secret masked', async () => {
    const secrets = {
      client: 'sk-client-secret-0001',
      openai: 'sk-openai-secret-0002',
      compatible: 'sk-compat-secret-0003',
      proxyPassword: 'proxy-password-0004',
      urlToken: 'url-token-0005',
    };
    const target = await proxy(
      [
        `proxy-url: http://squid:${secrets.proxyPassword}@127.0.0.1:3128`,
        'auth:',
        `  api-keys: ["${secrets.client}"]`,
        'providers:',
        '  openai:',
        `    api-keys: ["${secrets.openai}"]`,
        `    base-url: https://${secrets.urlToken}@gateway.example.com/v1`,
        '  openai-compatible:',
        '    - name: local',
        '      base-url: http://127.0.0.1:9/v1',
        `      api-keys: ["${secrets.compatible}"]`,
        '      models: [m1]',
      ].join('\n'),
    );
    const response = await mgmt(target, 'GET', 'config');
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    const body = JSON.parse(text) as {
      auth: { 'api-keys': string[] };
      providers: { openai: { 'api-keys': string[]; 'base-url': string }; 'openai-compatible': Array<Record<string, unknown>> };
      'proxy-url': string;
      port: number;
    };
    // Masked, but still telling keys apart; everything else as configured.
    expect(body.auth['api-keys']).toEqual(['sk-…0001']);
    expect(body.providers.openai['api-keys']).toEqual(['sk-…0002']);
    expect(body.providers.openai['base-url']).toBe('https://****@gateway.example.com/v1');
    expect(body.providers['openai-compatible']).toHaveLength(1);
    expect(body.providers['openai-compatible'][0]).toMatchObject({
      name: 'local',
      'base-url': 'http://127.0.0.1:9/v1',
      'api-keys': ['sk-…0003'],
      models: ['m1'],
    });
    expect(body['proxy-url']).toMatch(/^http:\/\/squid:\*+@127\.0\.0\.1:3128\/?$/);
    expect(body.port).toBe(8317);
  });

  it('GET config.yaml returns the file as written', async () => {
    const text = `# my proxy\n${fakeProviderConfig(upstream.url)}\n# trailing comment\n`;
    const target = await proxy(text);
    const response = await mgmt(target, 'GET', 'config.yaml');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(await response.text()).toBe(text);
  });

  it.each([
    ['bad YAML', 'host: 127.0.0.1\nauth:\n\tdisable-auth: true\n', 3, '', /Tabs are not allowed/],
    ['an unknown key', 'host: 127.0.0.1\nproviders:\n  opnai:\n    api-keys: []\n', 3, 'providers.opnai', /did you mean "openai"/],
    ['a wrong type', 'port: 8317\nrequest-retry: "often"\n', 2, 'request-retry', /expected number/],
    ['an auth policy violation', 'auth:\n  disable-auth: false\n', undefined, 'auth', /no client could authenticate/],
  ])('PUT config.yaml with %s: 400 with the issues, file and running config untouched', async (_, body, line, path, message) => {
    const original = fakeProviderConfig(upstream.url);
    const target = await proxy(original);
    const before = await fileState(target.configPath);
    const runningBefore = target.runtime.config;

    const response = await mgmt(target, 'PUT', 'config.yaml', { body, headers: { 'content-type': 'application/yaml' } });
    expect(response.status).toBe(400);
    const error = ((await response.json()) as { error: Record<string, unknown> & { issues: Array<Record<string, unknown>> } }).error;
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_config' });
    expect(error.issues[0]).toMatchObject({ file: target.configPath, path, message: expect.stringMatching(message) });
    expect(error.issues[0]!.line).toBe(line);
    expect(error.message).toContain(target.configPath);

    expect(await fileState(target.configPath)).toEqual(before);
    expect(await readdir(dirname(target.configPath))).toEqual(['config.yaml', 'management-key.json']);
    expect(target.runtime.config).toBe(runningBefore);
    expect(await (await mgmt(target, 'GET', 'config.yaml')).text()).toBe(original);
    expect((await chat(target, 'fake-model')).status).toBe(200);
  });

  it('PUT config.yaml with a valid body writes it (0600) and hot-reloads: a new provider serves at once', async () => {
    const fresh = await startFakeUpstream(chatResponder('hello from fresh'));
    try {
      const original = fakeProviderConfig(upstream.url);
      const target = await proxy(original);
      await chmod(target.configPath, 0o644);

      const missing = await chat(target, 'fresh-model');
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('model_not_found');

      const updated = [
        '# edited through the management API',
        original,
        '    - name: fresh',
        `      base-url: ${fresh.url}/v1`,
        '      api-keys: ["sk-fresh-upstream-key"]',
        '      models: [{name: fresh-upstream-name, alias: fresh-model}]',
        '',
      ].join('\n');
      const response = await mgmt(target, 'PUT', 'config.yaml', { body: updated });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok' });

      const file = await fileState(target.configPath);
      expect(file.bytes.toString('utf8')).toBe(updated);
      expect(file.mode).toBe(0o600);
      expect(await readdir(dirname(target.configPath))).toEqual(['config.yaml', 'management-key.json']);

      // No restart: the next request sees the new provider, under its upstream name and key.
      const reply = await chat(target, 'fresh-model');
      expect(reply.status).toBe(200);
      const completion = (await reply.json()) as { choices: Array<{ message: { content: string } }> };
      expect(completion.choices[0]!.message.content).toBe('hello from fresh');
      expect(fresh.requests).toHaveLength(1);
      expect(fresh.requests[0]!.headers.authorization).toBe('Bearer sk-fresh-upstream-key');
      expect((JSON.parse(fresh.requests[0]!.body) as { model: string }).model).toBe('fresh-upstream-name');

      // The old provider is still there, and the model list shows both.
      expect((await chat(target, 'fake-model')).status).toBe(200);
      const models = (await (await fetch(`${target.url}/v1/models`)).json()) as { data: Array<{ id: string; owned_by: string }> };
      expect(models.data.map((model) => [model.id, model.owned_by])).toEqual([
        ['fake-model', 'fake'],
        ['aliased-model', 'fake'],
        ['fresh-model', 'fresh'],
      ]);
      expect(await (await mgmt(target, 'GET', 'config.yaml')).text()).toBe(updated);
      const logs = (await (await mgmt(target, 'GET', 'logs')).json()) as { lines: Array<{ message: string }> };
      expect(logs.lines.map((entry) => entry.message)).toContain('config reloaded');
    } finally {
      await fresh.close();
    }
  });
});

describe('usage', () => {
  it('counts requests and tokens per provider and model', async () => {
    const target = await proxy(fakeProviderConfig(upstream.url));
    const empty = (await (await mgmt(target, 'GET', 'usage')).json()) as { total: Record<string, number> };
    expect(empty.total.requests).toBe(0);

    expect((await chat(target, 'fake-model')).status).toBe(200);
    const streamed = await chat(target, 'aliased-model', { stream: true });
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain('data: [DONE]');

    const usage = (await (await mgmt(target, 'GET', 'usage')).json()) as Record<string, unknown>;
    const counters = { requests: 1, failed: 0, input_tokens: 7, output_tokens: 5, cached_tokens: 0, reasoning_tokens: 0 };
    const twice = { requests: 2, failed: 0, input_tokens: 14, output_tokens: 10, cached_tokens: 0, reasoning_tokens: 0 };
    expect(Object.keys(usage).sort()).toEqual(['models', 'providers', 'since', 'total']);
    expect(Object.keys(usage.providers as object)).toEqual(['fake']);
    expect(Object.keys(usage.models as object).sort()).toEqual(['aliased-model', 'fake-model']);
    expect(usage).toMatchObject({
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      total: twice,
      providers: { fake: twice },
      models: { 'fake-model': counters, 'aliased-model': counters },
    });
  });
});

describe('api-keys', () => {
  it('sets and deletes client keys, keeping the rest of config.yaml byte for byte', async () => {
    const example = await readFile(EXAMPLE_PATH, 'utf8');
    const target = await proxy(example);
    const keys = async () => ((await (await mgmt(target, 'GET', 'api-keys')).json()) as { 'api-keys': string[] })['api-keys'];
    expect(await keys()).toEqual([]);

    const put = await mgmt(target, 'PUT', 'api-keys', { body: JSON.stringify(['sk-client-key-0001', 'sk-client-key-0002']) });
    expect(put.status).toBe(200);
    expect(await keys()).toEqual(['sk-client-key-0001', 'sk-client-key-0002']);
    const written = await readFile(target.configPath, 'utf8');
    expect(written).toContain('sk-client-key-0002');
    // Only the api-keys value changed: every comment and indentation of the example is kept.
    const exampleLines = example.split('\n');
    const writtenLines = written.split('\n');
    expect(writtenLines).toHaveLength(exampleLines.length);
    const changed = exampleLines.flatMap((line, i) => (line === writtenLines[i] ? [] : [[line, writtenLines[i]]]));
    expect(changed).toEqual([['  api-keys: []', expect.stringMatching(/^ {2}api-keys: \[.*"sk-client-key-0001".*"sk-client-key-0002".*\]$/)]]);

    // disable-auth: true on loopback: keys are stored but not required.
    expect(target.runtime.clientAuthRequired).toBe(false);
    expect((await fetch(`${target.url}/v1/models`)).status).toBe(200);

    // The object form of the body works too.
    const putObject = await mgmt(target, 'PUT', 'api-keys', {
      body: JSON.stringify({ 'api-keys': ['sk-client-key-0001', 'sk-client-key-0002', 'sk-client-key-0003'] }),
    });
    expect(putObject.status).toBe(200);

    const byValue = await mgmt(target, 'DELETE', 'api-keys?value=sk-client-key-0002');
    expect(byValue.status).toBe(200);
    expect(await keys()).toEqual(['sk-client-key-0001', 'sk-client-key-0003']);

    for (const query of ['value=sk-not-there', 'index=2', 'index=-1', 'index=abc', 'index=', '']) {
      const response = await mgmt(target, 'DELETE', `api-keys?${query}`);
      expect(response.status, query).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unknown_api_key');
    }
    expect(await keys()).toEqual(['sk-client-key-0001', 'sk-client-key-0003']);

    expect((await mgmt(target, 'DELETE', 'api-keys?index=1')).status).toBe(200);
    expect(await keys()).toEqual(['sk-client-key-0001']);
    expect((await mgmt(target, 'DELETE', 'api-keys?index=0')).status).toBe(200);
    expect(await keys()).toEqual([]);
    // Back where we started: the file is the example again.
    expect(await readFile(target.configPath, 'utf8')).toBe(example);
  });

  it('keeps comments when the config has no auth section yet', async () => {
    const text = `# top comment\n${fakeProviderConfig(upstream.url)}\n# end comment\n`;
    const target = await proxy(text);
    expect((await mgmt(target, 'PUT', 'api-keys', { body: '["sk-client-key-0001"]' })).status).toBe(200);
    const written = await readFile(target.configPath, 'utf8');
    for (const comment of ['# top comment', '# end comment']) expect(written).toContain(comment);
    expect(target.runtime.config.auth['api-keys']).toEqual(['sk-client-key-0001']);
    expect(target.runtime.config.providers['openai-compatible'][0]?.name).toBe('fake');
  });

  it('rejects bad bodies and invalid keys without changing anything', async () => {
    const target = await proxy(fakeProviderConfig(upstream.url));
    const before = await fileState(target.configPath);

    const notJson = await mgmt(target, 'PUT', 'api-keys', { body: '["unterminated' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_json');

    const wrongShape = await mgmt(target, 'PUT', 'api-keys', { body: '{"keys": ["sk-client-key-0001"]}' });
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { error: { code: string } }).error.code).toBe('invalid_body');

    const tooShort = await mgmt(target, 'PUT', 'api-keys', { body: '["short"]' });
    expect(tooShort.status).toBe(400);
    const error = ((await tooShort.json()) as { error: { code: string; issues: Array<{ path: string; message: string }> } }).error;
    expect(error.code).toBe('invalid_config');
    expect(error.issues).toEqual([
      expect.objectContaining({ path: 'auth.api-keys[0]', message: 'API keys must be at least 8 characters' }),
    ]);

    expect(await fileState(target.configPath)).toEqual(before);
    expect(target.runtime.config.auth['api-keys']).toEqual([]);
  });

  it('are enforced once disable-auth is false; the last key cannot be deleted then', async () => {
    const target = await proxy(fakeProviderConfig(upstream.url));
    const locked = `auth:\n  disable-auth: false\n  api-keys: ["sk-client-key-0001"]\n${fakeProviderConfig(upstream.url)}`;
    expect((await mgmt(target, 'PUT', 'config.yaml', { body: locked })).status).toBe(200);
    expect(target.runtime.clientAuthRequired).toBe(true);

    const models = (headers: Record<string, string>) => fetch(`${target.url}/v1/models`, { headers }).then((r) => r.status);
    expect(await models({})).toBe(401);
    expect(await models({ authorization: 'Bearer sk-client-key-9999' })).toBe(401);
    expect(await models({ authorization: `Bearer ${target.managementKey}` })).toBe(401);
    expect(await models({ authorization: 'Bearer sk-client-key-0001' })).toBe(200);
    expect(await models({ 'x-api-key': 'sk-client-key-0001' })).toBe(200);
    expect((await chat(target, 'fake-model', { headers: { authorization: 'Bearer sk-client-key-0001' } })).status).toBe(200);

    // The management API needs only the management key.
    expect((await mgmt(target, 'GET', 'api-keys')).status).toBe(200);

    const before = await fileState(target.configPath);
    const lastKey = await mgmt(target, 'DELETE', 'api-keys?index=0');
    expect(lastKey.status).toBe(400);
    expect(((await lastKey.json()) as { error: { issues: Array<{ path: string }> } }).error.issues).toEqual([
      expect.objectContaining({ path: 'auth', message: expect.stringContaining('no client could authenticate') }),
    ]);
    expect(await fileState(target.configPath)).toEqual(before);
    expect(await models({ authorization: 'Bearer sk-client-key-0001' })).toBe(200);
  });
});

describe('logs and debug', () => {
  it('GET logs shows request lines without secrets; DELETE logs clears them', async () => {
    const target = await proxy(fakeProviderConfig(upstream.url));
    expect((await chat(target, 'fake-model')).status).toBe(200);

    const logs = await mgmt(target, 'GET', 'logs');
    expect(logs.status).toBe(200);
    const text = await logs.text();
    const { lines } = JSON.parse(text) as { lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> };
    // One info line for the request, whatever its wording.
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        fields: expect.objectContaining({ model: 'fake-model', provider: 'fake', stream: false, status: 200, tokens: 12 }),
      }),
    );
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain(target.managementKey!);
    expect(text).not.toContain('hello from fake');

    const cleared = await mgmt(target, 'DELETE', 'logs');
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toEqual({ status: 'ok' });
    expect(await (await mgmt(target, 'GET', 'logs')).json()).toEqual({ lines: [] });
  });

  it('GET/PUT debug toggles debug logging; bad bodies get an OpenAI error object', async () => {
    const target = await proxy(fakeProviderConfig(upstream.url));
    const debug = async () => (await (await mgmt(target, 'GET', 'debug')).json()) as { value: boolean };
    const levels = async () =>
      ((await (await mgmt(target, 'GET', 'logs')).json()) as { lines: Array<{ level: string }> }).lines.map((l) => l.level);

    expect(await debug()).toEqual({ value: false });
    await chat(target, 'fake-model');
    expect(await levels()).not.toContain('debug');

    const on = await mgmt(target, 'PUT', 'debug', { body: '{"value": true}', headers: { 'content-type': 'application/json' } });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ value: true });
    expect(await debug()).toEqual({ value: true });
    await chat(target, 'fake-model');
    expect(await levels()).toContain('debug');

    const notJson = await mgmt(target, 'PUT', 'debug', { body: '{value: false', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      error: { message: 'The request body is not valid JSON.', type: 'invalid_request_error', param: null, code: 'invalid_json' },
    });
    const wrongType = await mgmt(target, 'PUT', 'debug', { body: '{"value": "yes"}' });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toEqual({
      error: { message: expect.stringContaining('value'), type: 'invalid_request_error', param: null, code: 'invalid_body' },
    });
    expect(await debug()).toEqual({ value: true });

    expect(await (await mgmt(target, 'PUT', 'debug', { body: '{"value": false}' })).json()).toEqual({ value: false });
    expect(await debug()).toEqual({ value: false });
  });
});

describe('accounts', () => {
  const SECRETS = { config: 'sk-config-secret-0001', a: 'sk-account-secret-000a', b: 'sk-account-secret-000b' };

  /** Answers with the key it saw; 429 (Retry-After 90) for gpt-5 on account a's key. */
  async function keyedUpstream(): Promise<FakeUpstream> {
    const fake = await startFakeUpstream((request) => {
      const key = (request.headers.authorization ?? '').replace('Bearer ', '');
      const { model } = JSON.parse(request.body) as { model: string };
      if (key === SECRETS.a && model === 'gpt-5') {
        return { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '90' }, body: '{"error":{"message":"slow down","code":"rate_limit_exceeded"}}' };
      }
      return chatResponder(key)(request);
    });
    cleanupUpstreams.push(fake);
    return fake;
  }
  const cleanupUpstreams: FakeUpstream[] = [];
  afterEach(async () => {
    await Promise.all(cleanupUpstreams.splice(0).map((fake) => fake.close()));
  });

  async function accountsProxy() {
    const fake = await keyedUpstream();
    const config = ['credential-store: file', 'providers:', '  openai:', `    base-url: ${fake.url}/v1`, `    api-keys: ["${SECRETS.config}"]`].join('\n');
    const target = await proxy(config, true, [
      { id: 'openai-a', provider: 'openai', label: 'work', apiKey: SECRETS.a },
      { id: 'openai-b', provider: 'openai', label: 'home', apiKey: SECRETS.b },
    ]);
    return { fake, target };
  }

  async function list(target: TestProxy) {
    const response = await mgmt(target, 'GET', 'accounts');
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    return (JSON.parse(text) as { accounts: Array<Record<string, unknown> & { id: string; cooldowns: Array<Record<string, unknown>> }> }).accounts;
  }

  async function replies(target: TestProxy, count: number, model = 'gpt-5'): Promise<string[]> {
    const served: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await chat(target, model);
      expect(response.status).toBe(200);
      served.push(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content);
    }
    return served;
  }

  it('GET accounts lists config keys and stored accounts with state and cooldowns per family, never a secret', async () => {
    const { target } = await accountsProxy();
    const before = await list(target);
    expect(before).toEqual([
      { id: 'config:openai:0', provider: 'openai', label: 'api-keys[0]', source: 'config', state: 'active', cooldowns: [] },
      { id: 'openai-a', provider: 'openai', label: 'work', source: 'store', state: 'active', createdAt: expect.any(String), cooldowns: [] },
      { id: 'openai-b', provider: 'openai', label: 'home', source: 'store', state: 'active', createdAt: expect.any(String), cooldowns: [] },
    ]);

    // config key, then a (429 → b) for gpt-5: a rests for gpt-5 only.
    await replies(target, 2);
    const after = await list(target);
    const a = after.find((account) => account.id === 'openai-a')!;
    expect(a.cooldowns).toEqual([{ family: 'gpt-5', until: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), retryAfterSeconds: expect.any(Number) }]);
    expect(a.cooldowns[0]!.retryAfterSeconds).toBeGreaterThan(85);
    expect(Date.parse(a.cooldowns[0]!.until as string) - Date.now()).toBeGreaterThan(85_000);
    expect(after.filter((account) => account.cooldowns.length > 0).map((account) => account.id)).toEqual(['openai-a']);
  });

  it('PUT accounts/:id disables and enables a stored account in the running pool', async () => {
    const { target } = await accountsProxy();
    const disabled = await mgmt(target, 'PUT', 'accounts/openai-b', { body: '{"disabled": true}' });
    expect(disabled.status).toBe(200);
    expect(await disabled.json()).toMatchObject({ id: 'openai-b', state: 'disabled', source: 'store' });
    const stored = JSON.parse(await readFile(join(dirname(target.configPath), 'accounts.json'), 'utf8')) as Array<{ id: string; state: string }>;
    expect(stored.find((record) => record.id === 'openai-b')?.state).toBe('disabled');
    // gpt-4o: a serves it; b is never used while disabled.
    expect(new Set(await replies(target, 4, 'gpt-4o'))).toEqual(new Set([SECRETS.config, SECRETS.a]));

    const enabled = await mgmt(target, 'PUT', 'accounts/openai-b', { body: '{"disabled": false}' });
    expect(await enabled.json()).toMatchObject({ id: 'openai-b', state: 'active' });
    expect(new Set(await replies(target, 3, 'gpt-4o'))).toEqual(new Set([SECRETS.config, SECRETS.a, SECRETS.b]));
  });

  it('PUT accounts/:id refuses config keys, unknown ids and bad bodies', async () => {
    const { target } = await accountsProxy();
    const configKey = await mgmt(target, 'PUT', 'accounts/config:openai:0', { body: '{"disabled": true}' });
    expect(configKey.status).toBe(400);
    expect(((await configKey.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'config_key',
      message: expect.stringContaining('config.yaml'),
    });
    const unknown = await mgmt(target, 'PUT', 'accounts/openai-zz', { body: '{"disabled": true}' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_account');
    for (const body of ['{"disabled": "yes"}', '{}', '{"disabled": true, "state": "active"}']) {
      const bad = await mgmt(target, 'PUT', 'accounts/openai-a', { body });
      expect(bad.status, body).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_body');
    }
    expect((await list(target)).every((account) => account.state === 'active')).toBe(true);
  });

  it('DELETE accounts/:id removes the account and its secret; the pool stops using it at once', async () => {
    const { target } = await accountsProxy();
    const removed = await mgmt(target, 'DELETE', 'accounts/openai-b');
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ status: 'ok' });

    const dir = dirname(target.configPath);
    expect(await readFile(join(dir, 'accounts.json'), 'utf8')).not.toContain('openai-b');
    const secrets = await readFile(credentialsFilePath(dir), 'utf8');
    expect(secrets).not.toContain(SECRETS.b);
    expect(secrets).toContain(SECRETS.a);
    expect((await list(target)).map((account) => account.id)).toEqual(['config:openai:0', 'openai-a']);
    expect(new Set(await replies(target, 4, 'gpt-4o'))).toEqual(new Set([SECRETS.config, SECRETS.a]));

    expect((await mgmt(target, 'DELETE', 'accounts/openai-b')).status).toBe(404);
    expect((await mgmt(target, 'DELETE', 'accounts/config:openai:0')).status).toBe(400);
  });
});
