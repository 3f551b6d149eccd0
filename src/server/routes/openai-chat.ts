import { Hono } from 'hono';
import { ProxyError } from '../../core/errors.ts';
import { runExchange } from '../../gateway/exchange.ts';
import { chatInbound } from '../../protocols/openai-chat/index.ts';
import type { Runtime } from '../runtime.ts';

interface ChatRequestHead {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
}

/** `POST /v1/chat/completions`, answered by whichever provider serves the model. */
export function openAIChatRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  app.post('/v1/chat/completions', async (c) => {
    const rawBody = await c.req.text();
    let body: ChatRequestHead;
    try {
      body = parseChatRequest(rawBody);
    } catch (error) {
      return chatInbound.errorResponse(error as ProxyError);
    }
    const model = body.model as string;
    return runExchange(runtime, {
      inbound: chatInbound,
      body,
      rawBody,
      model,
      stream: body.stream === true,
      context: { model, streamUsage: body.stream_options?.include_usage === true },
      signal: c.req.raw.signal,
    });
  });
  return app;
}

/**
 * Just enough checking to route: a same-protocol request passes through without being
 * decoded, so the upstream judges the rest. Translated requests are checked in full.
 */
function parseChatRequest(text: string): ChatRequestHead {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProxyError('invalid_request', 'The request body is not valid JSON.', { code: 'invalid_json' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProxyError('invalid_request', 'The request body must be a JSON object.', { code: 'invalid_json' });
  }
  const request = body as ChatRequestHead;
  if (typeof request.model !== 'string' || request.model === '') {
    throw new ProxyError('invalid_request', 'You must provide a model parameter.', { param: 'model', code: 'missing_model' });
  }
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    throw new ProxyError('invalid_request', '`messages` must be a non-empty array.', { param: 'messages', code: 'invalid_messages' });
  }
  return request;
}
