import type { CanonicalRequest } from '../../core/request.ts';

import { decodeSampling, invalidRequest as invalid, requireModelObject } from '../openai-chat/sampling.ts';
import type { OpenAISampling } from '../openai-chat/types.ts';

interface CompletionRequest extends OpenAISampling {
  prompt?: unknown;
  echo?: boolean | null;
  stream?: boolean | null;
}

/**
 * A legacy Completions request → canonical: the prompt becomes one user turn. Several
 * prompts in one request and `echo` have no equivalent in chat models: refused.
 */
export function decodeCompletionRequest(body: unknown): CanonicalRequest {
  const request = requireModelObject<CompletionRequest>(body);
  const prompt = Array.isArray(request.prompt) && request.prompt.length === 1 ? request.prompt[0] : request.prompt;
  if (typeof prompt !== 'string') throw invalid('`prompt` must be a string (one prompt per request).', 'prompt');
  if (request.echo) throw invalid('`echo` is not supported: chat models cannot echo the prompt.', 'echo');
  return {
    model: request.model,
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    stream: request.stream === true,
    ...decodeSampling(request),
  };
}
