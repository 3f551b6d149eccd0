import { ProxyError } from '../../core/errors.ts';
import type { FoldedStream, UpstreamMessage } from '../codec.ts';
import { ChatCompletionAggregator } from './aggregate.ts';
import { tokenUsageFromChat } from './usage.ts';

/** A Chat stream folded into `chat.completion`, keeping vendor fields (logprobs, fingerprints). */
export async function foldChatStream(messages: AsyncIterable<UpstreamMessage>): Promise<FoldedStream> {
  const aggregator = new ChatCompletionAggregator();
  try {
    for await (const message of messages) aggregator.addMessage(message);
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error;
    // An in-stream error may still report what was billed (OpenRouter does).
    const billed = aggregator.result().usage;
    return { error, usage: billed ? tokenUsageFromChat(billed) : undefined };
  }
  const body = aggregator.result();
  return { body, usage: body.usage ? tokenUsageFromChat(body.usage) : undefined };
}
