// Shared by the Responses codec tests: the recorded streams, an oracle computed from the wire
// data alone (no llm-mux code), a fold of canonical events that checks the stream rules, and
// the official openai SDK as the client of whatever the stream encoder writes.
import OpenAI from 'openai';
import type { Response as SDKResponse } from 'openai/resources/responses/responses';
import { expect } from 'vitest';
import type { StreamEvent } from '../../../src/core/response.ts';
import type { TokenUsage } from '../../../src/core/usage.ts';
import { readUpstreamMessages } from '../../../src/protocols/framing.ts';
import { responsesOutbound } from '../../../src/protocols/openai-responses/index.ts';
import { startFakeUpstream } from '../../support/fake-upstream.ts';
import { listFixtures, sseEvents } from '../../support/fixtures.ts';
import { openApiValidator } from '../../support/schemas.ts';

// ---------------------------------------------------------------------------------------
// The recordings: one entry per upstream stream.

export interface RecordedStream {
  name: string;
  body: Buffer;
}

/**
 * Every openai-responses fixture as the streams an upstream sends. The codex recording holds
 * four consecutive responses: it is split on response.created and re-framed.
 */
export function recordedStreams(): RecordedStream[] {
  return listFixtures('openai-responses').flatMap((fixture) => {
    const events = sseEvents(fixture.body);
    const starts = events.flatMap((event, index) => (parse(event.data)?.type === 'response.created' ? [index] : []));
    if (starts.length <= 1) return [{ name: fixture.name, body: fixture.body }];
    return starts.map((start, turn) => ({
      name: `${fixture.name}#${turn + 1}`,
      body: Buffer.from(
        events
          .slice(start, starts[turn + 1])
          .map((event) => `event: ${event.event}\ndata: ${event.data}\n\n`)
          .join(''),
      ),
    }));
  });
}

/** The body in the given pieces (whole when none), through llm-mux's SSE reader and the decoder. */
export async function decodeStream(body: Buffer, cuts: number[] = []): Promise<StreamEvent[]> {
  const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), body.length];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i + 1 < bounds.length; i++) {
        if (bounds[i + 1]! > bounds[i]!) controller.enqueue(new Uint8Array(body.subarray(bounds[i], bounds[i + 1])));
      }
      controller.close();
    },
  });
  const decoder = responsesOutbound.createStreamDecoder();
  const events: StreamEvent[] = [];
  for await (const message of readUpstreamMessages(stream, 'sse')) events.push(...decoder.push(message));
  events.push(...decoder.end());
  return events;
}

// ---------------------------------------------------------------------------------------
// What an answer consists of, written against the wire format and against canonical events.

export type Output =
  | { kind: 'text'; text: string }
  | { kind: 'reasoning'; text: string; encrypted?: { id: string; encrypted_content: string } }
  | { kind: 'tool_call'; id: string; name: string; arguments: unknown };

export interface Transcript {
  output: Output[];
  finish?: string;
  usage?: TokenUsage;
  error?: { message: string; code?: string };
}

interface WireItem {
  type: string;
  id?: string;
  content?: Array<{ type: string; text?: string }>;
  summary?: Array<{ text: string }>;
  encrypted_content?: string | null;
  call_id?: string;
  name?: string;
  arguments?: string;
}

interface WireEvent {
  type: string;
  item?: WireItem;
  output_index?: number;
  response?: { status: string; output: WireItem[]; usage?: Record<string, any>; incomplete_details?: { reason: string } | null; error?: { message: string; code: string } | null };
  error?: { message: string; code: string };
}

function parse(data: string): WireEvent | undefined {
  try {
    return JSON.parse(data) as WireEvent;
  } catch {
    return undefined;
  }
}

/** What a Responses client reads from the finished items: `output_item.done` for each index. */
export function expectedTranscript(body: Buffer): Transcript {
  const events = sseEvents(body).flatMap((event) => parse(event.data) ?? []);
  const failure = events.find((event) => event.type === 'error' || event.type === 'response.failed');
  if (failure) {
    const error = failure.error ?? failure.response!.error!;
    return { output: [], error: { message: error.message, code: error.code } };
  }
  const done = events.filter((event) => event.type === 'response.output_item.done').sort((a, b) => a.output_index! - b.output_index!);
  const final = events.find((event) => event.type === 'response.completed' || event.type === 'response.incomplete')!.response!;
  const output = itemsOutput(done.map((event) => event.item!));
  return { output, finish: finishOf(final.status, final.incomplete_details?.reason, output), usage: usageOf(final.usage!) };
}

/** The same from a whole Response object (a non-streaming body). */
export function expectedFromResponse(response: NonNullable<WireEvent['response']>): Transcript {
  const output = itemsOutput(response.output).filter((entry) => entry.kind !== 'reasoning' || entry.text !== '' || entry.encrypted);
  return { output, finish: finishOf(response.status, response.incomplete_details?.reason, output), usage: usageOf(response.usage!) };
}

/** The response.completed payload of a recorded stream, if it has one. */
export function completedResponse(body: Buffer): NonNullable<WireEvent['response']> | undefined {
  return sseEvents(body)
    .flatMap((event) => parse(event.data) ?? [])
    .find((event) => event.type === 'response.completed')?.response;
}

function itemsOutput(items: WireItem[]): Output[] {
  return items.flatMap((item): Output[] => {
    switch (item.type) {
      case 'message':
        return [{ kind: 'text', text: (item.content ?? []).map((part) => part.text ?? '').join('') }];
      case 'reasoning': {
        const texts = [...(item.summary ?? []), ...(item.content ?? [])].map((part) => part.text ?? '').filter(Boolean);
        const encrypted = item.encrypted_content ? { id: item.id!, encrypted_content: item.encrypted_content } : undefined;
        return [{ kind: 'reasoning', text: texts.join('\n\n'), ...(encrypted ? { encrypted } : {}) }];
      }
      case 'function_call':
        return [{ kind: 'tool_call', id: item.call_id!, name: item.name!, arguments: JSON.parse(item.arguments!) }];
      default:
        return [];
    }
  });
}

function finishOf(status: string, reason: string | undefined, output: Output[]): string {
  if (status === 'incomplete') return reason === 'content_filter' ? 'content_filter' : 'length';
  return output.some((entry) => entry.kind === 'tool_call') ? 'tool_calls' : 'stop';
}

function usageOf(usage: Record<string, any>): TokenUsage {
  const cacheWrite = usage.input_tokens_details?.cache_write_tokens;
  return {
    input: usage.input_tokens,
    output: usage.output_tokens,
    cached: usage.input_tokens_details?.cached_tokens ?? 0,
    reasoning: usage.output_tokens_details?.reasoning_tokens ?? 0,
    ...(cacheWrite ? { cacheWrite } : {}),
  };
}

/**
 * Folds canonical events into a transcript, checking the rules of docs/codecs.md on the way:
 * start first, block_start before a block's deltas, block numbers increasing, every block
 * ended, one finish, nothing after an error.
 */
export function foldEvents(events: StreamEvent[]): Transcript {
  expect(events[0]?.type).toBe('start');
  const blocks = new Map<number, Output & { open: boolean }>();
  const transcript: Transcript = { output: [] };
  let lastBlock = -1;
  let finishes = 0;
  events.slice(1).forEach((event, index) => {
    expect(transcript.error, 'nothing follows an error').toBeUndefined();
    switch (event.type) {
      case 'start':
        throw new Error('a second start event');
      case 'block_start': {
        expect(event.block).toBeGreaterThan(lastBlock);
        lastBlock = event.block;
        const entry: Output =
          event.kind === 'tool_call'
            ? { kind: 'tool_call', id: event.id, name: event.name, arguments: '' }
            : { kind: event.kind === 'text' ? 'text' : 'reasoning', text: '' };
        blocks.set(event.block, { ...entry, open: true });
        break;
      }
      case 'text':
      case 'reasoning':
      case 'tool_arguments': {
        const block = blocks.get(event.block);
        expect(block?.open, `event ${index + 1}: delta for an open block`).toBe(true);
        if (block?.kind === 'tool_call') block.arguments += event.type === 'tool_arguments' ? event.delta : '';
        else if (block) block.text += event.type === 'tool_arguments' ? '' : event.text;
        break;
      }
      case 'signature': {
        const block = blocks.get(event.block);
        expect(event.signature.protocol).toBe('openai-responses');
        if (block?.kind === 'reasoning') block.encrypted = JSON.parse(event.signature.value);
        break;
      }
      case 'block_end':
        expect(blocks.get(event.block)?.open).toBe(true);
        blocks.get(event.block)!.open = false;
        break;
      case 'finish':
        finishes++;
        transcript.finish = event.reason;
        break;
      case 'usage':
        transcript.usage = event.usage;
        break;
      case 'error':
        transcript.error = { message: event.error.message, code: event.error.code };
        break;
      case 'refusal':
        break;
    }
  });
  if (!transcript.error) {
    expect(finishes).toBe(1);
    expect([...blocks.values()].filter((block) => block.open)).toEqual([]);
  }
  transcript.output = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, { open, ...entry }]) => (entry.kind === 'tool_call' ? { ...entry, arguments: JSON.parse(entry.arguments as string) } : entry));
  return transcript;
}

// ---------------------------------------------------------------------------------------
// Checking what the stream encoder writes.

const validateEvent = openApiValidator('openai/openapi.yaml', { relaxRequired: true })('ResponseStreamEvent');

/**
 * Parses encoder output with the independent SSE splitter and validates every event against
 * the published ResponseStreamEvent schema (required fields relaxed, see shared/wire/README).
 * `event:` must name the data's type, sequence numbers must count from 0.
 */
export function checkEncodedStream(text: string): Array<Record<string, any>> {
  const frames = sseEvents(Buffer.from(text));
  return frames.map((frame, index) => {
    const data = JSON.parse(frame.data) as Record<string, any>;
    expect(frame.event).toBe(data.type);
    expect(data.sequence_number).toBe(index);
    if (!validateEvent(schemaView(data))) {
      // Errors of the branches for other event types only say "wrong type": leave them out.
      const relevant = validateEvent.errors?.filter((error) => !error.schemaPath.endsWith('/properties/type/enum'));
      throw new Error(`${data.type} does not match ResponseStreamEvent: ${JSON.stringify(relevant?.slice(0, 5))}`);
    }
    return data;
  });
}

/**
 * The one place our output leaves the published schema on purpose: `response.error.code`
 * carries the upstream's code (e.g. insufficient_quota) as api.openai.com itself does,
 * though the spec's enum lists fewer codes.
 */
function schemaView(data: Record<string, any>): Record<string, any> {
  if (data.type !== 'response.failed' || !data.response?.error) return data;
  return { ...data, response: { ...data.response, error: { ...data.response.error, code: 'server_error' } } };
}

/** Serves `body` as an SSE answer to `POST /v1/responses` and lets the official SDK read it. */
export async function consumeWithSDK(body: string): Promise<{ final: SDKResponse; eventTypes: string[] }> {
  const upstream = await startFakeUpstream(() => ({
    headers: { 'content-type': 'text/event-stream' },
    body,
    chunkSize: 97,
  }));
  try {
    const client = new OpenAI({ baseURL: `${upstream.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = client.responses.stream({ model: 'client-model', input: 'hi' });
    const eventTypes: string[] = [];
    stream.on('event', (event) => eventTypes.push(event.type));
    const final = await stream.finalResponse();
    return { final, eventTypes };
  } finally {
    await upstream.close();
  }
}
