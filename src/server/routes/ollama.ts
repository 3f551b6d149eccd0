import { Hono } from 'hono';
import { ProxyError } from '../../core/errors.ts';
import { ollamaGenerateInbound, ollamaInbound } from '../../protocols/ollama/index.ts';
import type { Runtime } from '../runtime.ts';
import { handleGeneration, parseJsonObject, requireModel, type PostRoute } from './generation.ts';

/** The Ollama version we answer /api/version with: recent enough for clients that check. */
const OLLAMA_COMPATIBLE_VERSION = '0.12.6';

/** Ollama streams unless told not to. */
const streams = (body: Record<string, unknown>) => body.stream !== false;

/** Ollama's generation endpoints, so Ollama clients and UIs can use any provider's models. */
export function ollamaPosts(runtime: Runtime): PostRoute[] {
  // Ollama clients load (or, with keep_alive 0, unload) a model by sending no input:
  // there is nothing to load here, so such requests are answered at once.
  return [
    {
      path: '/api/chat',
      handle: (request) =>
        handleGeneration(request, runtime, ollamaInbound, (body) =>
          Array.isArray(body.messages) && body.messages.length === 0
            ? Response.json(loadAnswer(body, { message: { role: 'assistant', content: '' } }))
            : { model: requireModel(body), stream: streams(body) },
        ),
    },
    {
      path: '/api/generate',
      handle: (request) =>
        handleGeneration(request, runtime, ollamaGenerateInbound, (body) =>
          !body.prompt && !body.images
            ? Response.json(loadAnswer(body, { response: '' }))
            : { model: requireModel(body), stream: streams(body), alwaysTranslate: true },
        ),
    },
  ];
}

/** The rest of Ollama's API: version, model list and model details. */
export function ollamaRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  app.get('/api/version', (c) => c.json({ version: OLLAMA_COMPATIBLE_VERSION }));

  app.get('/api/tags', (c) => {
    const models = runtime.state.router.uniqueModels().map(({ id, provider: { id: provider } }) => ({
      name: id,
      model: id,
      modified_at: new Date(0).toISOString(),
      size: 0,
      digest: '',
      details: { format: '', family: provider, families: [provider], parameter_size: '', quantization_level: '' },
    }));
    return c.json({ models });
  });

  app.post('/api/show', async (c) => {
    let model: string;
    try {
      const body = parseJsonObject(await c.req.text());
      model = typeof body.name === 'string' && !body.model ? body.name : requireModel(body);
    } catch (error) {
      return ollamaInbound.errorResponse(error as ProxyError);
    }
    const entry = runtime.state.router.uniqueModels().find((candidate) => candidate.id === model);
    if (!entry) return ollamaInbound.errorResponse(new ProxyError('not_found', `model '${model}' not found`));
    return c.json({
      modelfile: '',
      parameters: '',
      template: '',
      details: { format: '', family: entry.provider.id, families: [entry.provider.id], parameter_size: '', quantization_level: '' },
      model_info: {},
      capabilities: ['completion', 'tools', 'thinking', 'vision'],
      modified_at: new Date(0).toISOString(),
    });
  });
  return app;
}

function loadAnswer(body: Record<string, unknown>, output: Record<string, unknown>) {
  return {
    model: body.model,
    created_at: new Date().toISOString(),
    ...output,
    done_reason: body.keep_alive === 0 ? 'unload' : 'load',
    done: true,
  };
}
