import { affinityKey } from '../accounts/affinity.ts';
import { ResponseAggregator } from '../core/aggregate.ts';
import { ProxyError } from '../core/errors.ts';
import { parseReasoningSuffix } from '../core/reasoning.ts';
import type { CanonicalRequest, ReasoningConfig } from '../core/request.ts';
import type { StreamEvent } from '../core/response.ts';
import { responseToEvents } from '../core/response-events.ts';
import { topLevelValue } from '../core/top-level-value.ts';
import type { TokenUsage } from '../core/usage.ts';
import type { ClientContext, InboundCodec, OutboundCodec, StreamEncoder } from '../protocols/codec.ts';
import { outboundCodec } from '../protocols/registry.ts';
import { readUpstreamMessages } from '../protocols/framing.ts';
import type { Runtime } from '../server/runtime.ts';
import { forward } from './forward.ts';
import { inlineImages } from './images.ts';
import { decodeUpstreamStream, observeStream, outcomeOf, type StreamOutcome } from './observe.ts';
import { translateStream } from './translate-stream.ts';
import type { Route } from './router.ts';

/** One client request, as a protocol route hands it to the gateway. */
export interface ClientRequest {
  inbound: InboundCodec;
  /** The parsed client body. */
  body: unknown;
  /** The client's bytes, sent untouched to an upstream of the same protocol. */
  rawBody: string;
  /** The model the client asked for. */
  model: string;
  stream: boolean;
  context: ClientContext;
  signal: AbortSignal;
  /** The body for a same-protocol upstream that knows the model under another name. */
  renameModel: (upstreamModel: string) => string;
  /**
   * The client's endpoint has no counterpart upstream (Ollama /api/generate, legacy
   * Completions): always translate, even to an upstream of the same protocol.
   */
  alwaysTranslate?: boolean;
}

const utf8 = new TextDecoder();

/**
 * Routes one request and answers it in the client's protocol: bytes pass through when
 * the upstream speaks the same protocol; otherwise the request is decoded to the
 * canonical model, encoded for the upstream, and the answer translated back, streamed
 * event by event. Errors reach the client in its own format.
 */
export async function runExchange(runtime: Runtime, request: ClientRequest): Promise<Response> {
  try {
    return await exchange(runtime, request);
  } catch (error) {
    if (error instanceof ProxyError) return request.inbound.errorResponse(error);
    throw error;
  }
}

/** Records one finished exchange: usage counters and a log line. */
type Recorder = (status: number, usage?: TokenUsage) => void;

async function exchange(runtime: Runtime, request: ClientRequest): Promise<Response> {
  const started = performance.now();
  const state = runtime.state;
  const { routes, reasoning } = resolveRoutes(runtime, request.model);
  const passthrough = (route: Route) =>
    route.provider.protocol === request.inbound.protocol && !reasoning && !request.alwaysTranslate;
  // Decoded once, and only when a route that needs translating is tried: a passthrough
  // route tried first gets the client's bytes even if a fallback could not take them.
  let canonical: Promise<CanonicalRequest> | undefined;

  const recorderFor =
    (route: Route, accountId?: string): Recorder =>
    (status, usage) => {
      runtime.usage.record({ provider: route.provider.id, model: request.model, ok: status < 400, usage });
      runtime.logger.info('request', {
        protocol: request.inbound.protocol,
        upstream: route.provider.protocol,
        model: request.model,
        provider: route.provider.id,
        account: accountId,
        stream: request.stream,
        status,
        ms: Math.round(performance.now() - started),
        tokens: usage ? usage.input + usage.output : undefined,
      });
    };

  let conversation: { key: string | undefined } | undefined;
  const { response, route, accountId } = await forward(
    routes,
    async (route) => {
      if (passthrough(route)) return route.upstreamModel === request.model ? request.rawBody : request.renameModel(route.upstreamModel);
      canonical ??= canonicalRequest(runtime, request, routes.filter((candidate) => !passthrough(candidate)), reasoning);
      return JSON.stringify(outboundCodec(route.provider.protocol).encodeRequest({ ...(await canonical), model: route.upstreamModel }));
    },
    {
      fetch: state.fetch,
      logger: runtime.logger,
      retries: state.config['request-retry'],
      signal: request.signal,
      stream: request.stream,
      // Hashed once, and only when a pool keeps conversations on their account.
      affinityKey: () => (conversation ??= { key: affinityKey(request.body) }).key,
    },
  ).catch((error: unknown) => {
    if (error instanceof ProxyError) recorderFor(routes[0]!)(error.status);
    throw error;
  });

  const record = recorderFor(route, accountId);
  const outbound = outboundCodec(route.provider.protocol);
  if (!response.ok) {
    record(response.status);
    return upstreamErrorResponse(response, outbound, request.inbound, passthrough(route));
  }
  return passthrough(route) ? answerSameProtocol(request, outbound, response, record) : answerTranslated(request, outbound, response, record);
}

/** The client's request in canonical form, with images inlined when a target needs them. */
async function canonicalRequest(
  runtime: Runtime,
  request: ClientRequest,
  translatedRoutes: readonly Route[],
  reasoning: ReasoningConfig | undefined,
): Promise<CanonicalRequest> {
  // The route knows whether the client streams (Gemini says so in the URL, not the body).
  const canonical: CanonicalRequest = { ...request.inbound.decodeRequest(request.body, request.context), stream: request.stream };
  if (reasoning) canonical.reasoning = reasoning;
  if (!translatedRoutes.some((route) => outboundCodec(route.provider.protocol).inlineImagesOnly)) return canonical;
  const { config, fetch } = runtime.state;
  return inlineImages(canonical, {
    allowPrivate: config.images['allow-private-urls'],
    maxBytes: config.images['max-bytes'],
    fetch,
    signal: request.signal,
  });
}

/** Client and upstream speak the same protocol: bytes go through, watched for usage. */
async function answerSameProtocol(request: ClientRequest, outbound: OutboundCodec, response: Response, record: Recorder): Promise<Response> {
  const contentType = response.headers.get('content-type') ?? '';
  if (!isStreamBody(response, contentType)) {
    // Read whole, once, and sent as received (bytes, not re-encoded text): cheaper than
    // piping the body and reading a copy for the usage.
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await response.bytes();
    } catch (error) {
      if (request.signal.aborted) throw error;
      record(502);
      throw new ProxyError('upstream', `The upstream answer broke off: ${(error as Error).message}`, { code: 'upstream_broke_off' });
    }
    const status = response.status;
    // The answer goes out first: its usage is read, and the exchange recorded, in the event loop's next turn.
    setImmediate(() => record(status, usageOfBody(bytes, outbound)));
    return new Response(bytes, { status, headers: contentTypeHeaders(contentType || 'application/json') });
  }
  if (request.stream) {
    const body = observeStream(response.body!, outbound, (outcome) => record(outcome.failed ? 502 : 200, outcome.usage));
    return new Response(body, { status: 200, headers: streamHeaders(contentType) });
  }
  // One JSON body wanted, a stream came: fold it in the protocol's own terms where it can.
  if (!outbound.foldStream) return answerTranslated(request, outbound, response, record);
  const folded = await outbound.foldStream(readUpstreamMessages(response.body!, outbound.streamFraming));
  if ('error' in folded) {
    record(folded.error.status, folded.usage);
    return request.inbound.errorResponse(folded.error);
  }
  record(200, folded.usage);
  return Response.json(folded.body);
}

/** The upstream's answer, streamed or not, translated into the client's protocol. */
async function answerTranslated(request: ClientRequest, outbound: OutboundCodec, response: Response, record: Recorder): Promise<Response> {
  const streamed = isStreamBody(response);
  if (request.stream) {
    const streamEncoder = request.inbound.createStreamEncoder(request.context);
    const onEnd = (outcome: StreamOutcome) => record(outcome.failed ? 502 : 200, outcome.usage);
    const body = streamed
      ? translateStream(response.body!, outbound, streamEncoder, onEnd)
      : encodeAll(await jsonEvents(response, outbound), streamEncoder, onEnd);
    return new Response(body, { status: 200, headers: streamHeaders(streamEncoder.contentType) });
  }
  const aggregator = new ResponseAggregator();
  const outcome: StreamOutcome = { failed: false, cancelled: false };
  const batches = streamed ? decodeUpstreamStream(response.body!, outbound) : [await jsonEvents(response, outbound)];
  for await (const batch of batches) {
    for (const event of batch) {
      aggregator.add(event);
      outcomeOf(outcome, event);
    }
  }
  try {
    const result = aggregator.result();
    record(200, outcome.usage);
    return Response.json(request.inbound.encodeResponse(result, request.context));
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error;
    record(error.status, outcome.usage);
    return request.inbound.errorResponse(error);
  }
}

function isStreamBody(response: Response, contentType = response.headers.get('content-type') ?? ''): boolean {
  // The type first: reading `body` makes Bun build a stream a whole answer does not need.
  return /event-stream|ndjson/.test(contentType) && response.body !== null;
}

/** Upstreams answer in a handful of content types: each one's Headers is built once (a Response copies it, cheaper than from an object). */
const headersByContentType = new Map<string, Headers>();

function contentTypeHeaders(contentType: string): Headers {
  let headers = headersByContentType.get(contentType);
  if (!headers) {
    if (headersByContentType.size >= 64) headersByContentType.clear();
    headersByContentType.set(contentType, (headers = new Headers({ 'content-type': contentType })));
  }
  return headers;
}

/** Exact model names first; then a reasoning suffix (`-thinking-4096`, `-high`) on a known model. */
function resolveRoutes(runtime: Runtime, model: string) {
  const router = runtime.state.router;
  try {
    return { routes: router.resolve(model), reasoning: undefined };
  } catch (error) {
    const suffixed = parseReasoningSuffix(model);
    if (!suffixed) throw error;
    try {
      return { routes: router.resolve(suffixed.model), reasoning: suffixed.reasoning };
    } catch {
      throw error;
    }
  }
}

/** A whole JSON answer as canonical events (an error event when it is not one). */
async function jsonEvents(response: Response, outbound: OutboundCodec): Promise<StreamEvent[]> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return [{ type: 'error', error: new ProxyError('upstream', `The upstream answer broke off: ${(error as Error).message}`, { code: 'upstream_broke_off' }) }];
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [{ type: 'error', error: new ProxyError('upstream', 'The upstream answered with a body that is not JSON.', { code: 'malformed_response' }) }];
  }
  return responseToEvents(outbound.decodeResponse(body));
}

/** Events all at hand, as the client's stream: everything up to an error, then the end. */
function encodeAll(events: StreamEvent[], streamEncoder: StreamEncoder, onEnd: (outcome: StreamOutcome) => void): string {
  const outcome: StreamOutcome = { failed: false, cancelled: false };
  let text = '';
  for (const event of events) {
    outcomeOf(outcome, event);
    text += streamEncoder.encode(event);
    if (outcome.failed) break;
  }
  text += streamEncoder.end();
  onEnd(outcome);
  return text;
}

function streamHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType || 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // Tell reverse proxies in front of us not to buffer the stream.
    'x-accel-buffering': 'no',
  };
}

/** The usage a whole answer reports: its usage member read alone when it can be, else from the whole parsed. */
function usageOfBody(bytes: Uint8Array, outbound: OutboundCodec): TokenUsage | undefined {
  const key = outbound.usageKey;
  if (key !== undefined) {
    const value = topLevelValue(bytes, key);
    if (value !== undefined) return outbound.usageOfResponse({ [key]: value });
  }
  try {
    return outbound.usageOfResponse(JSON.parse(utf8.decode(bytes)));
  } catch {
    return undefined;
  }
}

/** Upstream error bodies are small; a larger one is cut rather than held in memory. */
const MAX_ERROR_BODY_CHARS = 64 * 1024;

/**
 * An upstream HTTP error reaches the client with the upstream's status: as sent when the
 * client speaks the upstream's protocol and the body is in that protocol's error shape,
 * otherwise rendered in the client's own error format.
 */
async function upstreamErrorResponse(response: Response, outbound: OutboundCodec, inbound: InboundCodec, same: boolean): Promise<Response> {
  const text = (await response.text()).slice(0, MAX_ERROR_BODY_CHARS);
  const headers: Record<string, string> = {};
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter) headers['retry-after'] = retryAfter;
  if (same && isJsonErrorBody(text)) {
    return new Response(text, { status: response.status, headers: { ...headers, 'content-type': 'application/json' } });
  }
  const error = outbound.decodeError(response.status, text);
  const merged = new ProxyError(error.kind, error.message, { ...error.options, headers: { ...headers, ...error.options.headers } });
  return inbound.errorResponse(merged);
}

function isJsonErrorBody(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    return parsed.error !== undefined && parsed.error !== null;
  } catch {
    return false;
  }
}
