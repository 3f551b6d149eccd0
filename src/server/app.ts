import { Hono } from 'hono';
import { ProxyError } from '../core/errors.ts';
import { openAIErrorResponse } from '../protocols/openai-chat/errors.ts';
import { managementRoutes } from './management/routes.ts';
import { modelRoutes } from './routes/models.ts';
import { openAIChatRoutes } from './routes/openai-chat.ts';
import type { Runtime } from './runtime.ts';
import { browserGuard, clientAuth, isLoopbackHost } from './security.ts';

/** The whole HTTP surface of llm-mux as one Hono app, independent of the server runtime. */
export function createApp(runtime: Runtime): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    if (runtime.draining) {
      c.header('connection', 'close');
      return openAIErrorResponse(new ProxyError('unavailable', 'llm-mux is shutting down.', { code: 'shutting_down' }));
    }
    await next();
  });
  app.use('*', browserGuard({ loopbackOnly: () => isLoopbackHost(runtime.listener.host), render: openAIErrorResponse }));

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route('/v0/management', managementRoutes(runtime));

  app.use(
    '/v1/*',
    clientAuth({
      required: () => runtime.clientAuthRequired,
      keyHashes: () => runtime.state.clientKeyHashes,
      render: openAIErrorResponse,
    }),
  );
  app.route('/', modelRoutes(runtime));
  app.route('/', openAIChatRoutes(runtime));

  app.notFound(() => openAIErrorResponse(new ProxyError('not_found', 'No such endpoint.', { code: 'unknown_endpoint' })));
  app.onError((error, c) => {
    if (error instanceof ProxyError) return openAIErrorResponse(error);
    if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
    runtime.logger.error('unhandled error', { path: c.req.path, error: error.message });
    return openAIErrorResponse(new ProxyError('internal', 'Internal error in llm-mux; see its log.'));
  });
  return app;
}
