import { ProxyError, kindForStatus, type ErrorKind } from '../../core/errors.ts';
import type { ChatCompletionChunk } from './types.ts';

const OPENAI_ERROR_TYPE: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  upstream: 'upstream_error',
  unavailable: 'service_unavailable',
  internal: 'server_error',
};

/** The OpenAI error object: `{"error":{"message","type","param","code"}}`. */
export function openAIErrorBody(error: ProxyError) {
  return {
    error: {
      message: error.message,
      type: OPENAI_ERROR_TYPE[error.kind],
      param: error.options.param ?? null,
      code: error.code ?? null,
    },
  };
}

export function openAIErrorResponse(error: ProxyError): Response {
  return Response.json(openAIErrorBody(error), { status: error.status, headers: error.options.headers });
}

/** An error reported inside an HTTP 200 stream (OpenRouter error chunk, Groq `event: error`). */
export function chatStreamError(chunk: ChatCompletionChunk): ProxyError {
  const error = chunk.error ?? {};
  const declared = typeof error.code === 'number' ? error.code : Number(error.status_code);
  const status = Number.isInteger(declared) && declared >= 400 && declared < 600 ? declared : 502;
  return new ProxyError(kindForStatus(status), error.message ?? 'The upstream reported an error mid-stream.', {
    status,
    code: typeof error.code === 'string' ? error.code : undefined,
  });
}

/** An OpenAI-compatible HTTP error body → ProxyError with the upstream's status and message. */
export function decodeChatError(status: number, body: string, headers?: Record<string, string>): ProxyError {
  const text = body.trim().slice(0, 500);
  let message = `The upstream answered HTTP ${status}${text ? `: ${text}` : ''}`;
  let code: string | undefined = 'upstream_error';
  let param: string | undefined;
  try {
    const error = (JSON.parse(body) as { error?: { message?: unknown; code?: unknown; param?: unknown } | string }).error;
    if (typeof error === 'string') message = error;
    else if (error && typeof error.message === 'string') {
      message = error.message;
      if (typeof error.code === 'string') code = error.code;
      if (typeof error.param === 'string') param = error.param;
    }
  } catch {
    // Not JSON: keep the text itself as the message.
  }
  return new ProxyError(kindForStatus(status), message, { status, code, param, headers });
}
