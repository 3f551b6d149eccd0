import { Hono } from 'hono';
import { ProxyError } from '../../core/errors.ts';
import { countTokens } from '../../gateway/count.ts';
import { anthropicInbound } from '../../protocols/anthropic/index.ts';
import type { Runtime } from '../runtime.ts';
import { handleGeneration, parseJsonObject, requireModel, withModel } from './generation.ts';

/** Anthropic Messages, so Claude Code and the Anthropic SDKs can use any provider's models. */
export function anthropicRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  app.post('/v1/messages', (c) =>
    handleGeneration(c, runtime, anthropicInbound, (body) => ({ model: requireModel(body), stream: body.stream === true })),
  );
  app.post('/v1/messages/count_tokens', async (c) => {
    const rawBody = await c.req.text();
    let body: Record<string, unknown>;
    let model: string;
    try {
      body = parseJsonObject(rawBody);
      model = requireModel(body);
    } catch (error) {
      return anthropicInbound.errorResponse(error as ProxyError);
    }
    return countTokens(runtime, {
      inbound: anthropicInbound,
      rawBody,
      model,
      signal: c.req.raw.signal,
      renameModel: (upstreamModel) => withModel(body, upstreamModel),
      // count_tokens bodies carry no max_tokens, which a Messages request requires.
      decode: () => anthropicInbound.decodeRequest({ ...body, max_tokens: 1 }, { model }),
      render: (tokens) => ({ input_tokens: tokens }),
    });
  });
  return app;
}
