import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateManagementKey, storeManagementKeyHash } from '../../src/config/management-key.ts';
import { managementKeyPath } from '../../src/config/paths.ts';
import { createApp } from '../../src/server/app.ts';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { Runtime } from '../../src/server/runtime.ts';

export interface TestProxy {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  runtime: Runtime;
  server: RunningServer;
  configPath: string;
  /** Present when started with `managementKey: true`. */
  managementKey?: string;
  close(): Promise<void>;
}

/**
 * The real llm-mux server (same app, same listener as `llm-mux serve`) on an ephemeral
 * loopback port, with its config in a fresh temp directory.
 */
export async function startProxy(
  configYaml: string,
  options: { managementKey?: boolean; beforeStart?: (configDir: string) => Promise<void> } = {},
): Promise<TestProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-mux-test-'));
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, configYaml, { mode: 0o600 });
  await options.beforeStart?.(dir);
  let managementKey: string | undefined;
  if (options.managementKey) {
    managementKey = generateManagementKey();
    await storeManagementKeyHash(managementKeyPath(configPath), managementKey);
  }
  const runtime = await Runtime.load({ configPath, listenOverrides: { host: '127.0.0.1', port: 0 } });
  const server = await listen(createApp(runtime), '127.0.0.1', 0);
  return {
    url: server.url,
    runtime,
    server,
    configPath,
    managementKey,
    async close() {
      runtime.draining = true;
      await server.close(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Config YAML for one OpenAI-compatible upstream named `fake`. */
export function fakeProviderConfig(upstreamUrl: string, extra = ''): string {
  return [
    'providers:',
    '  openai-compatible:',
    '    - name: fake',
    `      base-url: ${upstreamUrl}/v1`,
    '      api-keys: ["sk-fake-upstream-key"]',
    '      models: [fake-model, {name: upstream-name, alias: aliased-model}]',
    extra,
  ].join('\n');
}
