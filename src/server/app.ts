import { Hono } from 'hono';
import { ProxyError } from '../core/errors.ts';
import { isLoopbackHost } from '../core/hosts.ts';
import { errorResponseForPath } from './error-format.ts';
import { managementRoutes } from './management/routes.ts';
import { anthropicPosts } from './routes/anthropic.ts';
import type { PostRoute } from './routes/generation.ts';
import { geminiPosts, geminiRoutes } from './routes/gemini.ts';
import { modelRoutes } from './routes/models.ts';
import { ollamaPosts, ollamaRoutes } from './routes/ollama.ts';
import { openAIPosts } from './routes/openai.ts';
import type { Runtime } from './runtime.ts';
import { browserCheck, clientKeyCheck } from './security.ts';

/** The paths of the client APIs: guarded by client auth when keys are required. */
const CLIENT_API_PATH = /^\/(v1\/|v1beta\/|v1internal:|api\/)/;

/** The whole HTTP surface of llm-mux, independent of the server runtime. */
export interface App {
  /** Needs no `this`: servers are handed the function alone. */
  fetch: (request: Request) => Response | Promise<Response>;
}

/**
 * The client APIs' POST endpoints, which carry every token, are dispatched straight from
 * the Web Request; everything else goes through a Hono app. Hono's context, middleware
 * chain and router cost 7 µs of the main thread's 41 per proxied request (Bun, under load),
 * so the hot path skips them. Both ways run the same checks and render errors alike.
 */
export function createApp(runtime: Runtime): App {
  const render = (error: ProxyError, path: string) => errorResponseForPath(path)(error);
  const checkBrowser = browserCheck({ loopbackOnly: () => isLoopbackHost(runtime.listener.host) });
  const checkClientKey = clientKeyCheck({ required: () => runtime.clientAuthRequired, keyHashes: () => runtime.state.clientKeyHashes });

  /** The answer to a request that may not go on, or undefined when it may. */
  const refuse = (request: Request, path: string): Response | undefined => {
    if (runtime.draining) {
      const response = render(new ProxyError('unavailable', 'llm-mux is shutting down.', { code: 'shutting_down' }), path);
      response.headers.set('connection', 'close');
      return response;
    }
    const refusal = checkBrowser(request) ?? (CLIENT_API_PATH.test(path) ? checkClientKey(request) : undefined);
    return refusal && render(refusal, path);
  };

  /** An error no route answered: rendered in the caller's protocol, logged unless expected. */
  const unhandled = (error: unknown, request: Request, path: string): Response => {
    if (error instanceof ProxyError) return render(error, path);
    if (request.signal.aborted) return new Response(null, { status: 499 });
    runtime.logger.error('unhandled error', { path, error: (error as Error).message });
    return render(new ProxyError('internal', 'Internal error in llm-mux; see its log.'), path);
  };

  const posts = new PostRouter([...openAIPosts(runtime), ...anthropicPosts(runtime), ...ollamaPosts(runtime), ...geminiPosts(runtime)]);
  const serve = async (route: PostRoute, request: Request, path: string): Promise<Response> => {
    try {
      return await route.handle(request, path);
    } catch (error) {
      return unhandled(error, request, path);
    }
  };

  const app = new Hono();
  app.use('*', async (c, next) => {
    const refusal = refuse(c.req.raw, c.req.path);
    if (refusal) return refusal;
    await next();
  });
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route('/v0/management', managementRoutes(runtime));
  app.route('/', modelRoutes(runtime));
  app.route('/', ollamaRoutes(runtime));
  app.route('/', geminiRoutes(runtime));
  app.notFound((c) => render(new ProxyError('not_found', 'No such endpoint.', { code: 'unknown_endpoint' }), c.req.path));
  app.onError((error, c) => unhandled(error, c.req.raw, c.req.path));

  return {
    fetch: (request) => {
      if (request.method === 'POST') {
        const path = pathOf(request.url);
        const route = posts.match(path);
        if (route) return refuse(request, path) ?? serve(route, request, path);
      }
      return app.fetch(request);
    },
  };
}

/** Exact paths first, then the longest prefix. */
class PostRouter {
  private readonly exact = new Map<string, PostRoute>();
  private readonly prefixed: PostRoute[];

  constructor(routes: readonly PostRoute[]) {
    for (const route of routes) if (!route.prefix) this.exact.set(route.path, route);
    this.prefixed = routes.filter((route) => route.prefix).sort((a, b) => b.path.length - a.path.length);
  }

  match(path: string): PostRoute | undefined {
    return this.exact.get(path) ?? this.prefixed.find((route) => path.length > route.path.length && path.startsWith(route.path));
  }
}

/** The path of a request URL, without its query, percent-escapes decoded (as Hono reads it). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  const end = url.indexOf('?', start);
  const path = end === -1 ? url.slice(start) : url.slice(start, end);
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
