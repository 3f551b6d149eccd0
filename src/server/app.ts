import { Hono } from 'hono';
import { ProxyError } from '../core/errors.ts';
import { errorResponseForPath } from './error-format.ts';
import { managementRoutes } from './management/routes.ts';
import { anthropicRoutes } from './routes/anthropic.ts';
import { geminiRoutes } from './routes/gemini.ts';
import { modelRoutes } from './routes/models.ts';
import { ollamaRoutes } from './routes/ollama.ts';
import { openAIRoutes } from './routes/openai.ts';
import type { Runtime } from './runtime.ts';
import { browserGuard, clientAuth, isLoopbackHost } from './security.ts';

/** The paths of the client APIs: guarded by client auth when keys are required. */
const CLIENT_API_PATH = /^\/(v1\/|v1beta\/|v1internal:|api\/)/;

/** The whole HTTP surface of llm-mux as one Hono app, independent of the server runtime. */
export function createApp(runtime: Runtime): Hono {
  const app = new Hono();
  const render = (error: ProxyError, path: string) => errorResponseForPath(path)(error);

  app.use('*', async (c, next) => {
    if (runtime.draining) {
      c.header('connection', 'close');
      return render(new ProxyError('unavailable', 'llm-mux is shutting down.', { code: 'shutting_down' }), c.req.path);
    }
    await next();
  });
  app.use('*', browserGuard({ loopbackOnly: () => isLoopbackHost(runtime.listener.host), render }));

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route('/v0/management', managementRoutes(runtime));

  const auth = clientAuth({ required: () => runtime.clientAuthRequired, keyHashes: () => runtime.state.clientKeyHashes, render });
  app.use('*', (c, next) => (CLIENT_API_PATH.test(c.req.path) ? auth(c, next) : next()));
  app.route('/', modelRoutes(runtime));
  app.route('/', openAIRoutes(runtime));
  app.route('/', ollamaRoutes(runtime));
  app.route('/', anthropicRoutes(runtime));
  app.route('/', geminiRoutes(runtime));

  app.notFound((c) => render(new ProxyError('not_found', 'No such endpoint.', { code: 'unknown_endpoint' }), c.req.path));
  app.onError((error, c) => {
    if (error instanceof ProxyError) return render(error, c.req.path);
    if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
    runtime.logger.error('unhandled error', { path: c.req.path, error: error.message });
    return render(new ProxyError('internal', 'Internal error in llm-mux; see its log.'), c.req.path);
  });
  return app;
}
