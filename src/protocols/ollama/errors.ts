import { ProxyError, kindForStatus } from '../../core/errors.ts';

/** Ollama's error body: `{"error": "message"}`, a bare string. */
export function ollamaErrorResponse(error: ProxyError): Response {
  return Response.json({ error: error.message }, { status: error.status, headers: error.options.headers });
}

/** The last line of a stream that failed: the status line has gone out already. */
export function ollamaErrorLine(error: ProxyError): string {
  return `${JSON.stringify({ error: error.message })}\n`;
}

/** An upstream HTTP error → ProxyError with the upstream's status and message. */
export function decodeOllamaError(status: number, body: string): ProxyError {
  return new ProxyError(kindForStatus(status), errorMessage(body) ?? `Ollama answered HTTP ${status}`, { status });
}

function errorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not JSON (a proxy in front of Ollama): the text itself is the best message.
  }
  return body.trim() || undefined;
}

/** An `{"error"}` inside an HTTP 200 answer: the model failed while generating. */
export function inStreamError(message: string): ProxyError {
  return new ProxyError('upstream', message);
}
