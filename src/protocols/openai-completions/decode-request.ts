import { ProxyError } from '../../core/errors.ts';
import type { CanonicalRequest } from '../../core/request.ts';

interface CompletionRequest {
  model?: unknown;
  prompt?: unknown;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  echo?: boolean | null;
  user?: string;
  stream?: boolean | null;
}

function invalid(message: string, param?: string): ProxyError {
  return new ProxyError('invalid_request', message, { param, code: 'invalid_request' });
}

/**
 * A legacy Completions request → canonical: the prompt becomes one user turn. Several
 * prompts in one request and `echo` have no equivalent in chat models: refused.
 */
export function decodeCompletionRequest(body: unknown): CanonicalRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  const request = body as CompletionRequest;
  if (typeof request.model !== 'string' || request.model === '') throw invalid('You must provide a model parameter.', 'model');
  const prompt = Array.isArray(request.prompt) && request.prompt.length === 1 ? request.prompt[0] : request.prompt;
  if (typeof prompt !== 'string') throw invalid('`prompt` must be a string (one prompt per request).', 'prompt');
  if (request.echo) throw invalid('`echo` is not supported: chat models cannot echo the prompt.', 'echo');
  const canonical: CanonicalRequest = {
    model: request.model,
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    stream: request.stream === true,
  };
  if (request.max_tokens != null) canonical.maxTokens = request.max_tokens;
  if (request.temperature != null) canonical.temperature = request.temperature;
  if (request.top_p != null) canonical.topP = request.top_p;
  if (request.stop != null) canonical.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.n != null) canonical.n = request.n;
  if (request.seed != null) canonical.seed = request.seed;
  if (request.presence_penalty != null) canonical.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) canonical.frequencyPenalty = request.frequency_penalty;
  if (typeof request.user === 'string') canonical.user = request.user;
  return canonical;
}
