// Config parsing and validation: the error a person sees must point at the exact line,
// name the key and, for typos, suggest the right one.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigText } from '../src/config/example.ts';
import { ConfigError, formatIssue, loadConfigFile, parseConfig, type ConfigIssue } from '../src/config/load.ts';
import { Runtime } from '../src/server/runtime.ts';

const EXAMPLE_PATH = fileURLToPath(new URL('../llm-mux.example.yaml', import.meta.url));
const FILE = '/etc/llm-mux/config.yaml';

/** The issues parseConfig reports for `text`; fails the test if it parses. */
function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

function onlyIssue(text: string): ConfigIssue {
  const issues = issuesOf(text);
  expect(issues, JSON.stringify(issues)).toHaveLength(1);
  return issues[0]!;
}

describe('parseConfig', () => {
  it('accepts the shipped example, whose values are the documented defaults', async () => {
    const text = await readFile(EXAMPLE_PATH, 'utf8');
    expect(exampleConfigText()).toBe(text);
    const example = parseConfig(text, EXAMPLE_PATH);
    const defaults = parseConfig('', EXAMPLE_PATH);
    // The example says "the value shown is the default": only the provider stubs differ.
    expect({ ...example, providers: undefined }).toEqual({ ...defaults, providers: undefined });
    const stub = { 'api-keys': [], strategy: 'round-robin', 'session-affinity-ttl': 0 };
    expect(example.providers).toEqual({ openai: stub, anthropic: stub, gemini: stub, openrouter: stub, 'openai-compatible': [] });
  });

  it('gives every default for an empty file (or one with only comments)', () => {
    const defaults = parseConfig('', FILE);
    expect(defaults).toMatchObject({
      host: '127.0.0.1',
      port: 8317,
      auth: { 'disable-auth': true, 'api-keys': [] },
      providers: { 'openai-compatible': [] },
      'request-retry': 2,
      'proxy-url': '',
      logging: { level: 'info', 'buffer-lines': 1000 },
    });
    // No provider is enabled by default.
    expect(Object.keys(defaults.providers)).toEqual(['openai-compatible']);
    expect(parseConfig('# nothing set yet\n\n', FILE)).toEqual(defaults);
    expect(parseConfig('{}', FILE)).toEqual(defaults);
  });

  it('parses a full openai-compatible provider with models and aliases', () => {
    const config = parseConfig(
      [
        'providers:',
        '  openai-compatible:',
        '    - name: deepseek',
        '      base-url: https://api.deepseek.com/v1',
        '      api-keys: ["sk-one", "sk-two"]',
        '      models: [deepseek-chat, {name: deepseek-reasoner, alias: r1}]',
      ].join('\n'),
      FILE,
    );
    expect(config.providers['openai-compatible']).toHaveLength(1);
    expect(config.providers['openai-compatible']).toMatchObject([
      {
        name: 'deepseek',
        'base-url': 'https://api.deepseek.com/v1',
        'api-keys': ['sk-one', 'sk-two'],
        models: ['deepseek-chat', { name: 'deepseek-reasoner', alias: 'r1' }],
      },
    ]);
  });

  it('reports a wrong type with file:line:col, key path and message', () => {
    const text = 'host: 127.0.0.1\nlogging:\n  level: info\n  buffer-lines: "lots"\n';
    const issue = onlyIssue(text);
    expect(issue).toMatchObject({ file: FILE, line: 4, column: 17, path: 'logging.buffer-lines' });
    expect(issue.message).toMatch(/expected number, received string/);
    expect(formatIssue(issue)).toBe(`${FILE}:4:17: logging.buffer-lines: ${issue.message}`);
  });

  it.each([
    ['providers:\n  openai:\n    api-key: ["sk-x"]\n', 3, 5, 'providers.openai.api-key', 'api-key', 'api-keys'],
    ['providers:\n  opnai:\n    api-keys: ["sk-x"]\n', 2, 3, 'providers.opnai', 'opnai', 'openai'],
    ['host: 127.0.0.1\nprot: 9000\n', 2, 1, 'prot', 'prot', 'port'],
    ['auth:\n  disable_auth: false\n', 2, 3, 'auth.disable_auth', 'disable_auth', 'disable-auth'],
    [
      'providers:\n  openai-compatible:\n    - name: x\n      base-url: http://127.0.0.1:1/v1\n      models: [{name: a, alais: b}]\n',
      5,
      26,
      'providers.openai-compatible[0].models[0].alais',
      'alais',
      'alias',
    ],
  ])('reports an unknown key with a suggestion (%#)', (text, line, column, path, key, suggestion) => {
    const issue = onlyIssue(text);
    expect(issue).toEqual({ file: FILE, line, column, path, message: `unknown key "${key}" (did you mean "${suggestion}"?)` });
  });

  it('does not suggest a key that is nothing like the typo', () => {
    const issue = onlyIssue('telemetry: true\n');
    expect(issue).toEqual({ file: FILE, line: 1, column: 1, path: 'telemetry', message: 'unknown key "telemetry"' });
  });

  it('rejects an invalid base-url of an openai-compatible provider', () => {
    const text = [
      'providers:',
      '  openai-compatible:',
      '    - name: local',
      '      base-url: localhost:8080/v1',
      '      models: [m]',
    ].join('\n');
    expect(onlyIssue(text)).toEqual({
      file: FILE,
      line: 4,
      column: 17,
      path: 'providers.openai-compatible[0].base-url',
      message: 'expected an http(s) URL',
    });
  });

  it('takes a selection strategy and session-affinity-ttl per provider, and rejects bad ones', () => {
    const config = parseConfig(
      [
        'providers:',
        '  anthropic: {strategy: fill-first, session-affinity-ttl: 3600}',
        '  openai-compatible:',
        '    - {name: local, base-url: "http://127.0.0.1:8080/v1", models: [m], strategy: fill-first}',
      ].join('\n'),
      FILE,
    );
    expect(config.providers.anthropic).toEqual({ 'api-keys': [], strategy: 'fill-first', 'session-affinity-ttl': 3600 });
    expect(config.providers['openai-compatible'][0]).toMatchObject({ strategy: 'fill-first', 'session-affinity-ttl': 0 });

    const issues = issuesOf('providers:\n  openai:\n    strategy: random\n    session-affinity-ttl: -5\n');
    expect(issues.map((issue) => [issue.line, issue.path])).toEqual([
      [3, 'providers.openai.strategy'],
      [4, 'providers.openai.session-affinity-ttl'],
    ]);
  });

  it('rejects duplicate provider names, including a built-in name', () => {
    const text = [
      'providers:',
      '  openai-compatible:',
      '    - name: groq',
      '      base-url: https://api.groq.com/openai/v1',
      '      models: [a]',
      '    - name: groq',
      '      base-url: https://example.com/v1',
      '      models: [b]',
      '    - name: openai',
      '      base-url: https://example.com/v1',
      '      models: [c]',
    ].join('\n');
    expect(issuesOf(text)).toEqual([
      {
        file: FILE,
        line: 6,
        column: 13,
        path: 'providers.openai-compatible[1].name',
        message: 'the provider name "groq" is already used',
      },
      {
        file: FILE,
        line: 9,
        column: 13,
        path: 'providers.openai-compatible[2].name',
        message: 'the provider name "openai" is already used',
      },
    ]);
  });

  it('reports a YAML syntax error with its line number', () => {
    // A tab for indentation: the classic hand-edit mistake.
    const text = 'host: 127.0.0.1\nport: 8317\nauth:\n\tdisable-auth: true\n';
    const issue = onlyIssue(text);
    expect(issue).toEqual({ file: FILE, line: 4, column: 1, path: '', message: 'Tabs are not allowed as indentation' });
    expect(new ConfigError([issue]).message).toBe(`${FILE}:4:1: Tabs are not allowed as indentation`);
  });

  it('reports a duplicated key as a YAML error on the second occurrence', () => {
    expect(onlyIssue('port: 1\nhost: 127.0.0.1\nport: 2\n')).toMatchObject({ file: FILE, line: 3, column: 1, path: '' });
  });

  it('reports every issue in one error, not just the first', () => {
    const text = ['port: "eighty"', 'hots: 0.0.0.0', 'logging:', '  level: loud', 'request-retry: 99'].join('\n');
    let error: unknown;
    try {
      parseConfig(text, FILE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((issue) => [issue.line, issue.path]).sort()).toEqual([
      [1, 'port'],
      [2, 'hots'],
      [4, 'logging.level'],
      [5, 'request-retry'],
    ]);
    expect(issues.find((issue) => issue.path === 'hots')?.message).toBe('unknown key "hots" (did you mean "host"?)');
    // The message lists them all, one per line, each with its position.
    const lines = (error as ConfigError).message.split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(new RegExp(`^${FILE}:\\d+:\\d+: \\S+: `));
  });

  it('rejects a document that is not a mapping', () => {
    expect(onlyIssue('- host\n- port\n')).toMatchObject({ line: 1, path: '', message: expect.stringMatching(/expected object/) });
  });
});

describe('loadConfigFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-mux-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tells the user to run `llm-mux init` when the file is missing', async () => {
    const file = join(dir, 'missing', 'config.yaml');
    const error = await loadConfigFile(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { file, path: '', message: 'no config file here; run `llm-mux init` to create one' },
    ]);
    expect((error as ConfigError).message).toContain('llm-mux init');
  });

  it('returns the parsed config and the exact text', async () => {
    const file = join(dir, 'ok.yaml');
    const text = '# mine\nport: 9123\n';
    await writeFile(file, text);
    const loaded = await loadConfigFile(file);
    expect(loaded.text).toBe(text);
    expect(loaded.config.port).toBe(9123);
  });

  it('names the real file in errors', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'port: nope\n');
    const error = (await loadConfigFile(file).catch((caught: unknown) => caught)) as ConfigError;
    expect(error.message).toMatch(new RegExp(`^${file}:1:7: port: `));
  });
});

describe('auth policy (Runtime.load)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-mux-policy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(name: string, text: string, host?: string) {
    const configPath = join(dir, `${name}.yaml`);
    await writeFile(configPath, text);
    return Runtime.load({ configPath, listenOverrides: { host, port: 0 } });
  }

  async function refusal(name: string, text: string, host?: string): Promise<ConfigIssue[]> {
    const error = await load(name, text, host).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }

  it('refuses a non-loopback host from config.yaml without api-keys', async () => {
    const issues = await refusal('open', 'host: 0.0.0.0\n');
    expect(issues).toEqual([
      {
        file: join(dir, 'open.yaml'),
        path: 'auth.api-keys',
        message: 'listening on 0.0.0.0 (not loopback) requires at least one API key',
      },
    ]);
  });

  it('refuses a non-loopback --host override without api-keys, even with disable-auth: true', async () => {
    const issues = await refusal('override', 'host: 127.0.0.1\nauth:\n  disable-auth: true\n', '192.168.1.10');
    expect(issues[0]).toMatchObject({ path: 'auth.api-keys', message: expect.stringContaining('192.168.1.10') });
  });

  it('refuses disable-auth: false without api-keys', async () => {
    const issues = await refusal('locked', 'auth:\n  disable-auth: false\n');
    expect(issues).toEqual([
      {
        file: join(dir, 'locked.yaml'),
        path: 'auth',
        message: 'disable-auth is false but api-keys is empty: no client could authenticate',
      },
    ]);
  });

  it('loads a non-loopback host with keys, and then requires client auth', async () => {
    const runtime = await load('keyed', 'host: 0.0.0.0\nauth:\n  api-keys: ["sk-client-key-1234"]\n');
    expect(runtime.listener.host).toBe('0.0.0.0');
    expect(runtime.clientAuthRequired).toBe(true);
  });

  it('loads loopback with disable-auth: true and no keys, without client auth', async () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      const runtime = await load(`loopback-${host.replace(/\W/g, '')}`, '', host);
      expect(runtime.clientAuthRequired, host).toBe(false);
    }
  });
});
