import type { TokenUsage } from '../../core/usage.ts';
import type { StreamWatcher, UpstreamMessage } from '../codec.ts';
import type { AnthropicUsage } from './types.ts';
import { mergeUsage, usageFromAnthropic } from './usage.ts';

/**
 * Usage and errors of an Anthropic stream passed through untouched: only message_start
 * (input tokens), message_delta (output tokens) and error events are parsed.
 */
export class AnthropicStreamWatcher implements StreamWatcher {
  failed = false;
  private total: AnthropicUsage | undefined;

  get usage(): TokenUsage | undefined {
    return this.total && usageFromAnthropic(this.total);
  }

  push(message: UpstreamMessage): void {
    if (message.event === 'error') {
      this.failed = true;
      return;
    }
    if (message.event !== 'message_start' && message.event !== 'message_delta') return;
    try {
      const event = JSON.parse(message.data) as { message?: { usage?: AnthropicUsage }; usage?: AnthropicUsage };
      const update = event.message?.usage ?? event.usage;
      if (update) this.total = this.total ? mergeUsage(this.total, update) : update;
    } catch {
      // Not JSON: the client sees the same bytes and decides; there is nothing to count.
    }
  }
}
