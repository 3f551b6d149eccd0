import { ProxyError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { StreamEvent } from '../../core/response.ts';
import type { StreamDecoder, UpstreamMessage } from '../codec.ts';
import { streamFailure } from './errors.ts';
import { finishReasonFromResponse } from './map-finish-reason.ts';
import {
  SEGMENT_SEPARATOR,
  contentKey,
  messageSegments,
  reasoningSegments,
  reasoningTextKey,
  summaryKey,
  type Segment,
} from './read-items.ts';
import { signReasoning } from './signature.ts';
import type { WireOutputItem, WireResponse, WireStreamEvent } from './types.ts';
import { tokenUsageFromResponses } from './usage.ts';
import { parseJsonRecord } from '../../core/json.ts';

type BlockKind = 'text' | 'reasoning' | 'tool_call';

/** The canonical block of one upstream output item. */
interface OpenBlock {
  block: number;
  kind: BlockKind;
  /** Text sent so far per segment: `.done` events and finished items only add what is missing. */
  segments: Map<string, string>;
  /** The encrypted_content last signed, so each value is signed once. */
  encrypted?: string;
}

/**
 * Responses typed SSE → canonical events. One block per output item: a message is a text
 * block (opened by its first text: a refusal-only message has none), a reasoning item a
 * reasoning block whose summary parts (or raw reasoning_text parts) are joined by blank
 * lines, a function_call a tool_call block. Items are addressed by output_index, so they
 * may interleave (OpenRouter finishes its reasoning item after the message).
 *
 * A reasoning item's encrypted_content becomes a `signature` event: as soon as the item is
 * announced (so encoders learn the item id early; OpenAI may still change the content) and
 * again from `output_item.done`, whose value is final: the last signature wins.
 */
export function createResponsesStreamDecoder(): StreamDecoder {
  return new ResponsesStreamDecoder();
}

class ResponsesStreamDecoder implements StreamDecoder {
  private events: StreamEvent[] = [];
  private started = false;
  private finished = false;
  private nextBlock = 0;
  private madeToolCalls = false;
  /** Open blocks by output_index. */
  private readonly blocks = new Map<number, OpenBlock>();

  push(message: UpstreamMessage): StreamEvent[] {
    const data = message.data.trim();
    if (this.finished || data === '' || data === '[DONE]') return [];
    const event = parseEvent(data);
    if (event) this.handle(event.type ?? message.event ?? '', event);
    else this.fail(new ProxyError('upstream', `The upstream sent a stream event that is not JSON: ${data.slice(0, 200)}`));
    return this.drain();
  }

  end(): StreamEvent[] {
    if (this.finished) return [];
    this.start(undefined);
    this.closeAll();
    this.emit({ type: 'finish', choice: 0, reason: this.madeToolCalls ? 'tool_calls' : 'stop' });
    this.finished = true;
    return this.drain();
  }

  private handle(type: string, event: WireStreamEvent): void {
    this.start(event.response);
    const index = event.output_index ?? 0;
    switch (type) {
      case 'response.output_item.added':
        return this.itemAdded(index, event.item ?? {});
      case 'response.output_item.done':
        return this.itemDone(index, event.item ?? {});
      case 'response.output_text.delta':
        return this.append(index, 'text', contentKey(event.content_index ?? 0), event.delta);
      case 'response.output_text.done':
        return this.catchUp(index, 'text', [contentKey(event.content_index ?? 0), event.text ?? '']);
      case 'response.reasoning_summary_text.delta':
        return this.append(index, 'reasoning', summaryKey(event.summary_index ?? 0), event.delta);
      case 'response.reasoning_summary_text.done':
        return this.catchUp(index, 'reasoning', [summaryKey(event.summary_index ?? 0), event.text ?? '']);
      case 'response.reasoning_text.delta':
        return this.append(index, 'reasoning', reasoningTextKey(event.content_index ?? 0), event.delta);
      case 'response.reasoning_text.done':
        return this.catchUp(index, 'reasoning', [reasoningTextKey(event.content_index ?? 0), event.text ?? '']);
      case 'response.function_call_arguments.delta':
        return this.append(index, 'tool_call', ARGUMENTS, event.delta);
      case 'response.function_call_arguments.done':
        return this.catchUp(index, 'tool_call', [ARGUMENTS, event.arguments ?? '']);
      case 'response.refusal.delta':
        if (event.delta) this.emit({ type: 'refusal', choice: 0, text: event.delta });
        return;
      case 'response.completed':
      case 'response.incomplete':
        return this.complete(event.response ?? {});
      case 'response.failed':
        return this.fail(streamFailure(event.response?.error));
      case 'error':
        return this.fail(streamFailure(event.error ?? { code: event.code, message: event.message }));
    }
  }

  /** `start` comes first, from response.created when the upstream sends it (it always should). */
  private start(response: WireResponse | undefined): void {
    if (this.started) return;
    this.started = true;
    this.emit({
      type: 'start',
      id: response?.id ?? newId('resp_'),
      model: response?.model ?? '',
      created: response?.created_at ?? 0,
    });
  }

  private itemAdded(index: number, item: WireOutputItem): void {
    if (item.type === 'reasoning') {
      this.open(index, 'reasoning');
      this.sign(index, item);
    } else if (item.type === 'function_call') {
      this.openToolCall(index, item);
    }
  }

  /** The finished item: whatever text never came as deltas, the final signature, then block_end. */
  private itemDone(index: number, item: WireOutputItem): void {
    switch (item.type) {
      case 'message':
        messageSegments(item).forEach((segment) => this.catchUp(index, 'text', segment));
        break;
      case 'reasoning':
        if (!this.blocks.has(index)) this.open(index, 'reasoning');
        reasoningSegments(item).forEach((segment) => this.catchUp(index, 'reasoning', segment));
        this.sign(index, item);
        break;
      case 'function_call':
        if (!this.blocks.has(index)) this.openToolCall(index, item);
        this.catchUp(index, 'tool_call', [ARGUMENTS, item.arguments ?? '']);
        break;
    }
    this.close(index);
  }

  private complete(response: WireResponse): void {
    this.closeAll();
    this.emit({ type: 'finish', choice: 0, reason: finishReasonFromResponse(response, this.madeToolCalls) });
    if (response.usage) this.emit({ type: 'usage', usage: tokenUsageFromResponses(response.usage) });
    this.finished = true;
  }

  /** An upstream failure: the error event, and nothing after it. */
  private fail(error: ProxyError): void {
    this.emit({ type: 'error', error });
    this.finished = true;
  }

  private open(index: number, kind: 'text' | 'reasoning'): OpenBlock {
    const block = this.register(index, kind);
    this.emit({ type: 'block_start', choice: 0, block: block.block, kind });
    return block;
  }

  private openToolCall(index: number, item: WireOutputItem): void {
    const block = this.register(index, 'tool_call');
    this.madeToolCalls = true;
    this.emit({
      type: 'block_start',
      choice: 0,
      block: block.block,
      kind: 'tool_call',
      id: item.call_id ?? newId('call_'),
      name: item.name ?? '',
    });
  }

  private register(index: number, kind: BlockKind): OpenBlock {
    this.close(index);
    const block: OpenBlock = { block: this.nextBlock++, kind, segments: new Map() };
    this.blocks.set(index, block);
    return block;
  }

  /** A delta for the item at `index`. Text and reasoning blocks open on their first text. */
  private append(index: number, kind: BlockKind, segment: string, delta: string | undefined): void {
    if (!delta) return;
    const block = this.blocks.get(index) ?? (kind === 'tool_call' ? undefined : this.open(index, kind));
    if (block?.kind !== kind) return;
    const sent = block.segments.get(segment);
    const text = sent === undefined && block.segments.size > 0 ? SEGMENT_SEPARATOR[kind] + delta : delta;
    block.segments.set(segment, (sent ?? '') + delta);
    if (kind === 'tool_call') this.emit({ type: 'tool_arguments', choice: 0, block: block.block, delta: text });
    else this.emit({ type: kind, choice: 0, block: block.block, text });
  }

  /** A segment's full text: sends the part the deltas did not (nothing when they all came). */
  private catchUp(index: number, kind: BlockKind, [segment, full]: Segment): void {
    const sent = this.blocks.get(index)?.segments.get(segment) ?? '';
    if (full.startsWith(sent)) this.append(index, kind, segment, full.slice(sent.length));
  }

  private sign(index: number, item: WireOutputItem): void {
    const block = this.blocks.get(index);
    const encrypted = item.encrypted_content;
    if (!block || !item.id || !encrypted || encrypted === block.encrypted) return;
    block.encrypted = encrypted;
    this.emit({ type: 'signature', choice: 0, block: block.block, signature: signReasoning(item.id, encrypted) });
  }

  private close(index: number): void {
    const block = this.blocks.get(index);
    if (!block) return;
    this.blocks.delete(index);
    this.emit({ type: 'block_end', choice: 0, block: block.block });
  }

  private closeAll(): void {
    for (const index of [...this.blocks.keys()]) this.close(index);
  }

  private emit(event: StreamEvent): void {
    this.events.push(event);
  }

  private drain(): StreamEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}

/** The one segment of a function call's arguments. */
const ARGUMENTS = 'arguments';

function parseEvent(data: string): WireStreamEvent | undefined {
  return parseJsonRecord(data) as WireStreamEvent | undefined;
}
