import { type ErrorKind, ProxyError, kindForStatus } from '../../core/errors.ts';
import { openAIErrorBody } from '../openai-chat/errors.ts';
import type { WireError } from './types.ts';

/** Responses answers errors with the OpenAI error object, as Chat Completions does. */
export { openAIErrorResponse as responsesErrorResponse } from '../openai-chat/errors.ts';

/** An upstream HTTP error (status + body text) → ProxyError with the upstream's status and message. */
export function decodeResponsesError(status: number, body: string): ProxyError {
  const error = parseErrorObject(body);
  const message = error?.message ?? (body.trim() || `The upstream answered HTTP ${status}.`);
  return new ProxyError(kindForStatus(status), message, {
    status,
    code: error?.code ?? undefined,
    param: error?.param ?? undefined,
  });
}

function parseErrorObject(body: string): WireError | undefined {
  try {
    const error = (JSON.parse(body) as { error?: unknown } | null)?.error;
    return error !== null && typeof error === 'object' ? (error as WireError) : undefined;
  } catch {
    return undefined;
  }
}

/** In-stream error codes and the HTTP status the same failure gets before a stream starts. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  insufficient_quota: 429,
  rate_limit_exceeded: 429,
  context_length_exceeded: 400,
  invalid_prompt: 400,
};

/** An `error` event or a `response.failed` error → ProxyError carrying the upstream's code and message. */
export function streamFailure(error: WireError | null | undefined): ProxyError {
  const code = error?.code ?? error?.type ?? undefined;
  const status = (code && STATUS_BY_CODE[code]) || 502;
  return new ProxyError(kindForStatus(status), error?.message ?? 'The upstream reported an error mid-stream.', {
    status,
    code,
  });
}

const FAILURE_CODE_BY_KIND: Partial<Record<ErrorKind, string>> = {
  rate_limit: 'rate_limit_exceeded',
  invalid_request: 'invalid_prompt',
};

/**
 * `response.error.code` of a failed response. The upstream's own code wins even outside the
 * published enum, as api.openai.com itself sends (`insufficient_quota`): clients such as
 * Codex branch on it.
 */
export function failureCode(error: ProxyError): string {
  return error.code ?? FAILURE_CODE_BY_KIND[error.kind] ?? 'server_error';
}

/**
 * The fields of a stream `error` event: the published spec puts code/message/param at the
 * top, api.openai.com nests the OpenAI error object under `error` (which is what makes the
 * official SDKs throw). Both are sent.
 */
export function errorEventFields(error: ProxyError) {
  const body = openAIErrorBody(error).error;
  return { code: body.code, message: body.message, param: body.param, error: body };
}
