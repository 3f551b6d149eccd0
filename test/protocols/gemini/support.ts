import { GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import type { StreamEvent } from '../../../src/core/response.ts';
import { readUpstreamMessages } from '../../../src/protocols/framing.ts';
import { createGeminiStreamDecoder, type GeminiStreamDecoderOptions } from '../../../src/protocols/gemini/index.ts';
import { startFakeUpstream } from '../../support/fake-upstream.ts';
import { sseEvents, type Fixture } from '../../support/fixtures.ts';

/** A body delivered in the given pieces, as a network would. */
export function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** An SSE body through llm-mux's own framing and the Gemini stream decoder. */
export async function decodeSse(chunks: Uint8Array[], options?: GeminiStreamDecoderOptions): Promise<StreamEvent[]> {
  const decoder = createGeminiStreamDecoder(options);
  const events: StreamEvent[] = [];
  for await (const message of readUpstreamMessages(streamOf(chunks), 'sse')) events.push(...decoder.push(message));
  events.push(...decoder.end());
  return events;
}

/** The part of a GenerateContentResponse a client reads: plain JSON and SDK objects both fit. */
export interface WireResponse {
  candidates?: Array<{
    index?: number;
    content?: { parts?: Array<{ text?: string; thought?: boolean; thoughtSignature?: string; functionCall?: { id?: string; name?: string; args?: Record<string, unknown> } }> };
    finishReason?: string;
  }>;
  usageMetadata?: object;
  responseId?: string;
  modelVersion?: string;
}

/** The GenerateContentResponse elements of a fixture, parsed independently of llm-mux. */
export function fixtureElements(fixture: Fixture): WireResponse[] {
  if (fixture.contentType === 'text/event-stream') return sseEvents(fixture.body).map((event) => JSON.parse(event.data) as WireResponse);
  const json = JSON.parse(fixture.body.toString('utf8')) as unknown;
  return (Array.isArray(json) ? json : [json]) as WireResponse[];
}

/** Any fixture's events: SSE through the framing, JSON (array) elements pushed one by one. */
export async function decodeFixture(fixture: Fixture): Promise<StreamEvent[]> {
  if (fixture.contentType === 'text/event-stream') return decodeSse([fixture.body]);
  const decoder = createGeminiStreamDecoder();
  return [...fixtureElements(fixture).flatMap((element) => decoder.pushChunk(element)), ...decoder.end()];
}

/** Random ids and clock readings replaced, so two decodings of one body compare equal. */
export function normalize(events: StreamEvent[]): unknown[] {
  const ids = new Map<string, string>();
  return events.map((event) => {
    if (event.type === 'start') return { ...event, created: 0 };
    if (event.type === 'block_start' && event.kind === 'tool_call') {
      if (!ids.has(event.id)) ids.set(event.id, `id${ids.size}`);
      return { ...event, id: ids.get(event.id) };
    }
    return event;
  });
}

/** Structural rules every decoder follows (docs/codecs.md). */
export function checkEventRules(events: StreamEvent[]): void {
  const errorAt = events.findIndex((event) => event.type === 'error');
  if (errorAt >= 0) {
    if (errorAt !== events.length - 1) throw new Error('events follow an error');
    return;
  }
  if (events[0]?.type !== 'start') throw new Error('the first event is not start');
  const open = new Map<string, boolean>();
  const finished = new Set<number>();
  const last = new Map<number, number>();
  for (const event of events.slice(1)) {
    if (event.type === 'start') throw new Error('a second start');
    if (!('choice' in event)) continue;
    if (finished.has(event.choice)) throw new Error(`choice ${event.choice} continues after its finish`);
    if (event.type === 'finish') {
      finished.add(event.choice);
      continue;
    }
    if (!('block' in event)) continue;
    const key = `${event.choice}/${event.block}`;
    if (event.type === 'block_start') {
      if (open.has(key)) throw new Error(`block ${key} started twice`);
      if (event.block <= (last.get(event.choice) ?? -1)) throw new Error(`block ${key} does not increase`);
      last.set(event.choice, event.block);
      open.set(key, true);
    } else if (event.type === 'block_end') {
      if (open.get(key) !== true) throw new Error(`block ${key} ended without being open`);
      open.set(key, false);
    } else if (event.type !== 'signature' && open.get(key) !== true) {
      throw new Error(`${event.type} for block ${key}, which is not open`);
    }
  }
  for (const [key, isOpen] of open) if (isOpen) throw new Error(`block ${key} never ended`);
}

/** What a Gemini client makes of one candidate, collected from the parts it received. */
export interface ClientView {
  text: string;
  thoughts: string;
  calls: Array<{ id?: string; name?: string; args?: Record<string, unknown> }>;
  /** Every thoughtSignature, in order, with what kind of part carried it. */
  signatures: Array<{ on: 'thought' | 'text' | 'functionCall'; value: string }>;
  finishReason?: string;
  usage?: Record<string, unknown>;
}

/** Folds GenerateContentResponse elements (SDK objects or plain JSON) into a ClientView of candidate 0. */
export function viewOf(responses: WireResponse[]): ClientView {
  const view: ClientView = { text: '', thoughts: '', calls: [], signatures: [] };
  for (const response of responses) {
    const candidate = response.candidates?.find((entry) => (entry.index ?? 0) === 0);
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall) view.calls.push({ ...part.functionCall });
      else if (part.thought) view.thoughts += part.text ?? '';
      else view.text += part.text ?? '';
      if (part.thoughtSignature !== undefined) {
        view.signatures.push({ on: part.functionCall ? 'functionCall' : part.thought ? 'thought' : 'text', value: part.thoughtSignature });
      }
    }
    if (candidate?.finishReason) view.finishReason = candidate.finishReason;
    if (response.usageMetadata) view.usage = { ...response.usageMetadata } as Record<string, unknown>;
  }
  return view;
}

/** Serves `body` from a loopback server and lets the official SDK read it. */
export async function withSdk<T>(body: string, contentType: string, use: (client: GoogleGenAI) => Promise<T>, status = 200): Promise<T> {
  const upstream = await startFakeUpstream(() => ({ status, headers: { 'content-type': contentType }, body }));
  try {
    return await use(new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: upstream.url } }));
  } finally {
    await upstream.close();
  }
}

/** The chunks the SDK yields for an SSE body, or the error it throws after the ones before. */
export async function sdkStream(body: string): Promise<{ chunks: GenerateContentResponse[]; error?: unknown }> {
  return withSdk(body, 'text/event-stream', async (client) => {
    const chunks: GenerateContentResponse[] = [];
    try {
      for await (const chunk of await client.models.generateContentStream({ model: 'gemini-test', contents: 'hi' })) chunks.push(chunk);
    } catch (error) {
      return { chunks, error };
    }
    return { chunks };
  });
}
