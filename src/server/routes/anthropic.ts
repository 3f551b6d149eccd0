import { ProxyError } from '../../core/errors.ts';
import { countTokens } from '../../gateway/count.ts';
import { anthropicInbound } from '../../protocols/anthropic/index.ts';
import type { Runtime } from '../runtime.ts';
import { handleGeneration, parseJsonObject, requireModel, withModel, type PostRoute } from './generation.ts';

/** Anthropic Messages, so Claude Code and the Anthropic SDKs can use any provider's models. */
export function anthropicPosts(runtime: Runtime): PostRoute[] {
  return [
    {
      path: '/v1/messages',
      handle: (request) =>
        handleGeneration(request, runtime, anthropicInbound, (body) => ({ model: requireModel(body), stream: body.stream === true })),
    },
    { path: '/v1/messages/count_tokens', handle: (request) => countMessageTokens(request, runtime) },
  ];
}

async function countMessageTokens(request: Request, runtime: Runtime): Promise<Response> {
  const rawBody = await request.text();
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
    signal: request.signal,
    renameModel: (upstreamModel) => withModel(body, upstreamModel),
    // count_tokens bodies carry no max_tokens, which a Messages request requires.
    decode: () => anthropicInbound.decodeRequest({ ...body, max_tokens: 1 }, { model }),
    render: (tokens) => ({ input_tokens: tokens }),
  });
}
