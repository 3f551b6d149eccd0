/**
 * The error kinds a request can end in, independent of protocol. Each inbound protocol
 * renders a ProxyError in its own error shape (OpenAI error object, Anthropic error
 * event, Gemini error JSON, Ollama {"error"}).
 */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'rate_limit'
  | 'upstream'
  | 'unavailable'
  | 'internal';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  rate_limit: 429,
  upstream: 502,
  unavailable: 503,
  internal: 500,
};

export class ProxyError extends Error {
  readonly status: number;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly options: { status?: number; code?: string; param?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ProxyError';
    this.status = options.status ?? STATUS_BY_KIND[kind];
  }

  get code(): string | undefined {
    return this.options.code;
  }
}

/** The error kind that best describes an upstream HTTP status. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 400 || status === 413 || status === 422) return 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limit';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'upstream' : 'invalid_request';
}
