import { ProxyError } from '../../core/errors.ts';
import type { CanonicalRequest } from '../../core/request.ts';
import type { OpenAISampling } from './types.ts';

export function invalidRequest(message: string, param?: string): ProxyError {
  return new ProxyError('invalid_request', message, { param, code: 'invalid_request' });
}

/** Checks the body is an object naming a model, as both OpenAI request kinds require. */
export function requireModelObject<T extends OpenAISampling>(body: unknown): T & { model: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('The request body must be a JSON object.');
  const request = body as T;
  if (typeof request.model !== 'string' || request.model === '') throw invalidRequest('You must provide a model parameter.', 'model');
  return request as T & { model: string };
}

/** The shared parameters in canonical form; absent and null ones are left out. */
export function decodeSampling(request: OpenAISampling): Partial<CanonicalRequest> {
  const out: Partial<CanonicalRequest> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) out.maxTokens = maxTokens;
  if (request.temperature != null) out.temperature = request.temperature;
  if (request.top_p != null) out.topP = request.top_p;
  if (request.stop != null) out.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.n != null) out.n = request.n;
  if (request.seed != null) out.seed = request.seed;
  if (request.presence_penalty != null) out.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) out.frequencyPenalty = request.frequency_penalty;
  if (typeof request.user === 'string') out.user = request.user;
  return out;
}
