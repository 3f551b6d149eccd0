import type { ErrorKind, ProxyError } from '../../core/errors.ts';

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
