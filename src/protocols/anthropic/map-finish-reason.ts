import type { FinishReason } from '../../core/response.ts';
import type { AnthropicStopReason } from './types.ts';

export function finishReasonFromAnthropic(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn (a server tool paused the turn) and unknown values.
      return 'stop';
  }
}

/** `refused`: the answer carries an OpenAI refusal, which Anthropic reports as a stop reason. */
export function finishReasonToAnthropic(reason: FinishReason, stopSequence?: string, refused = false): AnthropicStopReason {
  if (refused) return 'refusal';
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return stopSequence !== undefined ? 'stop_sequence' : 'end_turn';
  }
}
