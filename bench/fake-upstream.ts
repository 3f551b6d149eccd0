/**
 * A deliberately cheap fake OpenAI-compatible upstream for benchmarks.
 *
 * Every response byte is precomputed at start-up, so per request the server only
 * drains the request body, looks for `"stream":true` and writes buffers. That keeps
 * the upstream far below the proxy's cost, so a benchmark measures the proxy.
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
  /** Number of content chunks in a streamed answer. */
  chunks: number;
  /** Characters of content per chunk. */
  chunkSize: number;
  /** Pause between streamed chunks; 0 writes them back to back. */
  delayMs?: number;
}

export interface FakeUpstream {
  /** Base URL without a path, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

const MODEL = 'bench-model';
const PROMPT_TOKENS = 5;
// Matches JSON.stringify output and hand-written bodies with spaces alike.
const STREAM_TRUE = /"stream"\s*:\s*true/;

interface Payloads {
  completion: Buffer;
  streamChunks: Buffer[];
  models: Buffer;
}

function chunkText(chunkSize: number): string {
  return 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(chunkSize / 26)).slice(0, chunkSize);
}

/** The assistant message every answer carries, streamed or not. */
export function answerText(chunks: number, chunkSize: number): string {
  return chunkText(chunkSize).repeat(chunks);
}

function buildPayloads(chunks: number, chunkSize: number): Payloads {
  const created = Math.floor(Date.now() / 1000);
  const id = 'chatcmpl-bench';
  const piece = chunkText(chunkSize);
  const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: chunks, total_tokens: PROMPT_TOKENS + chunks };
  const sse = (data: unknown): Buffer => Buffer.from(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (choices: unknown[], extra: object = {}) =>
    sse({ id, object: 'chat.completion.chunk', created, model: MODEL, choices, ...extra });

  const streamChunks: Buffer[] = [];
  for (let i = 0; i < chunks; i++) {
    // Real upstreams announce the role in the first delta only.
    const delta = i === 0 ? { role: 'assistant', content: piece } : { content: piece };
    streamChunks.push(chunk([{ index: 0, delta, finish_reason: null }]));
  }
  streamChunks.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  streamChunks.push(chunk([], { usage }));
  streamChunks.push(Buffer.from('data: [DONE]\n\n'));

  const completion = Buffer.from(
    JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: answerText(chunks, chunkSize) }, finish_reason: 'stop' }],
      usage,
    }),
  );
  const models = Buffer.from(
    JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', created, owned_by: 'bench' }] }),
  );
  return { completion, streamChunks, models };
}

function sendJson(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function streamChunks(res: ServerResponse, chunks: Buffer[], delayMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (delayMs <= 0) {
    for (const chunk of chunks) res.write(chunk);
    res.end();
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

function handler(payloads: Payloads, delayMs: number) {
  const notFound = Buffer.from('{"error":{"message":"not found","type":"invalid_request_error"}}');
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') return sendJson(res, 200, payloads.models);
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      req.resume();
      return sendJson(res, 404, notFound);
    }
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      if (STREAM_TRUE.test(Buffer.concat(parts).toString('latin1'))) streamChunks(res, payloads.streamChunks, delayMs);
      else sendJson(res, 200, payloads.completion);
    });
  };
}

export function startFakeUpstream(options: FakeUpstreamOptions): Promise<FakeUpstream> {
  const payloads = buildPayloads(options.chunks, options.chunkSize);
  const server = createServer(handler(payloads, options.delayMs ?? 0));
  // Outlive the proxy's pooled idle connections so the upstream never races to close them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
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
