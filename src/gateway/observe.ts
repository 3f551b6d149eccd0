import { ProxyError } from '../core/errors.ts';
import type { StreamEvent } from '../core/response.ts';
import type { TokenUsage } from '../core/usage.ts';
import type { OutboundCodec, StreamWatcher } from '../protocols/codec.ts';
import { createFramingParser, readUpstreamBatches } from '../protocols/framing.ts';

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
 * A same-protocol upstream stream goes to the client as it is, piped by the runtime
 * without passing through our code chunk by chunk; a copy is read on the side and
 * watched for usage and errors once it is complete. (Usage comes at the end of every
 * protocol's stream, and streams are small next to the cost of touching each chunk.)
 * A client that leaves aborts the upstream request through its signal, ending both.
 */
export function observeStream(
  body: ReadableStream<Uint8Array>,
  codec: OutboundCodec,
  onEnd: (outcome: StreamOutcome) => void,
): ReadableStream<Uint8Array> {
  const [toClient, toWatcher] = body.tee();
  void watchCopy(toWatcher, codec).then(onEnd);
  return toClient;
}

async function watchCopy(copy: ReadableStream<Uint8Array>, codec: OutboundCodec): Promise<StreamOutcome> {
  const watcher = codec.watchStream?.() ?? decodingWatcher(codec);
  let cancelled = false;
  try {
    const parser = createFramingParser(codec.streamFraming, (message) => watcher.push(message));
    parser.feed(await new Response(copy).text());
    parser.end();
  } catch {
    cancelled = true;
  }
  return { usage: watcher.usage, failed: watcher.failed, cancelled };
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
