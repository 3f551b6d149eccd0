import { createFramingParser } from '../../protocols/framing.ts';
import { unwrapCodeAssistResponse } from '../../protocols/gemini/code-assist.ts';
import { sseFraming } from '../../protocols/gemini/framing.ts';

/**
 * A Cloud Code answer → the plain Gemini answer inside its `{response}` envelopes: an
 * event stream element by element as it arrives, a JSON answer whole. Errors (non-2xx)
 * pass untouched: they are plain google.rpc errors already.
 */
export async function unwrapCodeAssistAnswer(response: Response): Promise<Response> {
  if (!response.ok || !response.body) return response;
  const init = { status: response.status, statusText: response.statusText, headers: passedHeaders(response.headers) };
  if (isEventStream(response)) return new Response(response.body.pipeThrough(unwrapEventStream()), init);
  return new Response(unwrapJsonText(await response.text()), init);
}

export function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.includes('text/event-stream') ?? false;
}

/** SSE in, SSE out: each event's `{response}` replaced by what it holds. Events split across chunks are joined first. */
export function unwrapEventStream(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const framing = sseFraming();
  let parser: ReturnType<typeof createFramingParser>;
  return new TransformStream({
    start(controller) {
      parser = createFramingParser('sse', ({ data }) => controller.enqueue(encoder.encode(unwrapEvent(data, framing))));
    },
    transform(chunk) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    },
    flush() {
      parser.feed(decoder.decode());
      parser.end();
    },
  });
}

function unwrapEvent(data: string, framing: ReturnType<typeof sseFraming>): string {
  try {
    return framing.element(unwrapCodeAssistResponse(JSON.parse(data)));
  } catch {
    // Not JSON: nothing to unwrap, pass the event on as it came.
    return `data: ${data}\r\n\r\n`;
  }
}

/** A JSON body with its envelope removed; text that is not JSON passes unchanged. */
export function unwrapJsonText(text: string): string {
  try {
    return JSON.stringify(unwrapCodeAssistResponse(JSON.parse(text)));
  } catch {
    return text;
  }
}

/** The upstream's headers minus those that described the original bytes (we send others). */
export function passedHeaders(headers: Headers): Headers {
  const passed = new Headers(headers);
  for (const name of ['content-length', 'content-encoding', 'transfer-encoding']) passed.delete(name);
  return passed;
}
