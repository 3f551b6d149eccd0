import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface CannedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Written in pieces of `chunkSize` bytes with `delayMs` between them (a live stream). */
  body: Buffer | string;
  chunkSize?: number;
  delayMs?: number;
  /** Break the connection once the body is written, without ending the response (a dropped stream). */
  cutOff?: boolean;
}

export type Responder = (request: RecordedRequest) => CannedResponse | Promise<CannedResponse>;

export interface FakeUpstream {
  url: string;
  requests: RecordedRequest[];
  /** Resolves when the upstream sees the client side of a request close early. */
  aborted: Promise<void>;
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** A loopback HTTP server standing in for a provider: answers with canned bytes, records requests. */
export async function startFakeUpstream(responder: Responder): Promise<FakeUpstream> {
  let current = responder;
  const requests: RecordedRequest[] = [];
  let markAborted!: () => void;
  const aborted = new Promise<void>((resolve) => (markAborted = resolve));
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(request);
    // Listen before the responder runs: a client may leave while it is still pending.
    res.on('close', () => {
      if (!res.writableFinished) markAborted();
    });
    const canned = await current(request);
    res.writeHead(canned.status ?? 200, canned.headers ?? { 'content-type': 'application/json' });
    const body = Buffer.isBuffer(canned.body) ? canned.body : Buffer.from(canned.body);
    const size = canned.chunkSize ?? body.length;
    for (let offset = 0; offset < body.length; offset += size) {
      if (res.destroyed) return;
      res.write(body.subarray(offset, offset + size));
      if (canned.delayMs) await new Promise((resolve) => setTimeout(resolve, canned.delayMs));
    }
    if (canned.cutOff) res.destroy();
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    respond(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
