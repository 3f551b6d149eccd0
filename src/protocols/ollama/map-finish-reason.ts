import type { FinishReason } from '../../core/response.ts';

/**
 * `done_reason` → canonical. Ollama says "stop" after tool calls too, so the calls decide;
 * "load"/"unload" (model management answers) and unknown values read as a normal stop.
 */
export function finishReasonFromOllama(doneReason: string | undefined, madeToolCalls: boolean): FinishReason {
  if (doneReason === 'length') return 'length';
  return madeToolCalls ? 'tool_calls' : 'stop';
}

/** Ollama has only "stop" and "length" for generation: tool calls, filters and errors all end with "stop". */
export function doneReasonFromFinish(reason: FinishReason | undefined): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}
