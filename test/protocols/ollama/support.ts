// Helpers shared by the Ollama codec tests: an oracle computed from the recorded wire
// lines (independent of the codec), a reassembler of canonical events, and a loopback
// server so the official `ollama` client can read what the encoder writes.
import { Ollama } from 'ollama';
import type { StreamEvent } from '../../../src/core/response.ts';
import type { StreamDecoder } from '../../../src/protocols/codec.ts';
import { ollamaOutbound } from '../../../src/protocols/ollama/index.ts';
import { startFakeUpstream } from '../../support/fake-upstream.ts';
import { listFixtures, type Fixture } from '../../support/fixtures.ts';
import { openApiValidator } from '../../support/schemas.ts';

export const OLLAMA_FIXTURES = listFixtures('ollama');
export const STREAM_FIXTURES = OLLAMA_FIXTURES.filter((fixture) => fixture.name.endsWith('.ndjson'));
/**
 * The HTTP status a recording was answered with. Read from the name here: `loadFixture`
 * only sees `error-NNN-` at the start of a file name, and Ollama's are `api-chat-error-NNN-…`.
 */
export function recordedStatus(fixture: Fixture): number {
  return Number(/error-(\d{3})-/.exec(fixture.name)?.[1] ?? 200);
}
/** Non-streamed answers (the error body aside). */
export const ANSWER_FIXTURES = OLLAMA_FIXTURES.filter((fixture) => fixture.name.endsWith('.json') && recordedStatus(fixture) === 200);

export const ollamaSchema = openApiValidator('ollama/openapi.yaml');

/** The JSON objects of an NDJSON body (or the one object of a JSON body), parsed independently of llm-mux. */
export function wireLines(body: Buffer | string): WireLine[] {
  return body
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as WireLine);
}

export interface WireLine {
  model?: string;
  message?: { content?: string; thinking?: string; tool_calls?: Array<{ id?: string; function: { name: string; arguments?: Record<string, unknown> } }> };
  response?: string;
  thinking?: string;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

/** What a client makes of an answer: all its text, thinking and tool calls, and how it ended. */
export interface Transcript {
  text: string;
  thinking: string;
  toolCalls: Array<{ id?: string; name: string; arguments: Record<string, unknown> }>;
  doneReason?: string;
  promptEvalCount?: number;
  evalCount?: number;
  error?: string;
}

/** The oracle: folds wire lines of either endpoint, as an Ollama client would. */
export function transcriptOf(lines: readonly WireLine[]): Transcript {
  const transcript: Transcript = { text: '', thinking: '', toolCalls: [] };
  for (const line of lines) {
    if (line.error !== undefined) {
      transcript.error = line.error;
      break;
    }
    transcript.text += line.message?.content ?? line.response ?? '';
    transcript.thinking += line.message?.thinking ?? line.thinking ?? '';
    for (const call of line.message?.tool_calls ?? []) {
      transcript.toolCalls.push({ ...(call.id ? { id: call.id } : {}), name: call.function.name, arguments: call.function.arguments ?? {} });
    }
    if (line.done) {
      transcript.doneReason = line.done_reason;
      transcript.promptEvalCount = line.prompt_eval_count;
      transcript.evalCount = line.eval_count;
    }
  }
  return transcript;
}

/** Canonical events folded back: what any encoder has to put on the wire. */
export interface EventSummary {
  text: string;
  reasoning: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finish?: string;
  usage?: { input: number; output: number };
  error?: string;
}

export function summarize(events: readonly StreamEvent[]): EventSummary {
  const summary: EventSummary = { text: '', reasoning: '', toolCalls: [] };
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for (const event of events) {
    if (event.type === 'text') summary.text += event.text;
    if (event.type === 'reasoning') summary.reasoning += event.text;
    if (event.type === 'block_start' && event.kind === 'tool_call') {
      const call = { id: event.id, name: event.name, arguments: '' };
      calls.set(event.block, call);
      summary.toolCalls.push(call);
    }
    if (event.type === 'tool_arguments') calls.get(event.block)!.arguments += event.delta;
    if (event.type === 'finish') summary.finish = event.reason;
    if (event.type === 'usage') summary.usage = { input: event.usage.input, output: event.usage.output };
    if (event.type === 'error') summary.error = event.error.message;
  }
  return summary;
}

/** Every line of a body through a fresh decoder, then end(). */
export function decodeStream(body: Buffer | string, decoder: StreamDecoder = ollamaOutbound.createStreamDecoder()): StreamEvent[] {
  const lines = body
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '');
  return [...lines.flatMap((data) => decoder.push({ data })), ...decoder.end()];
}

/**
 * Checks the event grammar of docs/codecs.md: start first, block_start before a block's
 * deltas, every started block ended, block numbers increasing, one finish, nothing after
 * an error.
 */
export function checkEventOrder(events: readonly StreamEvent[]): void {
  if (events[0]?.type !== 'start') throw new Error('the first event is not start');
  const open = new Set<number>();
  let lastBlock = -1;
  let finishes = 0;
  events.forEach((event, index) => {
    if (index > 0 && event.type === 'start') throw new Error('a second start');
    if (event.type === 'error' && index !== events.length - 1) throw new Error('events after an error');
    if (event.type === 'block_start') {
      if (event.block <= lastBlock) throw new Error(`block ${event.block} does not increase`);
      lastBlock = event.block;
      open.add(event.block);
    }
    if ((event.type === 'text' || event.type === 'reasoning' || event.type === 'tool_arguments') && !open.has(event.block)) {
      throw new Error(`delta for block ${event.block}, which is not open`);
    }
    if (event.type === 'block_end' && !open.delete(event.block)) throw new Error(`block_end for block ${event.block}, which is not open`);
    if (event.type === 'finish') finishes += 1;
  });
  if (events.at(-1)?.type === 'error') return;
  if (open.size > 0) throw new Error(`blocks left open: ${[...open].join(', ')}`);
  if (finishes !== 1) throw new Error(`${finishes} finish events`);
}

export { withStableIds } from '../../support/events.ts';

/**
 * Serves `body` from a loopback server and hands the official client pointed at it to `use`.
 * The server answers every request with the same bytes.
 */
export async function withOllamaClient<T>(
  response: { body: string; status?: number; contentType?: string },
  use: (client: Ollama) => Promise<T>,
): Promise<T> {
  const upstream = await startFakeUpstream(() => ({
    status: response.status ?? 200,
    headers: { 'content-type': response.contentType ?? 'application/x-ndjson' },
    body: response.body,
    // Small pieces, so the client's own line splitting is exercised too.
    chunkSize: 7,
  }));
  try {
    return await use(new Ollama({ host: upstream.url }));
  } finally {
    await upstream.close();
  }
}

export function fixtureFile(fixture: Fixture): string {
  return fixture.name.split('/')[1]!;
}
