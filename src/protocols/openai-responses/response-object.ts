import { newId } from '../../core/ids.ts';
import type { ProxyError } from '../../core/errors.ts';
import type { FinishReason } from '../../core/response.ts';
import type { TokenUsage } from '../../core/usage.ts';
import { failureCode } from './errors.ts';
import { responseStatus } from './map-finish-reason.ts';
import type { OutputItem, ResponseObject } from './types.ts';
import { responsesUsage } from './usage.ts';

/** What identifies a response: fixed when it starts, repeated in every snapshot. */
export interface ResponseHead {
  id: string;
  model: string;
  createdAt: number;
}

/** How a response ended, or that it has not yet. */
export type ResponseOutcome = { type: 'in_progress' } | { type: 'finished'; reason: FinishReason } | { type: 'failed'; error: ProxyError };

/** Responses clients expect `resp_` ids; another protocol's id is replaced. */
export function responseId(id: string): string {
  return id.startsWith('resp_') ? id : newId('resp_');
}

/**
 * The Response object. Request parameters the canonical answer does not carry (tools,
 * temperature, …) get neutral values: clients read them only to echo the request.
 */
export function responseObject(
  head: ResponseHead,
  outcome: ResponseOutcome,
  output: OutputItem[],
  usage: TokenUsage | undefined,
): ResponseObject {
  return {
    id: head.id,
    object: 'response',
    created_at: head.createdAt,
    ...statusFields(outcome),
    instructions: null,
    metadata: {},
    model: head.model,
    output,
    parallel_tool_calls: true,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    ...(usage ? { usage: responsesUsage(usage) } : {}),
  };
}

function statusFields(outcome: ResponseOutcome): Pick<ResponseObject, 'status' | 'error' | 'incomplete_details'> {
  switch (outcome.type) {
    case 'in_progress':
      return { status: 'in_progress', error: null, incomplete_details: null };
    case 'failed':
      return {
        status: 'failed',
        error: { code: failureCode(outcome.error), message: outcome.error.message },
        incomplete_details: null,
      };
    case 'finished': {
      const { status, incomplete_details } = responseStatus(outcome.reason);
      const error = status === 'failed' ? { code: 'server_error', message: 'The upstream ended the response with an error.' } : null;
      return { status, error, incomplete_details };
    }
  }
}
