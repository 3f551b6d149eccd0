import { ProxyError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { StreamEvent } from '../../core/response.ts';
import type { StreamDecoder, TextSlot, UpstreamMessage } from '../codec.ts';
import { TextSlotReader } from '../string-slot.ts';
import { chatStreamError } from './errors.ts';
import { finishReasonFromChat } from './map-finish-reason.ts';
import type { ChatChunkChoice, ChatCompletionChunk } from './types.ts';
import { tokenUsageFromChat } from './usage.ts';

interface ChoiceState {
  nextBlock: number;
  /** The open text or reasoning block; Chat has no block boundaries, so a change of kind ends it. */
  open?: { kind: 'text' | 'reasoning'; block: number };
  /** Tool call index → block, for calls still receiving argument fragments. */
  tools: Map<number, number>;
  madeToolCalls: boolean;
  finished: boolean;
}

/** Chat Completions chunks → canonical stream events. */
export class ChatStreamDecoder implements StreamDecoder {
  private started = false;
  private failed = false;
  private readonly choices = new Map<number, ChoiceState>();
  /**
   * Where the text sits in text-only chunks, and of which choice (and whether OpenAI's
   * padding ended the chunk): most chunks differ from the last only there.
   */
  private readonly texts = new TextSlotReader<{ choice: number; padded: boolean }>();
  /** Whether the last text-only chunk parsed in full named the role (see where the slot is learnt). */
  private lastTextNamedRole = false;

  push(message: UpstreamMessage): StreamEvent[] {
    if (this.failed || message.data === '[DONE]') return [];
    if (message.event === undefined) {
      const text = this.texts.read(message.data, endBeforePadding(message.data));
      if (text !== undefined) return this.textOnly(this.texts.where.choice, text);
    }
    let chunk: ChatCompletionChunk;
    try {
      chunk = JSON.parse(message.data) as ChatCompletionChunk;
    } catch {
      return [...this.opening({}), ...this.fail(new ProxyError('upstream', 'The upstream sent a malformed stream chunk.', { code: 'malformed_chunk' }))];
    }
    if (chunk.error || message.event === 'error') {
      // OpenRouter bills the tokens on the error chunk itself.
      const billed: StreamEvent[] = chunk.usage ? [{ type: 'usage', usage: tokenUsageFromChat(chunk.usage) }] : [];
      return [...this.opening(chunk), ...billed, ...this.fail(chatStreamError(chunk))];
    }
    // Azure's first chunk has an empty id and no choices: wait for a real one.
    const events = chunk.id || chunk.choices?.length ? this.opening(chunk) : [];
    for (const choice of chunk.choices ?? []) this.decodeChoice(choice, events);
    if (chunk.usage) events.push({ type: 'usage', usage: tokenUsageFromChat(chunk.usage) });
    if (message.event === undefined && isTextOnly(chunk)) {
      const choice = chunk.choices![0]!;
      // OpenAI names the role on the first chunk only, so a slot learnt there would not fit
      // the next; it is learnt from a chunk with a role only where the one before had one too.
      const named = choice.delta!.role !== undefined;
      if (!named || this.lastTextNamedRole) {
        const end = endBeforePadding(message.data);
        this.texts.learn(message.data, 'content', choice.delta!.content!, { choice: choice.index ?? 0, padded: end < message.data.length }, end);
      }
      this.lastTextNamedRole = named;
    }
    return events;
  }

  textSlot(): TextSlot | undefined {
    const current = this.texts.lend();
    if (!current || this.failed) return undefined;
    const { choice, padded } = current.where;
    const open = this.choices.get(choice);
    if (!open || open.finished || open.open?.kind !== 'text') return undefined;
    const { before, after } = current.slot;
    return { event: undefined, before, after, trailer: padded ? 'obfuscation' : 'none', choice, block: open.open.block };
  }

  /** What `decodeChoice` makes of a chunk carrying nothing but a choice's text. */
  private textOnly(index: number, text: string): StreamEvent[] {
    const state = this.choice(index);
    const events: StreamEvent[] = [];
    if (!state.finished && text !== '') this.appendText(index, state, 'text', text, events);
    return events;
  }

  end(): StreamEvent[] {
    if (this.failed) return [];
    const events: StreamEvent[] = [];
    if (!this.started) events.push(this.start({}));
    if (this.choices.size === 0) this.choice(0);
    for (const [index, state] of this.choices) {
      if (state.finished) continue;
      this.closeAll(index, state, events);
      events.push({ type: 'finish', choice: index, reason: state.madeToolCalls ? 'tool_calls' : 'stop' });
    }
    return events;
  }

  /** `start` unless sent already: every stream opens with one, even one that fails at once. */
  private opening(chunk: ChatCompletionChunk): StreamEvent[] {
    return this.started ? [] : [this.start(chunk)];
  }

  private start(chunk: ChatCompletionChunk): StreamEvent {
    this.started = true;
    return {
      type: 'start',
      id: chunk.id || newId('chatcmpl-'),
      model: chunk.model ?? '',
      created: chunk.created ?? Math.floor(Date.now() / 1000),
    };
  }

  private fail(error: ProxyError): StreamEvent[] {
    this.failed = true;
    return [{ type: 'error', error }];
  }

  private decodeChoice(choice: ChatChunkChoice, events: StreamEvent[]): void {
    const index = choice.index ?? 0;
    const state = this.choice(index);
    // OpenRouter repeats the finish chunk; a finished choice's blocks are closed for good.
    if (state.finished) return;
    const delta = choice.delta ?? {};
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '') this.appendText(index, state, 'reasoning', reasoning, events);
    if (typeof delta.content === 'string' && delta.content !== '') this.appendText(index, state, 'text', delta.content, events);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') events.push({ type: 'refusal', choice: index, text: delta.refusal });
    for (const call of delta.tool_calls ?? []) {
      const toolIndex = call.index ?? state.tools.size;
      let block = state.tools.get(toolIndex);
      if (block === undefined) {
        this.closeOpen(index, state, events);
        block = state.nextBlock++;
        state.tools.set(toolIndex, block);
        state.madeToolCalls = true;
        events.push({
          type: 'block_start',
          choice: index,
          block,
          kind: 'tool_call',
          id: call.id || newId('call_'),
          name: call.function?.name ?? '',
        });
      }
      const fragment = call.function?.arguments;
      if (fragment) events.push({ type: 'tool_arguments', choice: index, block, delta: fragment });
    }
    if (choice.finish_reason) {
      this.closeAll(index, state, events);
      state.finished = true;
      const reason = finishReasonFromChat(choice.finish_reason);
      events.push({ type: 'finish', choice: index, reason: reason === 'stop' && state.madeToolCalls ? 'tool_calls' : reason });
    }
  }

  private appendText(index: number, state: ChoiceState, kind: 'text' | 'reasoning', text: string, events: StreamEvent[]): void {
    if (state.open?.kind !== kind) {
      this.closeOpen(index, state, events);
      state.open = { kind, block: state.nextBlock++ };
      events.push({ type: 'block_start', choice: index, block: state.open.block, kind });
    }
    events.push(kind === 'text' ? { type: 'text', choice: index, block: state.open.block, text } : { type: 'reasoning', choice: index, block: state.open.block, text });
  }

  private closeOpen(index: number, state: ChoiceState, events: StreamEvent[]): void {
    if (!state.open) return;
    events.push({ type: 'block_end', choice: index, block: state.open.block });
    state.open = undefined;
  }

  private closeAll(index: number, state: ChoiceState, events: StreamEvent[]): void {
    this.closeOpen(index, state, events);
    for (const block of state.tools.values()) events.push({ type: 'block_end', choice: index, block });
    state.tools.clear();
  }

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { nextBlock: 0, tools: new Map(), madeToolCalls: false, finished: false };
      this.choices.set(index, state);
    }
    return state;
  }
}

/** A chunk whose only effect is one choice's text (the first, with `role`, counts too). */
function isTextOnly(chunk: ChatCompletionChunk): boolean {
  if (chunk.error || chunk.usage || chunk.choices?.length !== 1) return false;
  const choice = chunk.choices[0]!;
  const delta = choice.delta;
  return (
    !choice.finish_reason &&
    typeof delta?.content === 'string' &&
    !delta.reasoning_content &&
    !delta.reasoning &&
    !delta.refusal &&
    !delta.tool_calls?.length
  );
}

const PADDING_FIELD = ',"obfuscation":"';

/**
 * Where OpenAI's `obfuscation` field starts when it ends the chunk (random padding, new in
 * every chunk, meaning nothing), else the end: the text slot is compared up to there. Only
 * a padding that is a JSON string as it stands (no quote, escape or control character) is
 * left out, so that a chunk the slot reads is one `JSON.parse` would read the same.
 */
function endBeforePadding(data: string): number {
  if (!data.endsWith('"}')) return data.length;
  const at = data.lastIndexOf(PADDING_FIELD);
  if (at < 0) return data.length;
  for (let i = at + PADDING_FIELD.length; i < data.length - 2; i++) {
    const code = data.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c) return data.length;
  }
  return at;
}
