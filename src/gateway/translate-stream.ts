import { LF } from '../core/char-codes.ts';
import { ProxyError } from '../core/errors.ts';
import type { StreamEvent } from '../core/response.ts';
import type { OutboundCodec, StreamEncoder } from '../protocols/codec.ts';
import { createBodyParser } from '../protocols/framing.ts';
import { ByteOutput } from './byte-output.ts';
import { outcomeOf, READ_AHEAD, type StreamOutcome } from './observe.ts';
import { TextLane } from './text-lane.ts';

/**
 * An upstream stream translated into the client's protocol as it arrives: each read of the
 * upstream body becomes one batch for the client, up to READ_AHEAD batches ahead of it.
 * Token events take the byte lane where the decoder and the encoder allow it (see
 * text-lane.ts); every other event is parsed, decoded to canonical events and encoded.
 * After an error event nothing more is read, and the client's stream ends as its protocol
 * ends a failed one. Cancelling the result cancels the upstream body.
 */
export function translateStream(
  body: ReadableStream<Uint8Array>,
  codec: OutboundCodec,
  encoder: StreamEncoder,
  onEnd: (outcome: StreamOutcome) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = codec.createStreamDecoder();
  const outcome: StreamOutcome = { failed: false, cancelled: false };
  const out = new ByteOutput();
  const emit = (events: StreamEvent[]) => {
    for (const event of events) {
      if (outcome.failed) return;
      outcomeOf(outcome, event);
      out.text(encoder.encode(event));
    }
  };
  const parser = createBodyParser(codec.streamFraming, (message) => emit(decoder.push(message)));
  const lane = codec.streamFraming === 'sse' ? TextLane.between(decoder, encoder) : undefined;
  /** Whether everything parsed so far ends with an event: only there may the lane take over. */
  let atBoundary = true;

  /** One read, event by event: the lane's where it can, the parser's in between. */
  const translateRead = (lane: TextLane, bytes: Uint8Array) => {
    const length = bytes.length;
    let at = 0;
    while (at < length && lane.open && !outcome.failed) {
      if (atBoundary) {
        const next = lane.take(bytes, at, out);
        if (next >= 0) {
          at = next;
          continue;
        }
      }
      const end = eventEnd(bytes, at);
      if (end < 0) break;
      parser.feed(bytes.subarray(at, end));
      lane.moved();
      atBoundary = true;
      at = end;
    }
    if (at < length) {
      parser.feed(at === 0 ? bytes : bytes.subarray(at));
      lane.moved();
      atBoundary = length - at >= 2 && bytes[length - 1] === LF && bytes[length - 2] === LF;
    }
  };

  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd(outcome);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const enqueue = (bytes: Uint8Array) => controller.enqueue(bytes);
        // Read until there is something to send, so every pull makes progress.
        for (;;) {
          let done = false;
          try {
            const read = await reader.read();
            done = read.done;
            if (read.done) {
              parser.end();
              if (!outcome.failed) emit(decoder.end());
            } else if (lane?.open) translateRead(lane, read.value);
            else parser.feed(read.value);
          } catch (error) {
            emit([{ type: 'error', error: brokeOff(error as Error) }]);
          }
          if (done || outcome.failed) {
            out.text(encoder.end());
            out.flush(enqueue);
            end();
            controller.close();
            if (!done) await reader.cancel().catch(() => undefined);
            return;
          }
          if (out.flush(enqueue)) return;
        }
      },
      async cancel(reason) {
        outcome.cancelled = true;
        end();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: READ_AHEAD },
  );
}

/** The index after the blank line ending the SSE event at `from`, or -1 when it is not in `bytes`. */
function eventEnd(bytes: Uint8Array, from: number): number {
  for (let at = bytes.indexOf(LF, from); at >= 0; at = bytes.indexOf(LF, at + 1)) {
    if (bytes[at + 1] === LF) return at + 2;
  }
  return -1;
}

function brokeOff(error: Error): ProxyError {
  if (error instanceof ProxyError) return error;
  // The client went away (its signal aborts the upstream request): no one reads the message.
  if (error.name === 'AbortError') return new ProxyError('upstream', error.message);
  return new ProxyError('upstream', `The upstream stream broke off: ${error.message}`);
}
