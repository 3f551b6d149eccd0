import { Hono } from 'hono';
import type { Runtime } from '../runtime.ts';

/** `GET /v1/models`: every model of every configured provider, in OpenAI's list format. */
export function modelRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  app.get('/v1/models', (c) => {
    const seen = new Set<string>();
    const data = [];
    for (const { id, provider } of runtime.state.router.listModels()) {
      if (seen.has(id)) continue;
      seen.add(id);
      data.push({ id, object: 'model', created: 0, owned_by: provider.id });
    }
    return c.json({ object: 'list', data });
  });
  return app;
}
