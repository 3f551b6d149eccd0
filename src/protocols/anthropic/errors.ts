import { tryParseJson } from '../../core/json.ts';
import { ProxyError, kindForStatus, type ErrorKind } from '../../core/errors.ts';
import type { AnthropicErrorBody } from './types.ts';

const TYPE_BY_KIND: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  rate_limit: 'rate_limit_error',
  upstream: 'api_error',
  unavailable: 'overloaded_error',
  internal: 'api_error',
};

/** The HTTP status Anthropic pairs with each error type: an `event: error` payload carries only the type. */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** How much of an unreadable upstream body or event an error message quotes. */
const MAX_QUOTED_CHARS = 500;

export function quote(text: string): string {
  return text.trim().slice(0, MAX_QUOTED_CHARS);
}

function errorType(error: ProxyError): string {
  // Anthropic SDKs retry overloaded_error; a 503 from any upstream means the same.
  if (error.status === 503 || error.status === 529) return 'overloaded_error';
  if (error.status === 504) return 'timeout_error';
  return TYPE_BY_KIND[error.kind];
}

/** `{"type":"error","error":{"type","message"}}`: the HTTP error body and the `event: error` payload. */
export function anthropicErrorBody(error: ProxyError): AnthropicErrorBody {
  return { type: 'error', error: { type: errorType(error), message: error.message } };
}

export function anthropicErrorResponse(error: ProxyError): Response {
  return Response.json(anthropicErrorBody(error), { status: error.status, headers: error.options.headers });
}

/**
 * An Anthropic error object → ProxyError, or undefined when `body` is not one. `status` is
 * the HTTP status; inside a stream there is none and the error type implies it.
 */
export function proxyErrorFromAnthropic(body: unknown, status?: number): ProxyError | undefined {
  const error = (body as Partial<AnthropicErrorBody> | null | undefined)?.error;
  if (typeof error?.message !== 'string') return undefined;
  const type = typeof error.type === 'string' ? error.type : undefined;
  const resolved = status ?? STATUS_BY_TYPE[type ?? ''] ?? 500;
  const kind = type === 'overloaded_error' ? 'unavailable' : kindForStatus(resolved);
  return new ProxyError(kind, error.message, { status: resolved, code: type });
}

/** An upstream HTTP error (Anthropic JSON or anything else) → ProxyError with the upstream's status. */
export function decodeAnthropicError(status: number, body: string): ProxyError {
  const quoted = quote(body);
  return (
    proxyErrorFromAnthropic(tryParseJson(body), status) ??
    new ProxyError(kindForStatus(status), `The upstream answered HTTP ${status}${quoted ? `: ${quoted}` : ''}`, { status })
  );
}
