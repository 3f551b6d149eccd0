/**
 * A deliberately cheap fake upstream for benchmarks, speaking four protocols:
 *
 *   POST …/chat/completions                         OpenAI Chat Completions
 *   POST …/responses                                OpenAI Responses (typed SSE)
 *   POST …/messages                                 Anthropic Messages
 *   POST …/models/{model}:streamGenerateContent?alt=sse, …/models/{model}:generateContent   Gemini
 *   GET  /v1/models                                 the model list (OpenAI shape)
 *
 * Only the end of the path counts, so any base URL prefix works. Every answer is the same
 * text, `chunks` pieces of `chunkSize` characters, streamed when the request asks for it
 * (`"stream":true` in the body; for Gemini the method in the URL).
 *
 * A model name ending in `-c<chunks>`, optionally followed by `-s<chunkSize>` and
 * `-d<delayMs>` (e.g. `anthropic-c500`, `bench-model-c120-d100`), picks the chunk count,
 * size and pause between streamed events for that request; any other model gets the
 * command-line defaults. Response bytes are built once per (protocol, chunks, chunk size) and cached, so
 * per request the server only drains the body, finds the model and the stream flag with a
 * regular expression and writes buffers on a keep-alive connection. A stream goes out at
 * once, each event framed as an HTTP chunk of its own (or one write per event,
 * `--delay-ms` apart). That keeps the upstream well below the proxy's cost (about 25–150 µs
 * per request, 500 chunks included, depending on how busy the machine is), so a benchmark
 * measures the proxy.
 *
 *   npx tsx bench/fake-upstream.ts [--port 0] [--chunks 20] [--chunk-size 8] [--delay-ms 0]
 *
 * prints its base URL (`http://127.0.0.1:<port>`) on stdout and serves until killed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface FakeUpstreamOptions {
  /** 0 or undefined picks a free port. */
  port?: number;
  /** Number of content chunks in a streamed answer, unless the model name says otherwise. */
  chunks: number;
  /** Characters of content per chunk, unless the model name says otherwise. */
  chunkSize: number;
  /** Pause between streamed chunks; 0 writes them back to back. */
  delayMs?: number;
}

export interface FakeUpstream {
  /** Base URL without a path, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

export type UpstreamProtocol = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';
export const UPSTREAM_PROTOCOLS: readonly UpstreamProtocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'gemini'];

/** The model name every answer reports, whatever was asked for. */
const MODEL = 'bench-model';
/** Input tokens every answer reports; output tokens equal the chunk count. */
export const PROMPT_TOKENS = 5;
/** Bounds on what a model name may ask for, so a typo cannot make the fake build gigabytes. */
const MAX_CHUNKS = 100_000;
const MAX_CHUNK_SIZE = 65_536;
const MAX_CACHED_SHAPES = 64;
/** A trickled stream is bounded too: at most this pause between events. */
const MAX_DELAY_MS = 10_000;
// Matches JSON.stringify output and hand-written bodies with spaces alike.
const STREAM_TRUE = /"stream"\s*:\s*true/;
const MODEL_FIELD = /"model"\s*:\s*"([^"]*)"/;
const MODEL_SHAPE = /-c(\d+)(?:-s(\d+))?(?:-d(\d+))?$/;
const GEMINI_PATH = /\/models\/([^/]+):(streamGenerateContent|generateContent)$/;

/** One protocol's answer for one (chunks, chunk size): the whole JSON body and the stream, one buffer per event. */
interface Payload {
  json: Buffer;
  stream: Buffer[];
  /** The stream as an HTTP/1.1 chunked body, one chunk per event, with the final empty chunk. */
  chunked: Buffer;
  /** The stream's content type. */
  streamType: string;
}

/** What a protocol's builder makes; the chunked body is derived from the events. */
type Built = Omit<Payload, 'chunked'>;

/** Exactly what Node's http writes for one `res.write` per event and `res.end()`. */
function chunkedBody(events: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const event of events) {
    if (event.length > 0) parts.push(Buffer.from(`${event.length.toString(16)}\r\n`), event, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

interface Shape {
  chunks: number;
  chunkSize: number;
}

function chunkText(chunkSize: number): string {
  return 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(chunkSize / 26)).slice(0, chunkSize);
}

/** The assistant message every answer carries, streamed or not. */
export function answerText(chunks: number, chunkSize: number): string {
  return chunkText(chunkSize).repeat(chunks);
}

/**
 * The model name that makes the fake answer `chunks` chunks (of the default size, or
 * `chunkSize`), streamed `delayMs` apart when given.
 */
export function modelFor(prefix: string, chunks: number, chunkSize?: number, delayMs?: number): string {
  return `${prefix}-c${chunks}${chunkSize === undefined ? '' : `-s${chunkSize}`}${delayMs === undefined ? '' : `-d${delayMs}`}`;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
/** An unnamed SSE event, as OpenAI Chat sends them. */
const dataEvent = (value: unknown): Buffer => Buffer.from(`data: ${JSON.stringify(value)}\n\n`);
/** A named SSE event whose name repeats the payload's `type`, as Anthropic and Responses send them. */
const typedEvent = (value: { type: string; [field: string]: unknown }): Buffer => Buffer.from(`event: ${value.type}\ndata: ${JSON.stringify(value)}\n\n`);

function openAIChat({ chunks, chunkSize }: Shape, created: number): Built {
  const id = 'chatcmpl-bench';
  const piece = chunkText(chunkSize);
  const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: chunks, total_tokens: PROMPT_TOKENS + chunks };
  const chunk = (choices: unknown[], extra: object = {}) =>
    dataEvent({ id, object: 'chat.completion.chunk', created, model: MODEL, choices, ...extra });

  const stream: Buffer[] = [];
  for (let i = 0; i < chunks; i++) {
    // Real upstreams announce the role in the first delta only.
    const delta = i === 0 ? { role: 'assistant', content: piece } : { content: piece };
    stream.push(chunk([{ index: 0, delta, finish_reason: null }]));
  }
  stream.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  stream.push(chunk([], { usage }));
  stream.push(Buffer.from('data: [DONE]\n\n'));

  const body = json({
    id,
    object: 'chat.completion',
    created,
    model: MODEL,
    choices: [
      { index: 0, message: { role: 'assistant', content: answerText(chunks, chunkSize), refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage,
  });
  return { json: body, stream, streamType: 'text/event-stream' };
}

/** Anthropic Messages: message_start, one text block streamed in text_deltas, message_delta with the usage, message_stop. */
function anthropic({ chunks, chunkSize }: Shape): Built {
  const id = 'msg_bench';
  const piece = chunkText(chunkSize);
  const message = { id, type: 'message', role: 'assistant', model: MODEL };
  const stream: Buffer[] = [
    typedEvent({
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: PROMPT_TOKENS, output_tokens: 1 } },
    }),
    typedEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ];
  for (let i = 0; i < chunks; i++) {
    stream.push(typedEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }));
  }
  stream.push(
    typedEvent({ type: 'content_block_stop', index: 0 }),
    typedEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: chunks } }),
    typedEvent({ type: 'message_stop' }),
  );
  const body = json({
    ...message,
    content: [{ type: 'text', text: answerText(chunks, chunkSize) }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: PROMPT_TOKENS, output_tokens: chunks },
  });
  return { json: body, stream, streamType: 'text/event-stream; charset=utf-8' };
}

/**
 * Gemini (alt=sse): one GenerateContentResponse per chunk, each with a text part; the last
 * also carries finishReason STOP and usageMetadata. Google ends SSE events with CRLF CRLF.
 */
function gemini({ chunks, chunkSize }: Shape, created: number): Built {
  const piece = chunkText(chunkSize);
  const common = { modelVersion: MODEL, responseId: 'bench-response' };
  const usageMetadata = { promptTokenCount: PROMPT_TOKENS, candidatesTokenCount: chunks, totalTokenCount: PROMPT_TOKENS + chunks };
  const element = (text: string, last: boolean) => ({
    candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
    ...(last ? { usageMetadata } : {}),
    ...common,
  });
  const sse = (value: unknown): Buffer => Buffer.from(`data: ${JSON.stringify(value)}\r\n\r\n`);
  const stream: Buffer[] = [];
  // With no chunks at all, Google still ends with one element: an empty text part and the finish.
  for (let i = 0; i < Math.max(1, chunks); i++) stream.push(sse(element(chunks === 0 ? '' : piece, i === Math.max(1, chunks) - 1)));
  return { json: json(element(answerText(chunks, chunkSize), true)), stream, streamType: 'text/event-stream' };
}

/**
 * OpenAI Responses: response.created, the message item and its output_text part announced,
 * the text in output_text.delta events, everything closed again (each `.done` repeating
 * the full text, as OpenAI does), and response.completed with the usage.
 */
function openAIResponses({ chunks, chunkSize }: Shape, created: number): Built {
  const piece = chunkText(chunkSize);
  const full = answerText(chunks, chunkSize);
  const itemId = 'msg_bench';
  const base = {
    id: 'resp_bench',
    object: 'response',
    created_at: created,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: MODEL,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    metadata: {},
  };
  const part = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });
  const item = (status: string, content: unknown[]) => ({ id: itemId, type: 'message', status, content, role: 'assistant' });
  const done = item('completed', [part(full)]);
  const completed = {
    ...base,
    status: 'completed',
    output: [done],
    usage: {
      input_tokens: PROMPT_TOKENS,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: chunks,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: PROMPT_TOKENS + chunks,
    },
  };
  let sequence = 0;
  const event = (type: string, fields: object): Buffer => typedEvent({ type, sequence_number: sequence++, ...fields });
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const stream: Buffer[] = [
    event('response.created', { response: { ...base, status: 'in_progress', output: [] } }),
    event('response.output_item.added', { output_index: 0, item: item('in_progress', []) }),
    event('response.content_part.added', { ...at, part: part('') }),
  ];
  for (let i = 0; i < chunks; i++) stream.push(event('response.output_text.delta', { ...at, delta: piece, logprobs: [] }));
  stream.push(
    event('response.output_text.done', { ...at, text: full, logprobs: [] }),
    event('response.content_part.done', { ...at, part: part(full) }),
    event('response.output_item.done', { output_index: 0, item: done }),
    event('response.completed', { response: completed }),
  );
  return { json: json(completed), stream, streamType: 'text/event-stream; charset=utf-8' };
}

const BUILDERS: Record<UpstreamProtocol, (shape: Shape, created: number) => Built> = {
  'openai-chat': openAIChat,
  'openai-responses': openAIResponses,
  anthropic,
  gemini,
};

/** A protocol's streamed answer as its body's bytes, what a client reads (for benchmarks without a socket). */
export function streamedAnswer(protocol: UpstreamProtocol, chunks: number, chunkSize: number): Buffer {
  return Buffer.concat(BUILDERS[protocol]({ chunks, chunkSize }, Math.floor(Date.now() / 1000)).stream);
}

/** Builds each (protocol, chunks, chunk size) once; the cache is bounded by the distinct shapes asked for. */
class Payloads {
  private readonly cache = new Map<string, Payload>();
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly defaults: Shape,
    private readonly defaultDelayMs: number,
  ) {
    for (const protocol of UPSTREAM_PROTOCOLS) this.get(protocol, defaults);
  }

  get(protocol: UpstreamProtocol, shape: Shape): Payload {
    const key = `${protocol}/${shape.chunks}/${shape.chunkSize}`;
    let payload = this.cache.get(key);
    if (!payload) {
      if (this.cache.size >= MAX_CACHED_SHAPES) this.cache.clear();
      const built = BUILDERS[protocol](shape, this.created);
      payload = { ...built, chunked: chunkedBody(built.stream) };
      this.cache.set(key, payload);
    }
    return payload;
  }

  /**
   * The shape and pause a model name asks for, the defaults for what it names not,
   * undefined when out of bounds.
   */
  shapeOf(model: string | undefined): { shape: Shape; delayMs: number } | undefined {
    const match = model === undefined ? null : MODEL_SHAPE.exec(model);
    if (!match) return { shape: this.defaults, delayMs: this.defaultDelayMs };
    const chunks = Number(match[1]);
    const chunkSize = match[2] === undefined ? this.defaults.chunkSize : Number(match[2]);
    const delayMs = match[3] === undefined ? this.defaultDelayMs : Number(match[3]);
    if (chunks > MAX_CHUNKS || chunkSize > MAX_CHUNK_SIZE || delayMs > MAX_DELAY_MS) return undefined;
    return { shape: { chunks, chunkSize }, delayMs };
  }
}

function sendJson(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function streamChunks(res: ServerResponse, payload: Payload, delayMs: number): void {
  const chunks = payload.stream;
  // No content-length: Node sends `transfer-encoding: chunked` and keeps the connection alive.
  res.writeHead(200, { 'content-type': payload.streamType, 'cache-control': 'no-cache' });
  if (delayMs <= 0) {
    // Node corks the socket for the rest of the tick on a response's first write, so one
    // write per event in a loop goes out as one writev of the events, each framed as a
    // chunk of its own. The same bytes, framed here once, cost one write instead of one
    // per event (each four internal sends): at 500 chunks that is most of the fake's CPU.
    res.chunkedEncoding = false;
    res.end(payload.chunked);
    return;
  }
  let next = 0;
  const tick = (): void => {
    if (res.destroyed) return;
    res.write(chunks[next++]);
    if (next === chunks.length) res.end();
    else setTimeout(tick, delayMs);
  };
  tick();
}

/** Which protocol a POST path belongs to; Gemini also names the model and the streaming mode. */
function classify(path: string): { protocol: UpstreamProtocol; model?: string; stream?: boolean } | undefined {
  if (path.endsWith('/chat/completions')) return { protocol: 'openai-chat' };
  if (path.endsWith('/responses')) return { protocol: 'openai-responses' };
  if (path.endsWith('/messages')) return { protocol: 'anthropic' };
  const gemini = GEMINI_PATH.exec(path);
  if (gemini) return { protocol: 'gemini', model: decodeURIComponent(gemini[1]!), stream: gemini[2] === 'streamGenerateContent' };
  return undefined;
}

function handler(payloads: Payloads) {
  const errorBody = (message: string) => Buffer.from(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
  const notFound = errorBody('not found');
  const models = json({ object: 'list', data: [{ id: MODEL, object: 'model', created: 0, owned_by: 'bench' }] });
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (req.method === 'GET' && path === '/v1/models') return sendJson(res, 200, models);
    const route = req.method === 'POST' ? classify(path) : undefined;
    if (!route) {
      req.resume();
      return sendJson(res, 404, notFound);
    }
    // Google streams one JSON array without alt=sse; nothing here asks for that.
    if (route.stream && (query < 0 || !url.slice(query).includes('alt=sse'))) {
      req.resume();
      return sendJson(res, 400, errorBody('this fake streams Gemini only with alt=sse'));
    }
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const body = parts.length === 1 ? parts[0]!.toString('latin1') : Buffer.concat(parts).toString('latin1');
      const asked = payloads.shapeOf(route.model ?? MODEL_FIELD.exec(body)?.[1]);
      if (!asked) {
        return sendJson(res, 400, errorBody(`at most ${MAX_CHUNKS} chunks of ${MAX_CHUNK_SIZE} characters, ${MAX_DELAY_MS} ms apart`));
      }
      const payload = payloads.get(route.protocol, asked.shape);
      if (route.stream ?? STREAM_TRUE.test(body)) streamChunks(res, payload, asked.delayMs);
      else sendJson(res, 200, payload.json);
    });
  };
}

export function startFakeUpstream(options: FakeUpstreamOptions): Promise<FakeUpstream> {
  const payloads = new Payloads({ chunks: options.chunks, chunkSize: options.chunkSize }, options.delayMs ?? 0);
  const server = createServer(handler(payloads));
  // Outlive the proxy's pooled idle connections so the upstream never races to close them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // A thousand trickled streams open their connections within a second.
  const backlog = 4096;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', backlog, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

function nonNegativeInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      chunks: { type: 'string', default: '20' },
      'chunk-size': { type: 'string', default: '8' },
      'delay-ms': { type: 'string', default: '0' },
    },
  });
  const upstream = await startFakeUpstream({
    port: nonNegativeInt('port', values.port),
    chunks: nonNegativeInt('chunks', values.chunks),
    chunkSize: nonNegativeInt('chunk-size', values['chunk-size']),
    delayMs: nonNegativeInt('delay-ms', values['delay-ms']),
  });
  // The first stdout line is the contract with bench/run.ts: it reads the URL from it.
  process.stdout.write(`${upstream.url}\n`);
  const stop = (): void => void upstream.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
