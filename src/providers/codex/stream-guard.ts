import type { UpstreamMessage } from '../../protocols/codec.ts';
import { createFramingParser, type FramingParser } from '../../protocols/framing.ts';

/** Events that only announce a response: a stream that stops after them produced nothing. */
const PREAMBLE_EVENTS = new Set(['response.created', 'response.in_progress', 'response.queued', 'codex.rate_limits']);
/** Events that end a Responses stream; anything else before the body closes means it was cut. */
const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

/**
 * Follows a Responses SSE body as its bytes pass: whether it has begun to answer (its
 * first event beyond the preamble) and whether it has ended properly.
 */
class ResponsesStreamWatch {
  answered = false;
  finished = false;
  private readonly decoder = new TextDecoder();
  private readonly parser: FramingParser = createFramingParser('sse', (message) => this.see(eventType(message)));

  feed(chunk: Uint8Array): void {
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    this.parser.feed(this.decoder.decode());
    this.parser.end();
  }

  private see(type: string | undefined): void {
    if (type === undefined) return;
    if (!PREAMBLE_EVENTS.has(type)) this.answered = true;
    if (FINAL_EVENTS.has(type)) this.finished = true;
  }
}

/**
 * ChatGPT's Codex endpoint answers every request with a stream that can close before it
 * says anything. This reads ahead to the first event that answers (an output item, a
 * delta, the final event) and throws when the body ends or breaks before it, so the
 * gateway can try another account while no byte has reached the client. Otherwise it
 * resolves with a response whose body replays what was read and then passes the rest on
 * as it arrives; a body that ends without a final event then errors instead of closing,
 * so the client sees a failure and not a truncated answer.
 */
export async function guardResponsesStream(response: Response): Promise<Response> {
  if (!response.body) throw new Error('the ChatGPT stream had no body');
  const reader = response.body.getReader();
  const watch = new ResponsesStreamWatch();
  const held: Uint8Array[] = [];
  try {
    while (!watch.answered) {
      const { done, value } = await reader.read();
      if (done) {
        watch.end();
        if (!watch.answered) throw new Error('the ChatGPT stream closed before its first output event');
        break;
      }
      held.push(value);
      watch.feed(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of held) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) {
        watch.feed(value);
        controller.enqueue(value);
        return;
      }
      watch.end();
      if (watch.finished) controller.close();
      else controller.error(new Error('the ChatGPT stream closed before response.completed'));
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** An SSE message's event type: the `event:` line, else the `type` in its JSON. */
function eventType(message: UpstreamMessage): string | undefined {
  if (message.event) return message.event;
  try {
    const data: unknown = JSON.parse(message.data);
    const type = data !== null && typeof data === 'object' ? (data as { type?: unknown }).type : undefined;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}
