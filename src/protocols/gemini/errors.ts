import { type ErrorKind, ProxyError, kindForStatus } from '../../core/errors.ts';
import type { GoogleErrorBody } from './types.ts';

const GOOGLE_STATUS: Record<ErrorKind, string> = {
  invalid_request: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  rate_limit: 'RESOURCE_EXHAUSTED',
  upstream: 'INTERNAL',
  unavailable: 'UNAVAILABLE',
  internal: 'INTERNAL',
};

/** google.rpc.Code names: an error that already carries one (from a Google upstream) keeps it. */
const GOOGLE_CODES = new Set([
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

/** `{"error":{"code","message","status"}}`, as Google answers and streams errors. */
export function googleErrorBody(error: ProxyError): GoogleErrorBody {
  const status = error.code && GOOGLE_CODES.has(error.code) ? error.code : GOOGLE_STATUS[error.kind];
  return { error: { code: error.status, message: error.message, status } };
}

export function geminiErrorResponse(error: ProxyError): Response {
  return Response.json(googleErrorBody(error), { status: error.status, headers: error.options.headers });
}

type GoogleError = Partial<GoogleErrorBody['error']>;

/** Google's error object (HTTP body or stream element) → ProxyError; RetryInfo becomes retry-after. */
export function proxyErrorFromGoogle(error: GoogleError, httpStatus?: number): ProxyError {
  const declared = httpStatus ?? error.code;
  const status = typeof declared === 'number' && declared >= 400 && declared < 600 ? declared : 502;
  const retryAfter = retryAfterSeconds(error);
  return new ProxyError(kindForStatus(status), error.message || `HTTP ${status}`, {
    status,
    code: typeof error.status === 'string' ? error.status : undefined,
    headers: retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) },
  });
}

/** An upstream HTTP error body. Without alt=sse Google wraps it in an array, like stream elements. */
export function decodeGeminiError(status: number, body: string): ProxyError {
  try {
    const parsed = JSON.parse(body) as unknown;
    const element = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: GoogleError } | undefined;
    if (element?.error && typeof element.error === 'object') return proxyErrorFromGoogle(element.error, status);
  } catch {
    // Not JSON (a proxy's HTML page): the text itself is the message.
  }
  return proxyErrorFromGoogle({ message: body.trim().slice(0, 500) }, status);
}

/** RetryInfo's `retryDelay` ("34.4s", a google.protobuf.Duration) in whole seconds, rounded up. */
function retryAfterSeconds(error: GoogleError): number | undefined {
  const details = Array.isArray(error.details) ? error.details : [];
  const delay = details.find((detail) => detail['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
  const seconds = typeof delay === 'string' ? Number.parseFloat(delay) : Number.NaN;
  return Number.isFinite(seconds) ? Math.ceil(seconds) : undefined;
}
