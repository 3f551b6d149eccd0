import type { ReasoningSignature } from '../../core/request.ts';
import type { FinishReason, StreamEvent } from '../../core/response.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { ClientContext, StreamEncoder, TextFrame } from '../codec.ts';
import { type JsonTemplate, jsonTemplate, templateFrame } from '../json-template.ts';
import { messageId } from './encode-response.ts';
import { anthropicErrorBody } from './errors.ts';
import { finishReasonToAnthropic } from './map-finish-reason.ts';
import { signatureCarrier } from './blocks.ts';
import { signatureToClient } from './signature.ts';
import type { AnthropicDelta, AnthropicOutputBlock, AnthropicStreamEvent } from './types.ts';
import { usageToAnthropic } from './usage.ts';

/** A block of the answer on its way to the client. */
interface Block {
  start: AnthropicOutputBlock;
  /** Blocks reach the wire in start order, so the wire index is known from the start. */
  index: number;
  status: 'waiting' | 'open' | 'closed';
  /** Deltas that arrived while an earlier block held the wire. */
  held: AnthropicDelta[];
  /** The upstream ended it; its content_block_stop waits until another block needs the wire. */
  ended: boolean;
  /**
   * May take the wire. A tool_use waits for its first argument fragment (or its end), so a
   * signature for it can still be placed in front of it.
   */
  ready: boolean;
  /** What is written for its index, set when it opens (its index no longer moves then). */
  frames?: IndexFrames;
}

/** The deltas that carry one string: one per token, written from a template. */
type TextDelta = Extract<AnthropicDelta, { type: 'text_delta' | 'thinking_delta' | 'input_json_delta' }>;

/** Refusal text has no upstream block: it gets a text block of its own under this number. */
const REFUSAL = -1;

/**
 * Canonical events → Anthropic SSE. Anthropic streams one content block at a time, so
 * blocks that start while another is open (OpenAI's interleaved parallel tool calls) are
 * held back and flushed in order. An ended block stays open on the wire until another
 * block needs it or the message ends, so a signature that arrives after its reasoning
 * (Gemini) still goes out as a signature_delta of that block. One that arrives after a
 * later block took the wire gets an empty signed thinking block of its own after the blocks
 * before it, as Gemini sends it (on an empty part at the end of the turn).
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream; charset=utf-8';
  private id = '';
  private messageStarted = false;
  private done = false;
  private usage?: TokenUsage;
  private finish?: { reason: FinishReason; stopSequence?: string };
  private toolCalls = false;
  private readonly blocks = new Map<number, Block>();
  private readonly waiting: Block[] = [];
  private current?: Block;
  private nextIndex = 0;

  constructor(private readonly context: ClientContext) {}

  encode(event: StreamEvent): string {
    // Anthropic clients never ask for several choices.
    if (this.done || ('choice' in event && event.choice !== 0)) return '';
    switch (event.type) {
      case 'start':
        this.id = event.id;
        return '';
      case 'usage':
        // message_start goes out with the first content, so it carries the input count when the upstream sent it early.
        this.usage = event.usage;
        return '';
      case 'finish':
        this.finish = { reason: event.reason, stopSequence: event.stopSequence };
        return '';
      case 'error':
        // Anthropic ends a failed stream with the error event: no block stops, no message_stop.
        this.done = true;
        return frame(anthropicErrorBody(event.error));
      case 'block_start':
        return this.messageStart() + this.add(event.block, blockStart(event));
      case 'text':
        return this.messageStart() + this.delta(event.block, { type: 'text_delta', text: event.text });
      case 'reasoning':
        return this.messageStart() + this.delta(event.block, { type: 'thinking_delta', thinking: event.text });
      case 'tool_arguments':
        return this.messageStart() + this.delta(event.block, { type: 'input_json_delta', partial_json: event.delta });
      case 'signature': {
        const block = this.blocks.get(event.block);
        if (block?.start.type === 'tool_use') return this.messageStart() + this.signToolCall(block, event.signature);
        if (block?.start.type !== 'thinking') return '';
        if (block.status === 'closed') return this.messageStart() + this.lateSignature(event.signature);
        return this.messageStart() + this.delta(event.block, { type: 'signature_delta', signature: signatureToClient(event.signature) });
      }
      case 'refusal':
        return this.messageStart() + this.refusal(event.text);
      case 'block_end':
        return this.messageStart() + this.endBlock(event.block);
    }
  }

  textFrame(choice: number, number: number): TextFrame | undefined {
    const block = this.blocks.get(number);
    if (this.done || choice !== 0 || !this.messageStarted || block?.status !== 'open') return undefined;
    return block.frames!.textFrame;
  }

  end(): string {
    if (this.done) return '';
    this.done = true;
    let out = this.messageStart();
    for (const block of this.blocks.values()) {
      block.ended = true;
      block.ready = true;
    }
    out += this.advance();
    if (this.current) out += this.close(this.current);
    const refused = this.blocks.has(REFUSAL);
    const reason = this.finish?.reason ?? (this.toolCalls ? 'tool_calls' : 'stop');
    const stopSequence = this.finish?.stopSequence;
    out += frame({
      type: 'message_delta',
      delta: { stop_reason: finishReasonToAnthropic(reason, stopSequence, refused), stop_sequence: stopSequence ?? null },
      usage: usageToAnthropic(this.usage),
    });
    return out + MESSAGE_STOP;
  }

  private messageStart(): string {
    if (this.messageStarted) return '';
    this.messageStarted = true;
    return frame({
      type: 'message_start',
      message: {
        id: messageId(this.id),
        type: 'message',
        role: 'assistant',
        model: this.context.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageToAnthropic(this.usage),
      },
    });
  }

  private add(number: number, start: AnthropicOutputBlock): string {
    if (this.blocks.has(number)) return '';
    const block: Block = { start, index: this.nextIndex++, status: 'waiting', held: [], ended: false, ready: start.type !== 'tool_use' };
    this.blocks.set(number, block);
    this.waiting.push(block);
    if (start.type === 'tool_use') this.toolCalls = true;
    return this.advance();
  }

  private delta(number: number, delta: AnthropicDelta): string {
    const block = this.blocks.get(number);
    if (block?.status === 'waiting') {
      block.held.push(delta);
      block.ready = true;
      return this.advance();
    }
    if (block?.status !== 'open') return '';
    return deltaFrame(block, delta);
  }

  /**
   * tool_use has no signature field: a signed call (Gemini) gets an empty signed thinking
   * block in front of it, which the inbound decoder moves back onto the call next turn.
   * Too late once the call is on the wire.
   */
  private signToolCall(call: Block, signature: ReasoningSignature): string {
    if (call.status !== 'waiting') return '';
    const carrier: Block = { start: signatureCarrier(signature), index: call.index, status: 'waiting', held: [], ended: true, ready: true };
    for (const block of this.waiting) if (block.index >= call.index) block.index += 1;
    this.nextIndex += 1;
    this.waiting.splice(this.waiting.indexOf(call), 0, carrier);
    return this.advance();
  }

  /** A signature for a thinking block already closed on the wire: an empty signed thinking block, in turn. */
  private lateSignature(signature: ReasoningSignature): string {
    const carrier: Block = { start: signatureCarrier(signature), index: this.nextIndex++, status: 'waiting', held: [], ended: true, ready: true };
    this.waiting.push(carrier);
    return this.advance();
  }

  private refusal(text: string): string {
    const opened = this.blocks.has(REFUSAL) ? '' : this.add(REFUSAL, { type: 'text', text: '' });
    return opened + this.delta(REFUSAL, { type: 'text_delta', text });
  }

  private endBlock(number: number): string {
    const block = this.blocks.get(number);
    if (!block) return '';
    block.ended = true;
    block.ready = true;
    return this.advance();
  }

  /** Moves the wire on: the current block gives way once it has ended and another is waiting. */
  private advance(): string {
    let out = '';
    while (this.waiting.length > 0 && this.waiting[0]!.ready && (!this.current || this.current.ended)) {
      if (this.current) out += this.close(this.current);
      out += this.open(this.waiting.shift()!);
    }
    return out;
  }

  private open(block: Block): string {
    block.status = 'open';
    this.current = block;
    const frames = (block.frames = indexFrames(block.index));
    let out = isEmptyText(block.start) ? frames.emptyTextStart : frame({ type: 'content_block_start', index: block.index, content_block: block.start });
    for (const delta of block.held) out += deltaFrame(block, delta);
    block.held = [];
    return out;
  }

  private close(block: Block): string {
    block.status = 'closed';
    this.current = undefined;
    return block.frames!.stop;
  }
}

function blockStart(event: Extract<StreamEvent, { type: 'block_start' }>): AnthropicOutputBlock {
  switch (event.kind) {
    case 'text':
      return { type: 'text', text: '' };
    case 'reasoning':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'redacted_reasoning':
      return { type: 'redacted_thinking', data: event.data };
    case 'tool_call':
      return { type: 'tool_use', id: event.id, name: event.name, input: {} };
  }
}

/** The string a text-like delta carries, or undefined for other deltas. */
function deltaText(delta: AnthropicDelta): string | undefined {
  switch (delta.type) {
    case 'text_delta':
      return delta.text;
    case 'thinking_delta':
      return delta.thinking;
    case 'input_json_delta':
      return delta.partial_json;
    default:
      return undefined;
  }
}

const DELTA_EVENT = 'event: content_block_delta\ndata: ';

/** content_block_delta of an open block: the same bytes as frame(). */
function deltaFrame(block: Block, delta: AnthropicDelta): string {
  const text = deltaText(delta);
  if (text === undefined) return frame({ type: 'content_block_delta', index: block.index, delta });
  return `${DELTA_EVENT}${block.frames!.deltas[delta.type as TextDelta['type']](text)}\n\n`;
}

/** What every stream writes the same for a block index. */
interface IndexFrames {
  /** A text-like delta's content_block_delta by type: all but the text is the same every time. */
  deltas: Record<TextDelta['type'], JsonTemplate>;
  /** The text_delta frame for the byte lane. */
  textFrame: TextFrame | undefined;
  emptyTextStart: string;
  stop: string;
}

/** The first indexes' frames are built once for all streams; later ones (rare) for each block. */
const SHARED_INDEXES = 16;
const sharedFrames: IndexFrames[] = [];

function indexFrames(index: number): IndexFrames {
  if (index >= SHARED_INDEXES) return buildIndexFrames(index);
  return (sharedFrames[index] ??= buildIndexFrames(index));
}

function buildIndexFrames(index: number): IndexFrames {
  const delta = (type: TextDelta['type']) => jsonTemplate((value) => ({ type: 'content_block_delta', index, delta: withText(type, value) }));
  const deltas = { text_delta: delta('text_delta'), thinking_delta: delta('thinking_delta'), input_json_delta: delta('input_json_delta') };
  return {
    deltas,
    textFrame: templateFrame(deltas.text_delta, DELTA_EVENT, '\n\n'),
    emptyTextStart: frame({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
    stop: frame({ type: 'content_block_stop', index }),
  };
}

function isEmptyText(block: AnthropicOutputBlock): boolean {
  return block.type === 'text' && block.text === '';
}

function withText(type: TextDelta['type'], text: string): TextDelta {
  switch (type) {
    case 'text_delta':
      return { type, text };
    case 'thinking_delta':
      return { type, thinking: text };
    case 'input_json_delta':
      return { type, partial_json: text };
  }
}

const MESSAGE_STOP = frame({ type: 'message_stop' });

function frame(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
