import { createParser } from 'eventsource-parser';
import { ProxyError } from '../../core/errors.ts';
import type { TokenUsage } from '../../core/usage.ts';
import { openAIErrorBody } from './errors.ts';
import type { ChatUsage } from './types.ts';
import { tokenUsageFromChat } from './usage.ts';

export interface StreamOutcome {
  usage?: TokenUsage;
  /** The upstream reported an error inside the stream. */
  failed: boolean;
  /** The client went away before the end. */
  cancelled: boolean;
}

// Cheap pre-checks so that only the few events that matter are JSON-parsed.
const HAS_USAGE = /"usage":\s*\{/;
const HAS_ERROR = /"error":\s*\{/;

/**
 * Forwards a Chat Completions SSE body byte for byte while watching it for usage and
 * in-stream errors. Chunks are passed on as they arrive (no re-serialising, no batching);
 * cancelling the returned stream cancels the upstream body.
 */
export function observeChatStream(
  body: ReadableStream<Uint8Array>,
  onEnd: (outcome: StreamOutcome) => void,
): ReadableStream<Uint8Array> {
  const outcome: StreamOutcome = { failed: false, cancelled: false };
  const parser = createParser({
    onEvent(message) {
      if (message.event === 'error' || HAS_ERROR.test(message.data)) outcome.failed = true;
      if (!HAS_USAGE.test(message.data)) return;
      try {
        const usage = (JSON.parse(message.data) as { usage?: unknown }).usage;
        if (usage && typeof usage === 'object') outcome.usage = tokenUsageFromChat(usage as ChatUsage);
      } catch {
        // Not JSON: the client sees the same bytes and decides; there is nothing to count.
      }
    },
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd(outcome);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            end();
            controller.close();
            return;
          }
          controller.enqueue(value);
          parser.feed(decoder.decode(value, { stream: true }));
        } catch (error) {
          // The upstream connection broke: tell the client in its own format, end cleanly.
          outcome.failed = true;
          end();
          const failure = new ProxyError('upstream', `The upstream stream broke off: ${(error as Error).message}`);
          controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(openAIErrorBody(failure))}\n\n`));
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
