import { ProxyError } from '../../core/errors.ts';
import type { FinishReason, StreamEvent } from '../../core/response.ts';
import { sameUsage, type TokenUsage } from '../../core/usage.ts';
import type { StreamDecoder, TextSlot, UpstreamMessage } from '../codec.ts';
import { TextSlotReader } from '../string-slot.ts';
import { proxyErrorFromAnthropic, quote } from './errors.ts';
import { finishReasonFromAnthropic } from './map-finish-reason.ts';
import { signatureFromUpstream } from './signature.ts';
import type { AnthropicDelta, AnthropicMessage, AnthropicOutputBlock, AnthropicStreamEvent, AnthropicUsage } from './types.ts';
import { mergeUsage, usageFromAnthropic } from './usage.ts';

interface OpenBlock {
  /** The canonical block number. */
  number: number;
  /** tool_use: the arguments to send at the stop when no input_json_delta carried any. */
  fallbackArguments?: string;
}

/**
 * Anthropic SSE events → canonical events. Server tool blocks (web search and the like)
 * are skipped: the server ran those tools itself and the client defined none of them;
 * the text around them, citations aside, comes through.
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  private started = false;
  private failed = false;
  private finished = false;
  private toolCalls = false;
  private nextBlock = 0;
  /** Open blocks by Anthropic index; skipped blocks never enter, so their events fall through. */
  private readonly open = new Map<number, OpenBlock>();
  private usage: AnthropicUsage = {};
  private reportedUsage: TokenUsage | undefined;
  /** Where the text sits in text deltas, by event name and block: most deltas differ from the last only there. */
  private readonly texts = new TextSlotReader<{ event: string | undefined; index: number }>();

  push(message: UpstreamMessage): StreamEvent[] {
    if (this.failed) return [];
    const text = this.texts.read(message.data);
    if (text !== undefined && message.event === this.texts.where.event) {
      return this.delta(this.texts.where.index, { type: 'text_delta', text });
    }
    const event = parseEvent(message.data);
    if (message.event === 'error' || event?.type === 'error') {
      return this.fail(proxyErrorFromAnthropic(event) ?? unreadable('reported an error mid-stream', message.data));
    }
    try {
      if (event) return this.read(event, message);
    } catch {
      // Event shapes are trusted, not validated: one missing its parts fails like one that is not JSON.
    }
    return this.fail(unreadable('sent a stream event llm-mux cannot read', message.data));
  }

  private read(event: AnthropicStreamEvent, message: UpstreamMessage): StreamEvent[] {
    switch (event.type) {
      case 'message_start':
        return this.messageStart(event.message);
      case 'content_block_start':
        return this.blockStart(event.index, event.content_block);
      case 'content_block_delta':
        if (event.delta.type === 'text_delta' && typeof event.delta.text === 'string') {
          this.texts.learn(message.data, 'text', event.delta.text, { event: message.event, index: event.index });
        }
        return this.delta(event.index, event.delta);
      case 'content_block_stop':
        return this.blockStop(event.index);
      case 'message_delta':
        return this.messageDelta(event.delta, event.usage);
      default:
        // ping, message_stop, and event types Anthropic may add.
        return [];
    }
  }

  textSlot(): TextSlot | undefined {
    const current = this.texts.lend();
    const block = current && !this.failed ? this.open.get(current.where.index) : undefined;
    if (!block) return undefined;
    const { before, after } = current!.slot;
    return { event: current!.where.event, before, after, trailer: 'whitespace', choice: 0, block: block.number };
  }

  end(): StreamEvent[] {
    if (this.failed) return [];
    if (!this.started) return this.fail(new ProxyError('upstream', 'The upstream stream ended before a message started.'));
    return [...this.closeAll(), ...this.finish(this.toolCalls ? 'tool_calls' : 'stop', null)];
  }

  private fail(error: ProxyError): StreamEvent[] {
    this.failed = true;
    return [{ type: 'error', error }];
  }

  private messageStart(message: AnthropicMessage): StreamEvent[] {
    if (this.started) return [];
    this.started = true;
    // Anthropic sends no creation time; the canonical stream carries one for OpenAI clients.
    const start: StreamEvent = { type: 'start', id: message.id, model: message.model, created: Math.floor(Date.now() / 1000) };
    return [start, ...this.addUsage(message.usage)];
  }

  private blockStart(index: number, block: AnthropicOutputBlock): StreamEvent[] {
    const at = { choice: 0, block: this.nextBlock };
    switch (block.type) {
      case 'text':
        this.enter(index, {});
        return [{ type: 'block_start', ...at, kind: 'text' }, ...this.delta(index, { type: 'text_delta', text: block.text })];
      case 'thinking':
        this.enter(index, {});
        return [
          { type: 'block_start', ...at, kind: 'reasoning' },
          ...this.delta(index, { type: 'thinking_delta', thinking: block.thinking }),
          ...this.delta(index, { type: 'signature_delta', signature: block.signature }),
        ];
      case 'redacted_thinking':
        this.enter(index, {});
        return [{ type: 'block_start', ...at, kind: 'redacted_reasoning', data: block.data }];
      case 'tool_use':
        // Anthropic starts with `input: {}` and streams the JSON; a full input here is the fallback.
        this.toolCalls = true;
        this.enter(index, { fallbackArguments: JSON.stringify(block.input ?? {}) });
        return [{ type: 'block_start', ...at, kind: 'tool_call', id: block.id, name: block.name }];
      default:
        return [];
    }
  }

  private enter(index: number, block: Omit<OpenBlock, 'number'>): void {
    this.open.set(index, { number: this.nextBlock++, ...block });
  }

  // Called once per token: the events are written out in full rather than spread from a shared part.
  private delta(index: number, delta: AnthropicDelta): StreamEvent[] {
    const block = this.open.get(index);
    if (!block) return [];
    switch (delta.type) {
      case 'text_delta':
        return delta.text ? [{ type: 'text', choice: 0, block: block.number, text: delta.text }] : [];
      case 'thinking_delta':
        return delta.thinking ? [{ type: 'reasoning', choice: 0, block: block.number, text: delta.thinking }] : [];
      case 'signature_delta': {
        const signature = signatureFromUpstream(delta.signature);
        return signature ? [{ type: 'signature', choice: 0, block: block.number, signature }] : [];
      }
      case 'input_json_delta':
        if (!delta.partial_json) return [];
        block.fallbackArguments = undefined;
        return [{ type: 'tool_arguments', choice: 0, block: block.number, delta: delta.partial_json }];
      default:
        // citations_delta: the canonical model carries no citations.
        return [];
    }
  }

  private blockStop(index: number): StreamEvent[] {
    const block = this.open.get(index);
    if (!block) return [];
    this.open.delete(index);
    const at = { choice: 0, block: block.number };
    const owed: StreamEvent[] =
      block.fallbackArguments === undefined ? [] : [{ type: 'tool_arguments', ...at, delta: block.fallbackArguments }];
    return [...owed, { type: 'block_end', ...at }];
  }

  private closeAll(): StreamEvent[] {
    return [...this.open.keys()].flatMap((index) => this.blockStop(index));
  }

  private messageDelta(
    delta: { stop_reason: string | null; stop_sequence: string | null } | undefined,
    usage: AnthropicUsage | undefined,
  ): StreamEvent[] {
    const reason = delta?.stop_reason ? finishReasonFromAnthropic(delta.stop_reason) : undefined;
    const finish = reason ? [...this.closeAll(), ...this.finish(reason, delta?.stop_sequence ?? null)] : [];
    return [...finish, ...this.addUsage(usage)];
  }

  private finish(reason: FinishReason, stopSequence: string | null): StreamEvent[] {
    if (this.finished) return [];
    this.finished = true;
    return [stopSequence ? { type: 'finish', choice: 0, reason, stopSequence } : { type: 'finish', choice: 0, reason }];
  }

  /** Usage objects are cumulative; a usage event goes out only when the totals change. */
  private addUsage(update: AnthropicUsage | undefined): StreamEvent[] {
    if (!update) return [];
    this.usage = mergeUsage(this.usage, update);
    const usage = usageFromAnthropic(this.usage);
    if (sameUsage(this.reportedUsage, usage)) return [];
    this.reportedUsage = usage;
    return [{ type: 'usage', usage }];
  }
}

function unreadable(what: string, data: string): ProxyError {
  return new ProxyError('upstream', `The upstream ${what}: ${quote(data)}`);
}

function parseEvent(data: string): AnthropicStreamEvent | undefined {
  try {
    const value = JSON.parse(data) as unknown;
    return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string'
      ? (value as AnthropicStreamEvent)
      : undefined;
  } catch {
    return undefined;
  }
}
