import { Hono } from 'hono';
import { ProxyError, kindForStatus } from '../../core/errors.ts';
import type { TokenUsage } from '../../core/usage.ts';
import { forward } from '../../gateway/forward.ts';
import type { Route } from '../../gateway/router.ts';
import { ChatCompletionAggregator } from '../../protocols/openai-chat/aggregate.ts';
import { openAIErrorResponse } from '../../protocols/openai-chat/errors.ts';
import { observeChatStream } from '../../protocols/openai-chat/stream-observer.ts';
import type { ChatUsage } from '../../protocols/openai-chat/types.ts';
import { tokenUsageFromChat } from '../../protocols/openai-chat/usage.ts';
import { readSSE } from '../../protocols/sse.ts';
import type { Runtime } from '../runtime.ts';

interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  [key: string]: unknown;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Tell reverse proxies in front of us not to buffer the stream.
  'x-accel-buffering': 'no',
};

/** Upstream error bodies are small; a larger one is cut rather than held in memory. */
const MAX_ERROR_BODY_CHARS = 64 * 1024;

/** `POST /v1/chat/completions`, forwarded to the provider that serves the model. */
export function openAIChatRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  app.post('/v1/chat/completions', async (c) => {
    const started = performance.now();
    const state = runtime.state;
    const text = await c.req.text();
    const body = parseChatRequest(text);
    const stream = body.stream === true;
    const model = body.model as string;
    const routes = state.router.resolve(model);

    const record = (route: Route, status: number, usage?: TokenUsage) => {
      const ok = status < 400;
      runtime.usage.record({ provider: route.provider.id, model, ok, usage });
      runtime.logger.info('chat', {
        model,
        provider: route.provider.id,
        stream,
        status,
        ms: Math.round(performance.now() - started),
        tokens: usage ? usage.input + usage.output : undefined,
      });
    };

    // Same protocol both ways: the client's bytes go upstream untouched unless the
    // provider knows the model under another name.
    const upstreamBody = (route: Route) =>
      route.upstreamModel === model ? text : JSON.stringify({ ...body, model: route.upstreamModel });
    const { response, route } = await forward(routes, upstreamBody, {
      fetch: state.fetch,
      logger: runtime.logger,
      retries: state.config['request-retry'],
      signal: c.req.raw.signal,
    }).catch((error: unknown) => {
      if (error instanceof ProxyError) record(routes[0]!, error.status);
      throw error;
    });

    if (!response.ok) {
      record(route, response.status);
      return upstreamErrorResponse(response, route);
    }
    const isEventStream = response.headers.get('content-type')?.includes('text/event-stream') ?? false;
    if (isEventStream && response.body) {
      if (stream) {
        const observed = observeChatStream(response.body, (outcome) =>
          record(route, outcome.failed ? 502 : 200, outcome.usage),
        );
        return new Response(observed, { status: 200, headers: SSE_HEADERS });
      }
      // The client wants one JSON body but the upstream streamed: fold the stream.
      const completion = await aggregateStream(response.body).catch((error: unknown) => {
        if (error instanceof ProxyError) record(route, error.status);
        throw error;
      });
      const usage = completion.usage ? tokenUsageFromChat(completion.usage) : undefined;
      record(route, 200, usage);
      return c.json(completion);
    }
    const json = await response.text();
    record(route, response.status, usageOfJsonBody(json));
    const contentType = response.headers.get('content-type') ?? 'application/json';
    return new Response(json, { status: response.status, headers: { 'content-type': contentType } });
  });
  return app;
}

function parseChatRequest(text: string): ChatRequestBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProxyError('invalid_request', 'The request body is not valid JSON.', { code: 'invalid_json' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProxyError('invalid_request', 'The request body must be a JSON object.', { code: 'invalid_json' });
  }
  const request = body as ChatRequestBody;
  if (typeof request.model !== 'string' || request.model === '') {
    throw new ProxyError('invalid_request', 'You must provide a model parameter.', { param: 'model', code: 'missing_model' });
  }
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    throw new ProxyError('invalid_request', '`messages` must be a non-empty array.', { param: 'messages', code: 'invalid_messages' });
  }
  return request;
}

async function aggregateStream(body: ReadableStream<Uint8Array>) {
  const aggregator = new ChatCompletionAggregator();
  for await (const message of readSSE(body)) aggregator.addMessage(message);
  return aggregator.result();
}

function usageOfJsonBody(json: string): TokenUsage | undefined {
  try {
    const usage = (JSON.parse(json) as { usage?: unknown }).usage;
    return usage && typeof usage === 'object' ? tokenUsageFromChat(usage as ChatUsage) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An upstream HTTP error reaches the client with the upstream's status. An OpenAI-shaped
 * error body passes through as sent; anything else is wrapped in one.
 */
async function upstreamErrorResponse(response: Response, route: Route): Promise<Response> {
  const text = (await response.text()).slice(0, MAX_ERROR_BODY_CHARS);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter) headers['retry-after'] = retryAfter;
  if (isOpenAIErrorBody(text)) return new Response(text, { status: response.status, headers });
  const detail = text.trim() ? `: ${text.trim().slice(0, 500)}` : '';
  return openAIErrorResponse(
    new ProxyError(kindForStatus(response.status), `${route.provider.label} answered HTTP ${response.status}${detail}`, {
      status: response.status,
      code: 'upstream_error',
      headers,
    }),
  );
}

function isOpenAIErrorBody(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    return typeof parsed.error === 'object' && parsed.error !== null && 'message' in parsed.error;
  } catch {
    return false;
  }
}
