import { ProxyError } from '../../core/errors.ts';
import { chatInbound } from '../../protocols/openai-chat/index.ts';
import { completionsInbound } from '../../protocols/openai-completions/index.ts';
import { responsesInbound } from '../../protocols/openai-responses/index.ts';
import type { Runtime } from '../runtime.ts';
import { handleGeneration, requireModel, type PostRoute } from './generation.ts';

/**
 * OpenAI's generation APIs: Chat Completions, Responses (Codex CLI) and the legacy
 * Completions, answered by whichever provider serves the model.
 */
export function openAIPosts(runtime: Runtime): PostRoute[] {
  // Just enough checking to route: a same-protocol request passes through undecoded and
  // the upstream judges the rest; translated requests are checked in full by the codec.
  return [
    {
      path: '/v1/chat/completions',
      handle: (request) =>
        handleGeneration(request, runtime, chatInbound, (body) => {
          const model = requireModel(body);
          if (!Array.isArray(body.messages) || body.messages.length === 0) {
            throw new ProxyError('invalid_request', '`messages` must be a non-empty array.', { param: 'messages', code: 'invalid_messages' });
          }
          return { model, stream: body.stream === true, context: { streamUsage: asksForStreamUsage(body) } };
        }),
    },
    {
      path: '/v1/responses',
      handle: (request) =>
        handleGeneration(request, runtime, responsesInbound, (body) => ({ model: requireModel(body), stream: body.stream === true })),
    },
    {
      path: '/v1/completions',
      handle: (request) =>
        handleGeneration(request, runtime, completionsInbound, (body) => ({
          model: requireModel(body),
          stream: body.stream === true,
          context: { streamUsage: asksForStreamUsage(body) },
          alwaysTranslate: true,
        })),
    },
  ];
}

/** `stream_options.include_usage`: the client wants a usage chunk at the end of its stream. */
function asksForStreamUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options as { include_usage?: unknown } | null | undefined;
  return options?.include_usage === true;
}
