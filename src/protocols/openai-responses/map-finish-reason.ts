import type { FinishReason } from '../../core/response.ts';
import type { ResponseObject, ResponseStatus, WireResponse } from './types.ts';

/** A finished response's status (and why it is incomplete) as a canonical finish reason. */
export function finishReasonFromResponse(response: WireResponse, madeToolCalls: boolean): FinishReason {
  switch (response.status) {
    case 'incomplete':
      return response.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
    case 'failed':
    case 'cancelled':
      return 'error';
    default:
      return madeToolCalls ? 'tool_calls' : 'stop';
  }
}

/** A canonical finish reason as a Responses status; Responses has no separate tool-call status. */
export function responseStatus(reason: FinishReason): {
  status: Exclude<ResponseStatus, 'in_progress'>;
  incomplete_details: ResponseObject['incomplete_details'];
} {
  switch (reason) {
    case 'length':
      return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
    case 'content_filter':
      return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
    case 'error':
      return { status: 'failed', incomplete_details: null };
    default:
      return { status: 'completed', incomplete_details: null };
  }
}
