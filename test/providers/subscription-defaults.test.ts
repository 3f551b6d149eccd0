// The endpoints and identity strings of subscription providers: documented key for key in
// docs/providers.md, and overridable one by one from config.yaml.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { SUBSCRIPTION_DEFAULTS, SUBSCRIPTION_IDS } from '../../src/providers/subscription-defaults.ts';
import { settingsFromConfig } from '../../src/providers/subscriptions.ts';

const DOC = readFileSync(new URL('../../docs/providers.md', import.meta.url), 'utf8');

/** The keys a table row of docs/providers.md lists for `id`: [endpoints, identity]. */
function documentedKeys(id: string): [string[], string[]] {
  const row = DOC.split('\n').find((line) => line.startsWith(`| \`${id}\``));
  if (!row) throw new Error(`docs/providers.md has no row for ${id}`);
  const cells = row.split('|').slice(2, 4);
  return cells.map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!)) as [string[], string[]];
}

describe('subscription defaults', () => {
  it.each(SUBSCRIPTION_IDS)('docs/providers.md lists every endpoint and identity key of %s', (id) => {
    const [endpoints, identity] = documentedKeys(id);
    expect(endpoints).toEqual(Object.keys(SUBSCRIPTION_DEFAULTS[id].endpoints));
    expect(identity).toEqual(Object.keys(SUBSCRIPTION_DEFAULTS[id].identity));
  });

  it('config.yaml overrides single values and keeps the other defaults', () => {
    const config = parseConfig(
      ['providers:', '  codex:', '    endpoints: {api: "http://127.0.0.1:9/codex"}', '    identity: {client-version: "9.9.9"}'].join('\n'),
      'config.yaml',
    );
    const settings = settingsFromConfig(config, 'codex');
    expect(settings.endpoints).toEqual({ ...SUBSCRIPTION_DEFAULTS.codex.endpoints, api: 'http://127.0.0.1:9/codex' });
    expect(settings.identity).toEqual({ ...SUBSCRIPTION_DEFAULTS.codex.identity, 'client-version': '9.9.9' });
  });

  it('refuses an unknown key with a suggestion, and a project on a provider that has none', () => {
    const unknown = () => parseConfig(['providers:', '  claude:', '    identity: {user-agnet: x}'].join('\n'), 'config.yaml');
    expect(unknown).toThrow(ConfigError);
    expect(unknown).toThrow(/user-agent/);
    expect(() => parseConfig(['providers:', '  claude:', '    project: p'].join('\n'), 'config.yaml')).toThrow(/project/);
    expect(settingsFromConfig(parseConfig(['providers:', '  gemini-cli:', '    project: p1'].join('\n'), 'config.yaml'), 'gemini-cli').project).toBe('p1');
  });
});
