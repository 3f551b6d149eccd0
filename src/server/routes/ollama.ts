import { Hono } from 'hono';
import { ProxyError } from '../../core/errors.ts';
import { ollamaGenerateInbound, ollamaInbound } from '../../protocols/ollama/index.ts';
import type { Runtime } from '../runtime.ts';
import { handleGeneration, parseJsonObject, requireModel } from './generation.ts';

/** The Ollama version we answer /api/version with: recent enough for clients that check. */
const OLLAMA_COMPATIBLE_VERSION = '0.12.6';

/** Ollama's native API, so Ollama clients and UIs can use any provider's models. */
export function ollamaRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  // Ollama streams unless told not to.
  const stream = (body: Record<string, unknown>) => body.stream !== false;

  app.post('/api/chat', (c) => handleGeneration(c, runtime, ollamaInbound, (body) => ({ model: requireModel(body), stream: stream(body) })));
  app.post('/api/generate', (c) =>
    handleGeneration(c, runtime, ollamaGenerateInbound, (body) => ({ model: requireModel(body), stream: stream(body), alwaysTranslate: true })),
  );

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
