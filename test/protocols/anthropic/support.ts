import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { Stream } from '@anthropic-ai/sdk/streaming';
import type { FinishReason, StreamEvent } from '../../../src/core/response.ts';
import type { TokenUsage } from '../../../src/core/usage.ts';
import { readUpstreamMessages } from '../../../src/protocols/framing.ts';
import { anthropicOutbound } from '../../../src/protocols/anthropic/index.ts';
import { openApiValidator } from '../../support/schemas.ts';

export const anthropicSchema = openApiValidator('anthropic/openapi.json', { relaxRequired: true });

/** A body delivered in the given pieces, as a network would. */
export function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Runs an SSE body through llm-mux's own framing and the Anthropic stream decoder. */
export async function decodeStream(chunks: Uint8Array[]): Promise<StreamEvent[]> {
  const decoder = anthropicOutbound.createStreamDecoder();
  const events: StreamEvent[] = [];
  for await (const message of readUpstreamMessages(streamOf(chunks), 'sse')) events.push(...decoder.push(message));
  events.push(...decoder.end());
  return events;
}

/** What a client makes of an answer, in one shape for both the wire oracle and canonical events. */
export interface Summary {
  blocks: Array<
    | { type: 'text'; text: string }
    | { type: 'thinking'; thinking: string; signature: string }
    | { type: 'redacted_thinking'; data: string }
    | { type: 'tool_use'; id: string; name: string; input: unknown }
  >;
  finish?: FinishReason;
  stopSequence?: string;
  usage?: TokenUsage;
}

/** Folds canonical stream events (choice 0) into a Summary. */
export function summarizeEvents(events: StreamEvent[]): Summary {
  const summary: Summary = { blocks: [] };
  const byNumber = new Map<number, Summary['blocks'][number] & { args?: string }>();
  for (const event of events) {
    switch (event.type) {
      case 'block_start': {
        const block = summaryBlock(event);
        byNumber.set(event.block, block);
        summary.blocks.push(block);
        break;
      }
      case 'text': {
        const block = byNumber.get(event.block);
        if (block?.type === 'text') block.text += event.text;
        break;
      }
      case 'reasoning': {
        const block = byNumber.get(event.block);
        if (block?.type === 'thinking') block.thinking += event.text;
        break;
      }
      case 'signature': {
        const block = byNumber.get(event.block);
        if (block?.type === 'thinking') block.signature = event.signature.value;
        break;
      }
      case 'tool_arguments': {
        const block = byNumber.get(event.block);
        if (block?.type === 'tool_use') block.args += event.delta;
        break;
      }
      case 'finish':
        summary.finish = event.reason;
        if (event.stopSequence !== undefined) summary.stopSequence = event.stopSequence;
        break;
      case 'usage':
        summary.usage = event.usage;
        break;
    }
  }
  for (const block of summary.blocks) {
    if (block.type === 'tool_use' && 'args' in block) {
      block.input = JSON.parse(block.args as string);
      delete block.args;
    }
  }
  return summary;
}

function summaryBlock(event: Extract<StreamEvent, { type: 'block_start' }>): Summary['blocks'][number] & { args?: string } {
  switch (event.kind) {
    case 'text':
      return { type: 'text', text: '' };
    case 'reasoning':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'redacted_reasoning':
      return { type: 'redacted_thinking', data: event.data };
    case 'tool_call':
      return { type: 'tool_use', id: event.id, name: event.name, input: undefined, args: '' };
  }
}

// ---------------------------------------------------------------------------------------
// The oracle: what an Anthropic client reassembles from the recorded bytes. Written against
// the wire format with its own parser, sharing no code with the codec.

const ORACLE_FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
};

interface WireUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number } | null;
}

/** Server tool blocks are not the client's: the oracle leaves them out, as llm-mux does. */
export function summarizeWire(events: Array<{ event?: string; data: string }>): Summary {
  const summary: Summary = { blocks: [] };
  const byIndex = new Map<number, Summary['blocks'][number] & { json?: string }>();
  const usage: WireUsage = {};
  for (const { data } of events) {
    const event = JSON.parse(data) as Record<string, any>;
    if (event.type === 'message_start') Object.assign(usage, event.message.usage);
    if (event.type === 'content_block_start') {
      const block = event.content_block;
      const entry =
        block.type === 'text'
          ? { type: 'text' as const, text: block.text }
          : block.type === 'thinking'
            ? { type: 'thinking' as const, thinking: block.thinking, signature: block.signature }
            : block.type === 'redacted_thinking'
              ? { type: 'redacted_thinking' as const, data: block.data }
              : block.type === 'tool_use'
                ? { type: 'tool_use' as const, id: block.id, name: block.name, input: undefined, json: '' }
                : undefined;
      if (entry) {
        byIndex.set(event.index, entry);
        summary.blocks.push(entry);
      }
    }
    if (event.type === 'content_block_delta') {
      const block = byIndex.get(event.index);
      const delta = event.delta;
      if (block?.type === 'text' && delta.type === 'text_delta') block.text += delta.text;
      if (block?.type === 'thinking' && delta.type === 'thinking_delta') block.thinking += delta.thinking;
      if (block?.type === 'thinking' && delta.type === 'signature_delta') block.signature = delta.signature;
      if (block?.type === 'tool_use' && delta.type === 'input_json_delta') block.json += delta.partial_json;
    }
    if (event.type === 'message_delta') {
      summary.finish = ORACLE_FINISH[event.delta.stop_reason];
      if (event.delta.stop_sequence) summary.stopSequence = event.delta.stop_sequence;
      for (const [key, value] of Object.entries(event.usage as WireUsage)) if (value != null) Object.assign(usage, { [key]: value });
    }
  }
  for (const block of summary.blocks) {
    if (block.type === 'tool_use' && 'json' in block) {
      block.input = JSON.parse((block.json as string) || '{}');
      delete block.json;
    }
  }
  const cached = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  summary.usage = {
    input: (usage.input_tokens ?? 0) + cached + cacheWrite,
    output: usage.output_tokens ?? 0,
    cached,
    cacheWrite,
    reasoning: usage.output_tokens_details?.thinking_tokens ?? 0,
  };
  return summary;
}

/** The official SDK's view of an SSE body: its SSE parser, then MessageStream's accumulation. */
export async function sdkFinalMessage(sse: string): Promise<Message> {
  const response = new Response(sse, { headers: { 'content-type': 'text/event-stream' } });
  const events = Stream.fromSSEResponse(response, new AbortController());
  return MessageStream.fromReadableStream(events.toReadableStream()).finalMessage();
}
