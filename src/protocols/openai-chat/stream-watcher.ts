import type { TokenUsage } from '../../core/usage.ts';
import type { StreamWatcher, UpstreamMessage } from '../codec.ts';
import type { ChatUsage } from './types.ts';
import { tokenUsageFromChat } from './usage.ts';

// Only the few chunks these match are parsed: most carry `"usage":null` or none at all.
const HAS_USAGE = /"usage":\s*\{/;
const HAS_ERROR = /"error":\s*\{/;

/** Usage and in-stream errors of a Chat stream passed through untouched. */
export class ChatStreamWatcher implements StreamWatcher {
  usage: TokenUsage | undefined;
  failed = false;

  push(message: UpstreamMessage): void {
    if (message.event === 'error' || HAS_ERROR.test(message.data)) this.failed = true;
    if (!HAS_USAGE.test(message.data)) return;
    try {
      const usage = (JSON.parse(message.data) as { usage?: ChatUsage }).usage;
      if (usage) this.usage = tokenUsageFromChat(usage);
    } catch {
      // Not JSON: the client sees the same bytes and decides; there is nothing to count.
    }
  }
}
