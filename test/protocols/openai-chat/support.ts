// Shared by the OpenAI Chat codec tests: the recorded streams, an oracle that reads the raw
// SSE data lines without any llm-mux code, a fold of canonical events that checks the event
// grammar of docs/codecs.md, and the official openai SDK reading what the encoders write.
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { expect } from 'vitest';
import type { ProxyError } from '../../../src/core/errors.ts';
import type { FinishReason, StreamEvent } from '../../../src/core/response.ts';
import type { TokenUsage } from '../../../src/core/usage.ts';
import type { StreamDecoder } from '../../../src/protocols/codec.ts';
import { chatOutbound } from '../../../src/protocols/openai-chat/index.ts';
import { startFakeUpstream } from '../../support/fake-upstream.ts';
import { listFixtures, sseEvents, type Fixture } from '../../support/fixtures.ts';
import { openApiValidator } from '../../support/schemas.ts';

export const CHAT_FIXTURES = listFixtures('openai-chat');
export const STREAM_FIXTURES = CHAT_FIXTURES.filter((fixture) => fixture.contentType === 'text/event-stream');

export const openaiSchema = openApiValidator('openai/openapi.yaml');

export function fixtureFile(fixture: Fixture): string {
  return fixture.name.split('/')[1]!;
}

export function expectValid(component: string, value: unknown): void {
  const validate = openaiSchema(component);
  expect(validate(value), `${component}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value)}`).toBe(true);
}

// ---------------------------------------------------------------------------------------
// The oracle: the wire format read directly.

export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export interface WireError {
  message?: string;
  code?: unknown;
  status_code?: unknown;
  [key: string]: unknown;
}

interface WireChunk {
  id?: string;
  model?: string;
  created?: number;
  choices?: Array<{
    index: number;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: WireUsage | null;
  error?: WireError;
}

export interface WireCall {
  id: string;
  name: string;
  arguments: string;
}

/** One choice as the wire tells it. */
export interface WireTurn {
  text: string;
  /** DeepSeek's `reasoning_content`, or OpenRouter/Groq's `reasoning`. */
  reasoning: string;
  refusal: string;
  /** In order of first appearance; id and name from the first delta, arguments concatenated. */
  toolCalls: WireCall[];
  /** The kinds of output in arrival order, a run of text or reasoning counting once. */
  blocks: Array<'text' | 'reasoning' | 'tool_call'>;
  /** The first finish_reason (OpenRouter repeats it on a later chunk). */
  finishReason?: string;
}

export interface WireTranscript {
  /** From the first chunk with an id (Azure opens with an empty one). */
  id: string;
  model: string;
  created: number;
  choices: Record<number, WireTurn>;
  /** The last usage reported anywhere, the error chunk included (OpenRouter bills there). */
  usage?: WireUsage;
  /** An OpenRouter error chunk or a Groq `event: error`: the stream ends there. */
  error?: WireError;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function transcriptOf(body: Buffer): WireTranscript {
  const transcript: WireTranscript = { id: '', model: '', created: 0, choices: {} };
  const calls = new Map<string, WireCall>();
  for (const message of sseEvents(body)) {
    if (message.data === '[DONE]') break;
    const chunk = JSON.parse(message.data) as WireChunk;
    if (chunk.usage) transcript.usage = chunk.usage;
    if (message.event === 'error' || chunk.error) {
      transcript.error = chunk.error ?? {};
      break;
    }
    if (!transcript.id && chunk.id) Object.assign(transcript, { id: chunk.id, model: chunk.model ?? '', created: chunk.created ?? 0 });
    for (const choice of chunk.choices ?? []) {
      const turn = (transcript.choices[choice.index] ??= { text: '', reasoning: '', refusal: '', toolCalls: [], blocks: [] });
      const delta = choice.delta ?? {};
      const kind = (next: 'text' | 'reasoning') => {
        if (turn.blocks.at(-1) !== next) turn.blocks.push(next);
      };
      const reasoning = nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning);
      if (reasoning) {
        kind('reasoning');
        turn.reasoning += reasoning;
      }
      const content = nonEmpty(delta.content);
      if (content) {
        kind('text');
        turn.text += content;
      }
      turn.refusal += nonEmpty(delta.refusal) ?? '';
      for (const call of delta.tool_calls ?? []) {
        const key = `${choice.index}:${call.index}`;
        let known = calls.get(key);
        if (!known) {
          known = { id: call.id ?? '', name: call.function?.name ?? '', arguments: '' };
          calls.set(key, known);
          turn.toolCalls.push(known);
          turn.blocks.push('tool_call');
        }
        known.arguments += call.function?.arguments ?? '';
      }
      if (choice.finish_reason && turn.finishReason === undefined) turn.finishReason = choice.finish_reason;
    }
  }
  return transcript;
}

/**
 * The canonical finish a choice must get: the wire's reason in canonical words, `stop` with
 * tool calls read as `tool_calls`; a stream that just ends supplies one, an error does not.
 */
export function expectedFinish(turn: WireTurn, errored: boolean): FinishReason | undefined {
  const calls = turn.toolCalls.length > 0;
  if (turn.finishReason === undefined) return errored ? undefined : calls ? 'tool_calls' : 'stop';
  const known: Record<string, FinishReason> = { length: 'length', tool_calls: 'tool_calls', function_call: 'tool_calls', content_filter: 'content_filter' };
  const reason = known[turn.finishReason] ?? 'stop';
  return reason === 'stop' && calls ? 'tool_calls' : reason;
}

export function expectedUsage(usage: WireUsage): TokenUsage {
  return {
    input: usage.prompt_tokens ?? 0,
    output: usage.completion_tokens ?? 0,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    reasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/** The HTTP status an in-stream error stands for: its numeric `code` or `status_code`, else 502. */
export function expectedErrorStatus(error: WireError): number {
  for (const candidate of [error.code, error.status_code]) {
    if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) return candidate;
  }
  return 502;
}

// ---------------------------------------------------------------------------------------
// Canonical events: decoding, folding, checking.

/** The body's SSE messages (split by the test's own parser) through a fresh decoder, then end(). */
export function decodeStream(body: Buffer, decoder: StreamDecoder = chatOutbound.createStreamDecoder()): StreamEvent[] {
  return [...sseEvents(body).flatMap((message) => decoder.push(message)), ...decoder.end()];
}

export interface ChoiceSummary {
  text: string;
  reasoning: string;
  refusal: string;
  toolCalls: WireCall[];
  blocks: Array<'text' | 'reasoning' | 'redacted_reasoning' | 'tool_call'>;
  finishes: FinishReason[];
}

export interface EventSummary {
  start?: { id: string; model: string; created: number };
  choices: Record<number, ChoiceSummary>;
  usage?: TokenUsage;
  error?: ProxyError;
}

/** Canonical events folded back per choice: what any encoder has to put on the wire. */
export function summarize(events: readonly StreamEvent[]): EventSummary {
  const summary: EventSummary = { choices: {} };
  const calls = new Map<string, WireCall>();
  const choice = (index: number) => (summary.choices[index] ??= { text: '', reasoning: '', refusal: '', toolCalls: [], blocks: [], finishes: [] });
  for (const event of events) {
    switch (event.type) {
      case 'start':
        summary.start = { id: event.id, model: event.model, created: event.created };
        break;
      case 'block_start':
        choice(event.choice).blocks.push(event.kind);
        if (event.kind === 'tool_call') {
          const call = { id: event.id, name: event.name, arguments: '' };
          calls.set(`${event.choice}:${event.block}`, call);
          choice(event.choice).toolCalls.push(call);
        }
        break;
      case 'text':
        choice(event.choice).text += event.text;
        break;
      case 'reasoning':
        choice(event.choice).reasoning += event.text;
        break;
      case 'refusal':
        choice(event.choice).refusal += event.text;
        break;
      case 'tool_arguments':
        calls.get(`${event.choice}:${event.block}`)!.arguments += event.delta;
        break;
      case 'finish':
        choice(event.choice).finishes.push(event.reason);
        break;
      case 'usage':
        summary.usage = event.usage;
        break;
      case 'error':
        summary.error = event.error;
        break;
      default:
        break;
    }
  }
  return summary;
}

/**
 * The event grammar of docs/codecs.md, per choice: start first and once; block numbers
 * increase; a block starts before its deltas and of the delta's kind; every started block
 * ends before its choice finishes; one finish per choice and nothing for it afterwards;
 * nothing after an error.
 */
export function checkEventOrder(events: readonly StreamEvent[]): void {
  if (events[0]?.type !== 'start') throw new Error(`the first event is ${events[0]?.type}, not start`);
  const open = new Map<string, string>();
  const lastBlock = new Map<number, number>();
  const finished = new Set<number>();
  const seen = new Set<number>();
  events.forEach((event, position) => {
    const where = `event ${position} (${JSON.stringify(event)})`;
    if (position > 0 && event.type === 'start') throw new Error(`${where}: a second start`);
    if (event.type === 'error' && position !== events.length - 1) throw new Error(`${where}: events after an error`);
    if (!('choice' in event)) return;
    seen.add(event.choice);
    if (finished.has(event.choice)) throw new Error(`${where}: choice ${event.choice} already finished`);
    const key = 'block' in event ? `${event.choice}:${event.block}` : '';
    switch (event.type) {
      case 'block_start':
        if (event.block <= (lastBlock.get(event.choice) ?? -1)) throw new Error(`${where}: block number does not increase`);
        lastBlock.set(event.choice, event.block);
        open.set(key, event.kind);
        return;
      case 'text':
      case 'reasoning':
      case 'tool_arguments': {
        const kind = { text: 'text', reasoning: 'reasoning', tool_arguments: 'tool_call' }[event.type];
        if (open.get(key) !== kind) throw new Error(`${where}: no open ${kind} block`);
        return;
      }
      case 'signature':
        if (!open.has(key)) throw new Error(`${where}: signature for a block that is not open`);
        return;
      case 'block_end':
        if (!open.delete(key)) throw new Error(`${where}: block_end for a block that is not open`);
        return;
      case 'finish':
        if ([...open.keys()].some((entry) => entry.startsWith(`${event.choice}:`))) throw new Error(`${where}: finish with blocks open`);
        finished.add(event.choice);
        return;
      default:
        return;
    }
  });
  if (events.at(-1)?.type === 'error') return;
  if (open.size > 0) throw new Error(`blocks left open: ${[...open.keys()].join(', ')}`);
  for (const index of seen) if (!finished.has(index)) throw new Error(`choice ${index} never finished`);
}

export { withStableIds } from '../../support/events.ts';

// ---------------------------------------------------------------------------------------
// The official SDK as the client.

/** Serves `body` from a loopback server (every request gets it) and hands `use` an SDK client. */
export async function withOpenAI<T>(
  response: { body: string; status?: number; contentType?: string },
  use: (client: OpenAI) => Promise<T>,
): Promise<T> {
  const upstream = await startFakeUpstream(() => ({
    status: response.status ?? 200,
    headers: { 'content-type': response.contentType ?? 'text/event-stream; charset=utf-8' },
    body: response.body,
    // Small pieces, so the SDK's own SSE splitting is exercised too.
    chunkSize: 61,
  }));
  try {
    return await use(new OpenAI({ baseURL: `${upstream.url}/v1`, apiKey: 'x', maxRetries: 0 }));
  } finally {
    await upstream.close();
  }
}

export interface SdkTurn {
  content: string;
  reasoning: string;
  refusal: string;
  toolCalls: WireCall[];
  finishReason: string | null;
}

export interface SdkStream {
  chunks: ChatCompletionChunk[];
  choices: Record<number, SdkTurn>;
  usage?: ChatCompletionChunk['usage'];
  error?: unknown;
}

/** `chat.completions.create({stream: true})` drained and reassembled as SDK users do it. */
export async function readChatStream(body: string, model: string): Promise<SdkStream> {
  return withOpenAI({ body }, async (client) => {
    const result: SdkStream = { chunks: [], choices: {} };
    const calls = new Map<string, WireCall>();
    try {
      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const chunk of stream) {
        result.chunks.push(chunk);
        if (chunk.usage) result.usage = chunk.usage;
        for (const choice of chunk.choices) {
          const turn = (result.choices[choice.index] ??= { content: '', reasoning: '', refusal: '', toolCalls: [], finishReason: null });
          turn.content += choice.delta.content ?? '';
          turn.reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? '';
          turn.refusal += choice.delta.refusal ?? '';
          for (const call of choice.delta.tool_calls ?? []) {
            const key = `${choice.index}:${call.index}`;
            let known = calls.get(key);
            if (!known) {
              known = { id: call.id ?? '', name: call.function?.name ?? '', arguments: '' };
              calls.set(key, known);
              turn.toolCalls.push(known);
            }
            known.arguments += call.function?.arguments ?? '';
          }
          if (choice.finish_reason) turn.finishReason = choice.finish_reason;
        }
      }
    } catch (error) {
      result.error = error;
    }
    return result;
  });
}

/** The SSE events of an encoder's output, parsed; `[DONE]` left as the string. */
export function sseData(body: string): unknown[] {
  return sseEvents(Buffer.from(body)).map((message) => (message.data === '[DONE]' ? '[DONE]' : (JSON.parse(message.data) as unknown)));
}
