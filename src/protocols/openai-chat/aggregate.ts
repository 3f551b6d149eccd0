import { ProxyError } from '../../core/errors.ts';
import type { UpstreamMessage } from '../codec.ts';
import { chatStreamError } from './errors.ts';
import type { ChatCompletion, ChatCompletionChoice, ChatCompletionChunk, ChatToolCall } from './types.ts';

interface ChoiceState {
  content: string;
  sawContent: boolean;
  refusal: string;
  sawRefusal: boolean;
  reasoningContent: string;
  reasoning: string;
  toolCalls: Map<number, ChatToolCall>;
  finishReason: string | null;
  logprobs: unknown[] | null;
  refusalLogprobs: unknown[] | null;
}

/**
 * Folds a Chat Completions SSE stream into the `chat.completion` object the same request
 * would have returned without `stream`. Used when a client wants one JSON body but the
 * upstream streams anyway.
 */
export class ChatCompletionAggregator {
  private id = '';
  private created = 0;
  private model = '';
  private systemFingerprint: string | null | undefined;
  private serviceTier: string | null | undefined;
  private usage: ChatCompletion['usage'];
  private readonly choices = new Map<number, ChoiceState>();

  /** Adds one SSE message. Throws a ProxyError when the upstream reports an error in-stream. */
  addMessage(message: UpstreamMessage): void {
    if (message.data === '[DONE]') return;
    let chunk: ChatCompletionChunk;
    try {
      chunk = JSON.parse(message.data) as ChatCompletionChunk;
    } catch {
      throw new ProxyError('upstream', 'The upstream sent a malformed stream chunk.', { code: 'malformed_chunk' });
    }
    if (chunk.error || message.event === 'error') {
      // OpenRouter puts the billed usage on the error chunk itself: keep it for result().
      if (chunk.usage) this.usage = chunk.usage;
      throw chatStreamError(chunk);
    }
    this.addChunk(chunk);
  }

  addChunk(chunk: ChatCompletionChunk): void {
    // Azure's first chunk has empty id/model: keep the first non-empty value.
    if (!this.id && chunk.id) this.id = chunk.id;
    if (!this.model && chunk.model) this.model = chunk.model;
    if (!this.created && chunk.created) this.created = chunk.created;
    if (chunk.system_fingerprint !== undefined) this.systemFingerprint = chunk.system_fingerprint;
    if (chunk.service_tier !== undefined) this.serviceTier = chunk.service_tier;
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      const state = this.choice(choice.index);
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') {
        state.content += delta.content;
        state.sawContent = true;
      }
      if (typeof delta.refusal === 'string') {
        state.refusal += delta.refusal;
        state.sawRefusal = true;
      }
      if (typeof delta.reasoning_content === 'string') state.reasoningContent += delta.reasoning_content;
      if (typeof delta.reasoning === 'string') state.reasoning += delta.reasoning;
      for (const call of delta.tool_calls ?? []) {
        const index = call.index ?? state.toolCalls.size;
        const existing = state.toolCalls.get(index);
        if (!existing) {
          state.toolCalls.set(index, {
            id: call.id ?? '',
            type: 'function',
            function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' },
          });
          continue;
        }
        if (call.id) existing.id = call.id;
        if (call.function?.name) existing.function.name += call.function.name;
        if (call.function?.arguments) existing.function.arguments += call.function.arguments;
      }
      if (choice.finish_reason) state.finishReason = choice.finish_reason;
      if (choice.logprobs?.content) state.logprobs = [...(state.logprobs ?? []), ...choice.logprobs.content];
      if (choice.logprobs?.refusal) state.refusalLogprobs = [...(state.refusalLogprobs ?? []), ...choice.logprobs.refusal];
    }
  }

  result(): ChatCompletion {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]) => toChoice(index, state));
    const completion: ChatCompletion = {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices,
    };
    if (this.systemFingerprint !== undefined) completion.system_fingerprint = this.systemFingerprint;
    if (this.serviceTier !== undefined) completion.service_tier = this.serviceTier;
    if (this.usage) completion.usage = this.usage;
    return completion;
  }

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = {
        content: '',
        sawContent: false,
        refusal: '',
        sawRefusal: false,
        reasoningContent: '',
        reasoning: '',
        toolCalls: new Map(),
        finishReason: null,
        logprobs: null,
        refusalLogprobs: null,
      };
      this.choices.set(index, state);
    }
    return state;
  }
}

function toChoice(index: number, state: ChoiceState): ChatCompletionChoice {
  const toolCalls = [...state.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  const message: ChatCompletionChoice['message'] & { reasoning?: string } = {
    role: 'assistant',
    // A tool-call-only turn has content null, as in OpenAI's own non-streaming bodies.
    content: state.sawContent && (state.content !== '' || toolCalls.length === 0) ? state.content : null,
    refusal: state.sawRefusal ? state.refusal : null,
  };
  if (state.reasoningContent) message.reasoning_content = state.reasoningContent;
  if (state.reasoning) message.reasoning = state.reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const hasLogprobs = state.logprobs !== null || state.refusalLogprobs !== null;
  return {
    index,
    message,
    finish_reason: state.finishReason,
    logprobs: hasLogprobs ? { content: state.logprobs, refusal: state.refusalLogprobs } : null,
  };
}
