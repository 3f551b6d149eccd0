import { Hono } from 'hono';
import { ProxyError } from '../../core/errors.ts';
import { countTokens } from '../../gateway/count.ts';
import type { InboundCodec } from '../../protocols/codec.ts';
import {
  createGeminiStreamEncoder,
  decodeCountTokensRequest,
  encodeCountTokensResponse,
  geminiInbound,
  unwrapCodeAssistRequest,
  wrapCodeAssistResponse,
} from '../../protocols/gemini/index.ts';
import type { GenerateContentResponse } from '../../protocols/gemini/types.ts';
import type { Runtime } from '../runtime.ts';
import { handleGeneration, parseJsonObject, type PostRoute } from './generation.ts';

/** The Code Assist methods Gemini CLI calls that llm-mux answers; any other is an unknown endpoint. */
const CODE_ASSIST_METHODS = ['generateContent', 'streamGenerateContent', 'countTokens'] as const;

/** Where the Gemini API names a model, and after a colon the method: `/v1beta/models/{model}:{method}`. */
const MODEL_PATH = '/v1beta/models/';

/**
 * The Gemini API (`/v1beta/models/…`) and Gemini CLI's Code Assist form (`/v1internal:…`),
 * so Google's SDKs and Gemini CLI can use any provider's models.
 */
export function geminiPosts(runtime: Runtime): PostRoute[] {
  const codeAssist: PostRoute[] = CODE_ASSIST_METHODS.map((method) => ({
    path: `/v1internal:${method}`,
    handle: (request) => {
      if (method === 'countTokens') {
        return countGeminiTokens(request, runtime, (body) => {
          const inner = (body.request ?? {}) as { model?: unknown };
          const model = typeof inner.model === 'string' ? inner.model.replace(/^models\//, '') : '';
          return { model, request: inner, sameAsUpstream: false };
        });
      }
      return handleGeneration(request, runtime, codeAssistInbound, (body) => {
        const envelope = unwrapCodeAssistRequest(body);
        return { model: envelope.model, stream: method === 'streamGenerateContent', alwaysTranslate: true };
      });
    },
  }));
  return [{ path: MODEL_PATH, prefix: true, handle: (request, path) => modelMethod(request, path.slice(MODEL_PATH.length), runtime) }, ...codeAssist];
}

/** `POST /v1beta/models/{model}:{method}`: generate, stream or count tokens. */
async function modelMethod(request: Request, target: string, runtime: Runtime): Promise<Response> {
  const split = target.lastIndexOf(':');
  const model = target.slice(0, split);
  const method = target.slice(split + 1);
  if (split <= 0) return geminiInbound.errorResponse(new ProxyError('not_found', `Unknown method on models/${target}.`));
  if (method === 'countTokens') return countGeminiTokens(request, runtime, (body) => ({ model, request: body, sameAsUpstream: true }));
  if (method !== 'generateContent' && method !== 'streamGenerateContent') {
    return geminiInbound.errorResponse(new ProxyError('not_found', `Method ${method} is not supported.`));
  }
  const stream = method === 'streamGenerateContent';
  // Without alt=sse Google streams one JSON array; no upstream speaks that, so it is always encoded here.
  const jsonArray = stream && queryOf(request.url).get('alt') !== 'sse';
  const inbound = jsonArray ? withStreamFraming(geminiInbound, 'json-array') : geminiInbound;
  return handleGeneration(request, runtime, inbound, () => ({ model, stream, alwaysTranslate: jsonArray, modelInUrl: true }));
}

/** A request URL's query parameters (a request target has no fragment), without parsing the rest of it. */
function queryOf(url: string): URLSearchParams {
  const start = url.indexOf('?');
  return new URLSearchParams(start < 0 ? '' : url.slice(start + 1));
}

/** The model list and one model's details. */
export function geminiRoutes(runtime: Runtime): Hono {
  const app = new Hono();
  app.get('/v1beta/models', (c) => c.json({ models: runtime.state.router.uniqueModels().map(({ id }) => modelInfo(id)) }));
  app.get('/v1beta/models/:model{[^:]+}', (c) => {
    const id = c.req.param('model');
    const known = runtime.state.router.uniqueModels().some((model) => model.id === id);
    return known ? c.json(modelInfo(id)) : geminiInbound.errorResponse(new ProxyError('not_found', `models/${id} is not found.`));
  });
  return app;
}

/** Gemini CLI's envelope: the request inside `{model, project, request}`, answers inside `{response}`. */
const codeAssistInbound: InboundCodec = {
  ...geminiInbound,
  decodeRequest: (body, context) => geminiInbound.decodeRequest(unwrapCodeAssistRequest(body).request, context),
  encodeResponse: (response, context) => wrapCodeAssistResponse(geminiInbound.encodeResponse(response, context) as GenerateContentResponse),
  createStreamEncoder: (context) => createGeminiStreamEncoder(context, { framing: 'sse', wrap: (chunk) => wrapCodeAssistResponse(chunk) }),
};

function withStreamFraming(inbound: InboundCodec, framing: 'sse' | 'json-array'): InboundCodec {
  return { ...inbound, createStreamEncoder: (context) => createGeminiStreamEncoder(context, { framing }) };
}

/**
 * countTokens, from the Gemini API (model in the URL, body as the upstream takes it) or
 * from Code Assist (model and body inside an envelope, so always counted here or re-sent).
 */
async function countGeminiTokens(
  request: Request,
  runtime: Runtime,
  read: (body: Record<string, unknown>) => { model: string; request: unknown; sameAsUpstream: boolean },
): Promise<Response> {
  const rawBody = await request.text();
  let target: ReturnType<typeof read>;
  try {
    target = read(parseJsonObject(rawBody));
    if (!target.model) throw new ProxyError('invalid_request', 'The request names no model.', { param: 'model' });
  } catch (error) {
    return geminiInbound.errorResponse(error as ProxyError);
  }
  const upstreamBody = target.sameAsUpstream ? rawBody : JSON.stringify(target.request);
  return countTokens(runtime, {
    inbound: geminiInbound,
    rawBody: upstreamBody,
    model: target.model,
    signal: request.signal,
    // The model lives in the URL: the body needs no renaming.
    renameModel: () => upstreamBody,
    decode: () => decodeCountTokensRequest(target.request, { model: target.model }),
    render: encodeCountTokensResponse,
  });
}

function modelInfo(id: string) {
  return {
    name: `models/${id}`,
    baseModelId: id,
    version: '001',
    displayName: id,
    description: `${id} through llm-mux`,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
  };
}
