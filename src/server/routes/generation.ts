import { ProxyError } from '../../core/errors.ts';
import { runExchange } from '../../gateway/exchange.ts';
import type { ClientContext, InboundCodec } from '../../protocols/codec.ts';
import type { Runtime } from '../runtime.ts';

/**
 * A client API's POST endpoint, served straight from the Web Request rather than through
 * Hono (see app.ts): `path` is the decoded path, `prefix` says it names a path's start.
 */
export interface PostRoute {
  path: string;
  prefix?: boolean;
  handle: (request: Request, path: string) => Promise<Response>;
}

/** What a protocol route reads from a parsed client body before handing it to the gateway. */
export interface RequestHead {
  model: string;
  stream: boolean;
  context?: Partial<ClientContext>;
  /** The model is in the URL (Gemini), so a same-protocol upstream gets the body unchanged. */
  modelInUrl?: boolean;
  alwaysTranslate?: boolean;
}

/**
 * The shared shape of every generation route: parse the JSON body, read what routing
 * needs (or answer at once), run the exchange; a bad body is answered in the route's own
 * error format.
 */
export async function handleGeneration(
  request: Request,
  runtime: Runtime,
  inbound: InboundCodec,
  readHead: (body: Record<string, unknown>) => RequestHead | Response,
): Promise<Response> {
  const rawBody = await request.text();
  let body: Record<string, unknown>;
  let head: RequestHead | Response;
  try {
    body = parseJsonObject(rawBody);
    head = readHead(body);
  } catch (error) {
    if (error instanceof ProxyError) return inbound.errorResponse(error);
    throw error;
  }
  if (head instanceof Response) return head;
  return runExchange(runtime, {
    inbound,
    body,
    rawBody,
    model: head.model,
    stream: head.stream,
    context: { model: head.model, ...head.context },
    signal: request.signal,
    renameModel: head.modelInUrl ? () => rawBody : (model) => withModel(body, model),
    alwaysTranslate: head.alwaysTranslate,
  });
}

export function parseJsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProxyError('invalid_request', 'The request body is not valid JSON.', { code: 'invalid_json' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProxyError('invalid_request', 'The request body must be a JSON object.', { code: 'invalid_json' });
  }
  return body as Record<string, unknown>;
}

/** The `model` field every body-routed protocol carries. */
export function requireModel(body: Record<string, unknown>): string {
  if (typeof body.model !== 'string' || body.model === '') {
    throw new ProxyError('invalid_request', 'You must provide a model parameter.', { param: 'model', code: 'missing_model' });
  }
  return body.model;
}

/** Replaces the model name in a JSON body (the default for same-protocol upstreams). */
export function withModel(body: Record<string, unknown>, model: string): string {
  return JSON.stringify({ ...body, model });
}
