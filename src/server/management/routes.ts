import { readFile } from 'node:fs/promises';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ConfigError } from '../../config/load.ts';
import { matchesAnyHash, readManagementKeyHash } from '../../config/management-key.ts';
import { setConfigValue } from '../../config/edit.ts';
import { redactSecrets } from '../../config/redact.ts';
import { ProxyError } from '../../core/errors.ts';
import { openAIErrorResponse } from '../../protocols/openai-chat/errors.ts';
import type { Runtime } from '../runtime.ts';
import { registerAccountRoutes } from './accounts.ts';
import { readJson } from './json.ts';

const apiKeysBody = z.union([
  z.array(z.string()),
  z.strictObject({ 'api-keys': z.array(z.string()) }).transform((body) => body['api-keys']),
]);
const debugBody = z.strictObject({ value: z.boolean() });

/**
 * `/v0/management`: inspect and change the running proxy. Guarded by the management key
 * from `llm-mux init`; the whole API is absent (404) until one has been generated.
 */
export function managementRoutes(runtime: Runtime): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const hash = await readManagementKeyHash(runtime.managementKeyFile);
    if (!hash) return openAIErrorResponse(new ProxyError('not_found', 'No such endpoint.', { code: 'unknown_endpoint' }));
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const key = c.req.header('x-management-key') ?? bearer;
    if (!key || !matchesAnyHash(key.trim(), [hash])) {
      runtime.logger.warn('management request refused', { path: c.req.path });
      return openAIErrorResponse(
        new ProxyError('authentication', 'A valid X-Management-Key is required.', { code: 'invalid_management_key' }),
      );
    }
    await next();
  });

  app.get('/config', (c) => c.json(redactSecrets(runtime.config) as object));

  app.get('/config.yaml', async (c) => {
    const text = await readFile(runtime.configPath, 'utf8');
    return c.body(text, 200, { 'content-type': 'application/yaml; charset=utf-8' });
  });

  app.put('/config.yaml', async (c) => replaceConfig(c, runtime, await c.req.text()));

  app.get('/usage', (c) => c.json(runtime.usage.snapshot()));

  app.get('/api-keys', (c) => c.json({ 'api-keys': runtime.config.auth['api-keys'] }));

  app.put('/api-keys', async (c) => {
    const keys = apiKeysBody.parse(await readJson(c));
    return replaceConfig(c, runtime, setConfigValue(await currentConfigText(runtime), ['auth', 'api-keys'], keys));
  });

  app.delete('/api-keys', async (c) => {
    const keys = runtime.config.auth['api-keys'];
    const value = c.req.query('value');
    const index = c.req.query('index');
    // Digits only: Number('') is 0, and `?index=` must not delete the first key.
    const position = value !== undefined ? keys.indexOf(value) : /^\d+$/.test(index ?? '') ? Number(index) : -1;
    if (position < 0 || position >= keys.length) {
      throw new ProxyError('not_found', 'No such API key: pass ?value=<key> or ?index=<n>.', { code: 'unknown_api_key' });
    }
    const remaining = keys.filter((_, i) => i !== position);
    return replaceConfig(c, runtime, setConfigValue(await currentConfigText(runtime), ['auth', 'api-keys'], remaining));
  });

  registerAccountRoutes(app, runtime);

  app.get('/logs', (c) => c.json({ lines: runtime.logger.lines() }));
  app.delete('/logs', (c) => {
    runtime.logger.clear();
    return c.json({ status: 'ok' });
  });

  app.get('/debug', (c) => c.json({ value: runtime.logger.debug }));
  app.put('/debug', async (c) => {
    const { value } = debugBody.parse(await readJson(c));
    runtime.logger.debug = value;
    runtime.logger.info('debug logging', { enabled: value });
    return c.json({ value });
  });

  app.onError((error) => {
    if (error instanceof ProxyError) return openAIErrorResponse(error);
    if (error instanceof z.ZodError) {
      const message = error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
      return openAIErrorResponse(new ProxyError('invalid_request', message, { code: 'invalid_body' }));
    }
    throw error;
  });
  return app;
}

/** Edits start from the file on disk, so hand edits made while serving are kept. */
function currentConfigText(runtime: Runtime): Promise<string> {
  return readFile(runtime.configPath, 'utf8');
}

/** Validates, writes and applies new config text; an invalid one changes nothing. */
async function replaceConfig(c: Context, runtime: Runtime, text: string) {
  try {
    const config = await runtime.replaceConfigText(text);
    return c.json({ status: 'ok', 'restart-required': runtime.restartRequired(config) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return c.json(
      {
        error: {
          message: error.message,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_config',
          issues: error.issues,
        },
      },
      400,
    );
  }
}
