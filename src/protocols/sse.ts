import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type SSEMessage = EventSourceMessage;

/** Largest partial event we buffer; a stream sending more without an event end is broken. */
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

/**
 * Decodes an SSE body into messages as bytes arrive. Comments (`: keep-alive`), `\r\n`
 * line ends and events split across chunks are handled by eventsource-parser.
 */
export async function* readSSE(body: ReadableStream<Uint8Array>): AsyncGenerator<SSEMessage> {
  const pending: SSEMessage[] = [];
  let parseError: Error | undefined;
  const parser = createParser({
    onEvent: (message) => pending.push(message),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') parseError = error;
    },
    maxBufferSize: MAX_EVENT_CHARS,
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (parseError) throw parseError;
      while (pending.length > 0) yield pending.shift()!;
    }
    parser.feed(decoder.decode());
    // A final event without its blank line still counts: some upstreams end that way.
    parser.feed('\n\n');
    while (pending.length > 0) yield pending.shift()!;
    finished = true;
  } finally {
    // A consumer that stops early must not leave the upstream connection open.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
