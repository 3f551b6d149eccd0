import { ProxyError } from '../core/errors.ts';
import type { CanonicalRequest } from '../core/request.ts';
import type { InboundCodec } from '../protocols/codec.ts';
import type { Runtime } from '../server/runtime.ts';
import { estimateInputTokens } from './count-tokens.ts';
import { forward } from './forward.ts';

export interface CountRequest {
  inbound: InboundCodec;
  rawBody: string;
  model: string;
  signal: AbortSignal;
  /** The body for an upstream that knows the model under another name. */
  renameModel: (upstreamModel: string) => string;
  /** The request to estimate from when the upstream has no count endpoint. */
  decode: () => CanonicalRequest;
  /** The estimate in the client's response shape. */
  render: (tokens: number) => unknown;
}

/**
 * Token counting (Anthropic count_tokens, Gemini countTokens): asked of the upstream
 * when it speaks the client's protocol and can count, estimated locally otherwise.
 */
export async function countTokens(runtime: Runtime, request: CountRequest): Promise<Response> {
  try {
    const state = runtime.state;
    const routes = state.router.resolve(request.model);
    const countable = routes.filter((route) => route.provider.protocol === request.inbound.protocol && route.provider.countUpstream);
    if (countable.length === 0) return Response.json(request.render(await estimateInputTokens(request.decode())));
    const { response } = await forward(
      countable,
      (route) => (route.upstreamModel === request.model ? request.rawBody : request.renameModel(route.upstreamModel)),
      { fetch: state.fetch, logger: runtime.logger, retries: state.config['request-retry'], signal: request.signal, stream: false, endpoint: 'count' },
    );
    return new Response(response.body, {
      status: response.status,
      headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' },
    });
  } catch (error) {
    if (error instanceof ProxyError) return request.inbound.errorResponse(error);
    throw error;
  }
}
