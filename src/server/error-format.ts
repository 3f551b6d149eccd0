import type { ProxyError } from '../core/errors.ts';
import { anthropicErrorResponse } from '../protocols/anthropic/errors.ts';
import { geminiErrorResponse } from '../protocols/gemini/errors.ts';
import { ollamaErrorResponse } from '../protocols/ollama/errors.ts';
import { openAIErrorResponse } from '../protocols/openai-chat/errors.ts';

/**
 * Errors raised before a route runs (auth, browser guard, unknown path) still reach the
 * client in the format of the API it called.
 */
export function errorResponseForPath(path: string): (error: ProxyError) => Response {
  if (path.startsWith('/v1/messages')) return anthropicErrorResponse;
  if (path.startsWith('/v1beta/') || path.startsWith('/v1internal')) return geminiErrorResponse;
  if (path.startsWith('/api/')) return ollamaErrorResponse;
  return openAIErrorResponse;
}
