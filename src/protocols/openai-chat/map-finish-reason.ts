import type { FinishReason } from '../../core/response.ts';

/** OpenAI-compatible finish reasons → canonical. Unknown values (vendor extras) read as a normal stop. */
export function finishReasonFromChat(reason: string): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function finishReasonToChat(reason: FinishReason): string {
  return reason === 'error' ? 'stop' : reason;
}
