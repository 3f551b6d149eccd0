import { ProxyError } from '../core/errors.ts';
import type { StreamEvent } from '../core/response.ts';
import type { TokenUsage } from '../core/usage.ts';
import type { OutboundCodec, StreamWatcher } from '../protocols/codec.ts';
import { createBodyParser, readUpstreamBatches } from '../protocols/framing.ts';

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
 * A same-protocol upstream stream goes to the client byte for byte, each read passed on as
 * it arrives, and is watched on the way for usage and errors (one text decode and framing
 * parse per read; nothing is kept, so 1,000 long streams hold no copies). Reading runs up
 * to READ_AHEAD reads ahead of the client, so a burst of events leaves in few socket
 * writes. Cancelling the result cancels the upstream body; an upstream that breaks off
 * breaks the client's stream the same way.
 */
export function observeStream(
  body: ReadableStream<Uint8Array>,
  codec: OutboundCodec,
  onEnd: (outcome: StreamOutcome) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const watch = streamWatch(codec);
  let ended = false;
  const end = (how: { failed?: boolean; cancelled?: boolean }) => {
    if (ended) return;
    ended = true;
    onEnd({ usage: watch.watcher.usage, failed: watch.watcher.failed || how.failed === true, cancelled: how.cancelled === true });
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (error) {
          // The client left (its signal aborts the upstream request), or the upstream broke off.
          end((error as Error).name === 'AbortError' ? { cancelled: true } : { failed: true });
          controller.error(error);
          return;
        }
        if (read.done) {
          watch.end();
          end({});
          controller.close();
          return;
        }
        controller.enqueue(read.value);
        watch.feed(read.value);
      },
      async cancel(reason) {
        end({ cancelled: true });
        await reader.cancel(reason);
      },
    },
    { highWaterMark: READ_AHEAD },
  );
}

/**
 * Reads of the upstream body queued ahead of the client at most: Bun's response sink then
 * takes several at once, so a burst leaves in few socket writes.
 */
export const READ_AHEAD = 16;

/**
 * The codec's watcher fed with the stream's bytes. It only counts: a stream it cannot
 * parse (an event over the size limit) still reaches the client untouched, unwatched.
 */
function streamWatch(codec: OutboundCodec): { watcher: StreamWatcher; feed(bytes: Uint8Array): void; end(): void } {
  const watcher = codec.watchStream?.() ?? decodingWatcher(codec);
  const parser = createBodyParser(codec.streamFraming, (message) => watcher.push(message));
  let broken = false;
  const guarded = (step: () => void) => {
    if (broken) return;
    try {
      step();
    } catch {
      broken = true;
    }
  };
  return {
    watcher,
    feed: (bytes) => guarded(() => parser.feed(bytes)),
    end: () => guarded(() => parser.end()),
  };
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

/**
 * The canonical events of an upstream stream, one batch per read of its body: a read that
 * brought many events costs one hop through the pipeline, not one per event.
 */
export async function* decodeUpstreamStream(
  body: ReadableStream<Uint8Array>,
  codec: OutboundCodec,
): AsyncGenerator<StreamEvent[]> {
  const decoder = codec.createStreamDecoder();
  try {
    for await (const messages of readUpstreamBatches(body, codec.streamFraming)) {
      const events: StreamEvent[] = [];
      for (const message of messages) {
        for (const event of decoder.push(message)) events.push(event);
        // After an error nothing more is read: the stream is over for the client.
        if (events.at(-1)?.type === 'error') {
          yield events;
          return;
        }
      }
      if (events.length > 0) yield events;
    }
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    yield [{ type: 'error', error: new ProxyError('upstream', `The upstream stream broke off: ${(error as Error).message}`) }];
    return;
  }
  yield decoder.end();
}
