import { Hono, type Context } from 'hono';
import type { Runtime } from '../runtime.ts';

/**
 * `GET /v1/models`: every configured model, in Anthropic's list shape for Claude Code and
 * the Anthropic SDK (they send `anthropic-version`), in OpenAI's otherwise.
 */
export function modelRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  app.get('/v1/models', (c) => {
    const models = runtime.state.router.uniqueModels();
    if (wantsAnthropicShape(c)) {
      const data = models.map(({ id }) => ({ type: 'model', id, display_name: id, created_at: new Date(0).toISOString() }));
      return c.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    return c.json({ object: 'list', data: models.map(({ id, provider }) => ({ id, object: 'model', created: 0, owned_by: provider.id })) });
  });
  return app;
}

function wantsAnthropicShape(c: Context): boolean {
  return c.req.header('anthropic-version') !== undefined || (c.req.header('user-agent') ?? '').startsWith('claude-cli');
}
