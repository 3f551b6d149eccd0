import { ProxyError } from '../core/errors.ts';
import type { StreamEvent } from '../core/response.ts';
import type { TokenUsage } from '../core/usage.ts';
import type { OutboundCodec, StreamWatcher } from '../protocols/codec.ts';
import { createFramingParser, readUpstreamMessages } from '../protocols/framing.ts';

export interface StreamOutcome {
  usage?: TokenUsage;
  /** The upstream reported an error, or the connection broke. */
  failed: boolean;
  /** The client went away before the end. */
  cancelled: boolean;
}

/** Keeps the facts a finished exchange is recorded with: last usage, failure. */
export function outcomeOf(outcome: StreamOutcome, event: StreamEvent): void {
  if (event.type === 'usage') outcome.usage = event.usage;
  else if (event.type === 'error') outcome.failed = true;
}

/**
 * Forwards a same-protocol upstream stream byte for byte, watching it on the side for
 * usage and errors. Chunks go on as they arrive; cancelling the result cancels the
 * upstream body.
 */
export function observeStream(
  body: ReadableStream<Uint8Array>,
  codec: OutboundCodec,
  renderError: (error: ProxyError) => string,
  onEnd: (outcome: StreamOutcome) => void,
): ReadableStream<Uint8Array> {
  const outcome: StreamOutcome = { failed: false, cancelled: false };
  const watcher = codec.watchStream?.() ?? decodingWatcher(codec);
  const parser = createFramingParser(codec.streamFraming, (message) => watcher.push(message));
  const text = new TextDecoder();
  const reader = body.getReader();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    outcome.usage = watcher.usage;
    outcome.failed ||= watcher.failed;
    onEnd(outcome);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            parser.end();
            end();
            controller.close();
            return;
          }
          controller.enqueue(value);
          parser.feed(text.decode(value, { stream: true }));
        } catch (error) {
          // The upstream connection broke: tell the client in its own format, end cleanly.
          outcome.failed = true;
          end();
          const failure = new ProxyError('upstream', `The upstream stream broke off: ${(error as Error).message}`);
          controller.enqueue(new TextEncoder().encode(renderError(failure)));
          controller.close();
        }
      },
      async cancel(reason) {
        outcome.cancelled = true;
        end();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The general watcher: the protocol's own stream decoder, for codecs without a cheaper one. */
function decodingWatcher(codec: OutboundCodec): StreamWatcher {
  const decoder = codec.createStreamDecoder();
  const outcome: StreamOutcome = { failed: false, cancelled: false };
  return {
    push: (message) => decoder.push(message).forEach((event) => outcomeOf(outcome, event)),
    get usage() {
      return outcome.usage;
    },
    get failed() {
      return outcome.failed;
    },
  };
}

/** The canonical events of an upstream stream, in batches as messages arrive. */
export async function* decodeUpstreamStream(
  body: ReadableStream<Uint8Array>,
  codec: OutboundCodec,
): AsyncGenerator<StreamEvent[]> {
  const decoder = codec.createStreamDecoder();
  try {
    for await (const message of readUpstreamMessages(body, codec.streamFraming)) {
      const events = decoder.push(message);
      if (events.length > 0) yield events;
      // After an error nothing more is read: the stream is over for the client.
      if (events.some((event) => event.type === 'error')) return;
    }
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    yield [{ type: 'error', error: new ProxyError('upstream', `The upstream stream broke off: ${(error as Error).message}`) }];
    return;
  }
  yield decoder.end();
}

