import type { FinishReason } from '../../core/response.ts';

/** `text_completion` finish reasons: stop, length or content_filter (a tool call cannot end a completion). */
export function finishReasonToCompletion(reason: FinishReason): 'stop' | 'length' | 'content_filter' {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}

/** Completion ids in OpenAI's `cmpl-` style, whatever the upstream called the response. */
export function completionId(upstreamId: string): string {
  return `cmpl-${upstreamId.replace(/^(chatcmpl-|cmpl-|msg_|resp_)/, '')}`;
}
