import { ProxyError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { FinishReason, StreamEvent } from '../../core/response.ts';
import { sameUsage, type TokenUsage } from '../../core/usage.ts';
import type { StreamDecoder, UpstreamMessage } from '../codec.ts';
import { freshCallId } from './call-ids.ts';
import { proxyErrorFromGoogle } from './errors.ts';
import { finishReasonFromGemini } from './map-finish-reason.ts';
import { applyPartialArg } from './partial-args.ts';
import type { GeminiCandidate, GeminiFunctionCall, GeminiUsageMetadata, GenerateContentResponse } from './types.ts';
import { countedUsage } from './usage.ts';

interface ChoiceState {
  nextBlock: number;
  /** The open text or reasoning block: Gemini has no block boundaries, a change of kind ends it. */
  open?: { kind: 'text' | 'reasoning'; block: number; signed: boolean };
  /** The latest reasoning block still without a signature: a later loose signature is its. */
  unsigned?: number;
  /** A Vertex call whose arguments are still arriving (`willContinue`). */
  partial?: { block: number; args: Record<string, unknown> };
  madeToolCalls: boolean;
  finished: boolean;
}

export interface GeminiStreamDecoderOptions {
  /** Takes the GenerateContentResponse out of an envelope (Code Assist's `{response}`). */
  unwrap?: (json: unknown) => unknown;
}

/**
 * Gemini stream elements (each a whole GenerateContentResponse holding that moment's
 * parts) → canonical events. Function calls arrive complete in one part, except on Vertex
 * with streamFunctionCallArguments; their ids are made up, Gemini sends none.
 */
export class GeminiStreamDecoder implements StreamDecoder {
  private started = false;
  private failed = false;
  private lastUsage: TokenUsage | undefined;
  private readonly choices = new Map<number, ChoiceState>();

  constructor(private readonly options: GeminiStreamDecoderOptions = {}) {}

  push(message: UpstreamMessage): StreamEvent[] {
    if (this.failed || message.data.trim() === '') return [];
    let json: unknown;
    try {
      json = JSON.parse(message.data);
    } catch {
      return this.fail(new ProxyError('upstream', 'The upstream sent a malformed stream chunk.', { code: 'malformed_chunk' }));
    }
    return this.pushChunk(json);
  }

  /** One parsed element: a stream chunk, or a whole non-streaming answer. */
  pushChunk(json: unknown): StreamEvent[] {
    if (this.failed) return [];
    const chunk = (this.options.unwrap ? this.options.unwrap(json) : json) as (GenerateContentResponse & { error?: object }) | null;
    if (chunk === null || typeof chunk !== 'object') {
      return this.fail(new ProxyError('upstream', 'The upstream sent a stream chunk that is not an object.', { code: 'malformed_chunk' }));
    }
    if (chunk.error) return this.fail(proxyErrorFromGoogle(chunk.error));
    const events: StreamEvent[] = [];
    if (!this.started) events.push(this.start(chunk));
    const candidates = chunk.candidates ?? [];
    candidates.forEach((candidate, position) => this.decodeCandidate(candidate.index ?? position, candidate, events));
    // A prompt blocked before generation: no candidates, only the reason.
    if (candidates.length === 0 && chunk.promptFeedback?.blockReason) this.finish(0, 'content_filter', events);
    if (chunk.usageMetadata) this.decodeUsage(chunk.usageMetadata, events);
    return events;
  }

  end(): StreamEvent[] {
    if (this.failed) return [];
    const events: StreamEvent[] = [];
    if (!this.started) events.push(this.start({}));
    if (this.choices.size === 0) this.choice(0);
    for (const [index, state] of this.choices) {
      if (!state.finished) this.finish(index, state.madeToolCalls ? 'tool_calls' : 'stop', events);
    }
    return events;
  }

  private start(chunk: GenerateContentResponse): StreamEvent {
    this.started = true;
    const created = chunk.createTime ? Date.parse(chunk.createTime) : Date.now();
    return {
      type: 'start',
      id: chunk.responseId || newId('gen-'),
      model: chunk.modelVersion ?? '',
      created: Math.floor((Number.isNaN(created) ? Date.now() : created) / 1000),
    };
  }

  private fail(error: ProxyError): StreamEvent[] {
    this.failed = true;
    return [{ type: 'error', error }];
  }

  private decodeCandidate(index: number, candidate: GeminiCandidate, events: StreamEvent[]): void {
    const state = this.choice(index);
    if (state.finished) return;
    for (const part of candidate.content?.parts ?? []) {
      const signature = typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined;
      if (part.functionCall) this.functionCall(index, state, part.functionCall, signature, events);
      else if (part.thought === true) this.thought(index, state, part.text ?? '', signature, events);
      else {
        // Text, or output Gemini has no canonical form for (inline media, code execution):
        // either way a signature on it still belongs to the turn's thinking.
        this.closePartial(index, state, events);
        if (signature !== undefined) this.looseSignature(index, state, signature, events);
        if (part.text) events.push({ type: 'text', choice: index, block: this.open(index, state, 'text', events).block, text: part.text });
      }
    }
    if (candidate.finishReason) {
      const reason = finishReasonFromGemini(candidate.finishReason);
      this.finish(index, reason === 'stop' && state.madeToolCalls ? 'tool_calls' : reason, events);
    }
  }

  private thought(index: number, state: ChoiceState, text: string, signature: string | undefined, events: StreamEvent[]): void {
    this.closePartial(index, state, events);
    // A second signature starts a new block: a block holds one.
    if (signature !== undefined && state.open?.signed) this.closeOpen(index, state, events);
    const open = this.open(index, state, 'reasoning', events);
    if (text !== '') events.push({ type: 'reasoning', choice: index, block: open.block, text });
    if (signature === undefined) return;
    events.push({ type: 'signature', choice: index, block: open.block, signature: { protocol: 'gemini', value: signature } });
    open.signed = true;
    state.unsigned = undefined;
  }

  /**
   * A signature on a part that is not a thought signs the thinking before it: the latest
   * unsigned reasoning block, or, when Gemini showed no thoughts, an empty reasoning
   * block placed where the signature arrived.
   */
  private looseSignature(index: number, state: ChoiceState, value: string, events: StreamEvent[]): void {
    const signature = { protocol: 'gemini' as const, value };
    if (state.unsigned !== undefined) {
      events.push({ type: 'signature', choice: index, block: state.unsigned, signature });
      if (state.open?.block === state.unsigned) state.open.signed = true;
      state.unsigned = undefined;
      return;
    }
    this.closeOpen(index, state, events);
    const block = state.nextBlock++;
    events.push(
      { type: 'block_start', choice: index, block, kind: 'reasoning' },
      { type: 'signature', choice: index, block, signature },
      { type: 'block_end', choice: index, block },
    );
  }

  private functionCall(index: number, state: ChoiceState, call: GeminiFunctionCall, signature: string | undefined, events: StreamEvent[]): void {
    // Vertex continues a call with nameless parts: more partialArgs, then `{}` to close it.
    if (call.name === undefined) {
      if (!state.partial) return;
      for (const arg of call.partialArgs ?? []) applyPartialArg(state.partial.args, arg);
      if (signature !== undefined) events.push({ type: 'signature', choice: index, block: state.partial.block, signature: { protocol: 'gemini', value: signature } });
      if (!call.willContinue) this.closePartial(index, state, events);
      return;
    }
    this.closeOpen(index, state, events);
    this.closePartial(index, state, events);
    const block = state.nextBlock++;
    state.madeToolCalls = true;
    state.unsigned = undefined;
    events.push({ type: 'block_start', choice: index, block, kind: 'tool_call', id: call.id || freshCallId(), name: call.name });
    if (signature !== undefined) events.push({ type: 'signature', choice: index, block, signature: { protocol: 'gemini', value: signature } });
    if (call.willContinue) {
      state.partial = { block, args: structuredClone(call.args ?? {}) };
      for (const arg of call.partialArgs ?? []) applyPartialArg(state.partial.args, arg);
      return;
    }
    events.push({ type: 'tool_arguments', choice: index, block, delta: JSON.stringify(call.args ?? {}) }, { type: 'block_end', choice: index, block });
  }

  /** Partial arguments are assembled by path, so they go out as one JSON text when complete. */
  private closePartial(index: number, state: ChoiceState, events: StreamEvent[]): void {
    if (!state.partial) return;
    const { block, args } = state.partial;
    state.partial = undefined;
    events.push({ type: 'tool_arguments', choice: index, block, delta: JSON.stringify(args) }, { type: 'block_end', choice: index, block });
  }

  private open(index: number, state: ChoiceState, kind: 'text' | 'reasoning', events: StreamEvent[]): NonNullable<ChoiceState['open']> {
    if (state.open?.kind === kind) return state.open;
    this.closeOpen(index, state, events);
    const block = state.nextBlock++;
    state.open = { kind, block, signed: false };
    if (kind === 'reasoning') state.unsigned = block;
    events.push({ type: 'block_start', choice: index, block, kind });
    return state.open;
  }

  private closeOpen(index: number, state: ChoiceState, events: StreamEvent[]): void {
    if (!state.open) return;
    events.push({ type: 'block_end', choice: index, block: state.open.block });
    state.open = undefined;
  }

  private finish(index: number, reason: FinishReason, events: StreamEvent[]): void {
    const state = this.choice(index);
    this.closeOpen(index, state, events);
    this.closePartial(index, state, events);
    state.finished = true;
    events.push({ type: 'finish', choice: index, reason });
  }

  /** Usage is cumulative in every chunk; Vertex's first chunks carry none (only trafficType). */
  private decodeUsage(metadata: GeminiUsageMetadata, events: StreamEvent[]): void {
    const usage = countedUsage(metadata);
    if (!usage || sameUsage(this.lastUsage, usage)) return;
    this.lastUsage = usage;
    events.push({ type: 'usage', usage });
  }

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { nextBlock: 0, madeToolCalls: false, finished: false };
      this.choices.set(index, state);
    }
    return state;
  }
}

export function createGeminiStreamDecoder(options?: GeminiStreamDecoderOptions): GeminiStreamDecoder {
  return new GeminiStreamDecoder(options);
}
