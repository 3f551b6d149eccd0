import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { UpstreamFetch, UpstreamInit } from '../../src/providers/http.ts';
import { createLoopbackFetch } from '../../src/providers/loopback-http.ts';
import { cleanupAfterEach } from '../support/cleanups.ts';
import { recordingFetch } from '../support/recording-fetch.ts';
import { unusedPort } from '../support/ports.ts';

const onCleanup = cleanupAfterEach();

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'héllo' }] });
const ANSWER = JSON.stringify({ id: 'x', choices: [{ message: { content: 'ünïcode ✓' } }] });

/** One request as the upstream read it off the wire. */
interface WireRequest {
  head: string;
  body: string;
  socket: Socket;
  /** Which connection (0, 1, …) it came on. */
  connection: number;
}

type Answer = (request: WireRequest, index: number) => void | Promise<void>;

/**
 * An upstream at the TCP level, so a test says exactly which bytes go back: it parses each
 * request (head and Content-Length body) and hands it to `answer`.
 */
async function rawUpstream(answer: Answer) {
  const requests: WireRequest[] = [];
  const sockets: Socket[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    const connection = connections++;
    sockets.push(socket);
    let buffered = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = { head, body: buffered.toString('utf8', end + 4, end + 4 + length), socket, connection };
        buffered = buffered.subarray(end + 4 + length);
        requests.push(request);
        void answer(request, requests.length - 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/v1/chat/completions`, requests, connections: () => connections };
}

function ok(body = ANSWER, extra = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

/** The runtime's fetch, which the client under test hands what it leaves alone. */
function recordingFallback() {
  return recordingFetch('from the fallback');
}

function post(fetch: UpstreamFetch, url: string, init: Partial<UpstreamInit> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-up' }, body: BODY, wholeAnswer: true, ...init });
}

describe('loopback HTTP client', () => {
  it('writes the request as HTTP/1.1 and reads a Content-Length answer', async () => {
    const extra = 'X-RateLimit-Remaining: \t7 \r\nset-cookie: a=1\r\nset-cookie: b=2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n';
    const upstream = await rawUpstream(({ socket }) => void socket.write(ok(ANSWER, extra)));
    const fallback = recordingFallback();
    const response = await post(createLoopbackFetch(fallback.fetch), `${upstream.url}?alt=x`);

    expect(response.status).toBe(200);
    expect(response.statusText).toBe('OK');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(ANSWER)));
    expect(response.headers.get('x-ratelimit-remaining')).toBe('7');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    // Hop-by-hop headers described the socket, not the answer.
    expect(response.headers.get('connection')).toBeNull();
    expect(response.headers.get('keep-alive')).toBeNull();
    expect(await response.text()).toBe(ANSWER);
    expect(fallback.calls).toHaveLength(0);

    const [request] = upstream.requests;
    const lines = request!.head.split('\r\n');
    expect(lines[0]).toBe('POST /v1/chat/completions?alt=x HTTP/1.1');
    expect(lines).toContain(`host: ${new URL(upstream.url).host}`);
    expect(lines).toContain('authorization: Bearer sk-up');
    expect(lines).toContain('accept-encoding: identity');
    expect(lines).toContain(`content-length: ${Buffer.byteLength(BODY)}`);
    expect(request!.body).toBe(BODY);
  });

  it('writes a frozen headers object the same on every request, and a new one anew', async () => {
    const upstream = await rawUpstream(({ socket }) => void socket.write(ok()));
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    const first = Object.freeze({ 'content-type': 'application/json', authorization: 'Bearer sk-one', 'Content-Length': '1' });
    const second = Object.freeze({ 'content-type': 'application/json', authorization: 'Bearer sk-two' });
    for (const headers of [first, first, second]) await (await post(fetch, upstream.url, { headers })).text();
    const sent = upstream.requests.map((request) => request.head.split('\r\n').filter((line) => /^(authorization|content-length):/i.test(line)));
    const length = `content-length: ${Buffer.byteLength(BODY)}`;
    expect(sent).toEqual([
      ['authorization: Bearer sk-one', length],
      ['authorization: Bearer sk-one', length],
      ['authorization: Bearer sk-two', length],
    ]);
  });

  it('keeps the connection alive: requests one after another share one socket', async () => {
    const upstream = await rawUpstream(({ socket }) => void socket.write(ok()));
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    for (let i = 0; i < 5; i++) expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(upstream.connections()).toBe(1);
    // At once, they need a socket each.
    await Promise.all([post(fetch, upstream.url), post(fetch, upstream.url), post(fetch, upstream.url)]);
    expect(upstream.connections()).toBe(3);
  });

  it('reads a chunked answer (extensions, trailers) however the reads split it, then reuses the socket', async () => {
    const chunked = `HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\n${ANSWER.slice(0, 5)}\r\n${Buffer.byteLength(ANSWER.slice(5)).toString(16)}\r\n${ANSWER.slice(5)}\r\n0\r\ntrailer: yes\r\n\r\n`;
    const bytes = Buffer.from(chunked);
    const upstream = await rawUpstream(async ({ socket }) => {
      // A byte at a time, each in a turn of its own: every split point.
      for (const byte of bytes) {
        socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    const response = await post(fetch, upstream.url);
    expect(response.status).toBe(201);
    expect(await response.text()).toBe(ANSWER);
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(upstream.connections()).toBe(1);
  });

  it('reads an answer that ends with the connection (no length, no chunks), and opens a new socket after it', async () => {
    const upstream = await rawUpstream(({ socket }) => {
      socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${ANSWER}`);
    });
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(upstream.connections()).toBe(2);
  });

  it('skips 1xx heads, and answers 204 with no body and Content-Length: 0 with an empty one', async () => {
    const upstream = await rawUpstream(({ socket }, index) => {
      if (index === 0) socket.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${ok()}`);
      else if (index === 1) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    const noContent = await post(fetch, upstream.url);
    expect(noContent.status).toBe(204);
    expect(noContent.body).toBeNull();
    const empty = await post(fetch, upstream.url);
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    expect(upstream.connections()).toBe(1);
  });

  it('Connection: close and HTTP/1.0 answers close the socket after them', async () => {
    const upstream = await rawUpstream(({ socket }, index) => {
      socket.write(index === 0 ? ok(ANSWER, 'connection: close\r\n') : ok(ANSWER).replace('HTTP/1.1', 'HTTP/1.0'));
    });
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    for (let i = 0; i < 3; i++) expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(upstream.connections()).toBe(3);
  });

  it('does not reuse a socket the upstream closed while it was idle', async () => {
    const upstream = await rawUpstream(({ socket }) => {
      socket.write(ok());
      setTimeout(() => socket.end(), 10);
    });
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(upstream.connections()).toBe(2);
    expect(upstream.requests).toHaveLength(2);
  });

  it('sends the request again on a new socket when a reused one closes before any answer', async () => {
    const upstream = await rawUpstream(({ socket }, index) => {
      // The second request lands on a socket the upstream is closing: no answer.
      if (index === 1) socket.destroy();
      else socket.write(ok());
    });
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(await (await post(fetch, upstream.url)).text()).toBe(ANSWER);
    expect(upstream.requests.map((request) => request.connection)).toEqual([0, 0, 1]);
  });

  it('fails as fetch does when a new socket gets no answer: TypeError, the cause saying why', async () => {
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    const refused = await post(fetch, `http://127.0.0.1:${await unusedPort()}/v1/chat/completions`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect(((refused as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

    const hangsUp = await rawUpstream(({ socket }) => void socket.destroy());
    const closed = await post(fetch, hangsUp.url).catch((error: unknown) => error);
    expect(closed).toBeInstanceOf(TypeError);
    expect(hangsUp.requests).toHaveLength(1);
  });

  it('fails on an answer that is not HTTP/1.x, or whose head never ends', async () => {
    const malformed = [
      'SSH-2.0-OpenSSH\r\n\r\n',
      'HTTP/1.1 2x0 OK\r\n\r\n',
      'HTTP/1.1 600 Nope\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTP/1.1  200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\n: no name\r\n\r\n',
      'HTTP/1.1 200 OK\r\nbad name: x\r\ncontent-length: 0\r\n\r\n',
      // Not Transfer-Encoding in another case: a name Headers refuses.
      'HTTP/1.1 200 OK\r\ntransfer\rencoding: chunked\r\ncontent-length: 0\r\n\r\n',
      'HTTP/1.1 200 O\0K\r\ncontent-length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 12a\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc',
      `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70 * 1024)}`,
    ];
    const upstream = await rawUpstream(({ socket }, index) => void socket.write(malformed[index]!));
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    for (const answer of malformed) await expect(post(fetch, upstream.url), answer.slice(0, 60)).rejects.toThrow(TypeError);
  });

  it('answers with a Response read as one from fetch is: once, cloned before, as bytes, text, JSON, a Blob or a stream', async () => {
    const upstream = await rawUpstream(({ socket }) => void socket.write(ok()));
    const fetch = createLoopbackFetch(recordingFallback().fetch);

    const response = await post(fetch, upstream.url);
    expect(response.ok).toBe(true);
    expect(response.bodyUsed).toBe(false);
    const copy = response.clone();
    expect(await response.json()).toEqual(JSON.parse(ANSWER));
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    await expect(response.arrayBuffer()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
    // The clone was taken before the read: its body is its own.
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe(ANSWER);

    const bytes = await (await post(fetch, upstream.url)).bytes();
    expect(Buffer.from(bytes).toString()).toBe(ANSWER);
    const blob = await (await post(fetch, upstream.url)).blob();
    expect(blob.type).toBe('application/json');
    expect(await blob.text()).toBe(ANSWER);

    const streamed = await post(fetch, upstream.url);
    expect(await new Response(streamed.body).text()).toBe(ANSWER);
    expect(streamed.bodyUsed).toBe(true);
    await expect(streamed.text()).rejects.toThrow(TypeError);
  });

  it('an answer without a body (204) reads as empty, as often as asked', async () => {
    const upstream = await rawUpstream(({ socket }) => void socket.write('HTTP/1.1 204 No Content\r\nx-request-id: 7\r\n\r\n'));
    const response = await post(createLoopbackFetch(recordingFallback().fetch), upstream.url);
    expect(response.status).toBe(204);
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-request-id')).toBe('7');
    expect(await response.text()).toBe('');
    expect(await response.text()).toBe('');
    expect(response.bodyUsed).toBe(false);
    expect(response.body).toBeNull();
  });

  it('reads a status line without a reason phrase, and the same Content-Length given twice', async () => {
    const upstream = await rawUpstream(({ socket }) => {
      const length = Buffer.byteLength(ANSWER);
      socket.write(`HTTP/1.1 200\r\ncontent-length: ${length}\r\nContent-Length:${length}\r\n\r\n${ANSWER}`);
    });
    const response = await post(createLoopbackFetch(recordingFallback().fetch), upstream.url);
    expect(response.status).toBe(200);
    expect(response.statusText).toBe('');
    expect(await response.text()).toBe(ANSWER);
  });

  it('an answer cut short resolves, and reading its body fails', async () => {
    const upstream = await rawUpstream(({ socket }) => {
      socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"partial":');
    });
    const response = await post(createLoopbackFetch(recordingFallback().fetch), upstream.url);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it('an abort rejects with the signal reason and closes the socket, before and after the head', async () => {
    const closedSockets: Socket[] = [];
    const upstream = await rawUpstream(({ socket }, index) => {
      socket.on('close', () => closedSockets.push(socket));
      if (index === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{');
    });
    const fetch = createLoopbackFetch(recordingFallback().fetch);
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController();
      const pending = post(fetch, upstream.url, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const aborted = performance.now();
      controller.abort();
      const error = await pending.catch((caught: unknown) => caught);
      expect((error as Error).name).toBe('AbortError');
      // Signals in flight are looked at every 100 ms.
      expect(performance.now() - aborted).toBeLessThan(500);
    }
    await expect(post(fetch, upstream.url, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedSockets).toHaveLength(2);
    expect(upstream.requests).toHaveLength(2);
  });

  it('leaves redirects to the runtime fetch, which follows them', async () => {
    const upstream = await rawUpstream(({ socket }) => void socket.write('HTTP/1.1 307 Temporary Redirect\r\nlocation: /v1/chat/completions/\r\ncontent-length: 0\r\n\r\n'));
    const fallback = recordingFallback();
    const response = await post(createLoopbackFetch(fallback.fetch), upstream.url);
    expect(await response.text()).toBe('from the fallback');
    expect(fallback.calls).toEqual([expect.objectContaining({ url: upstream.url })]);
  });

  it('leaves streams, other methods, other hosts and headers it cannot write to the runtime fetch', async () => {
    const upstream = await rawUpstream(({ socket }) => void socket.write(ok()));
    const fallback = recordingFallback();
    const fetch = createLoopbackFetch(fallback.fetch);
    await post(fetch, upstream.url, { wholeAnswer: false });
    await post(fetch, upstream.url, { wholeAnswer: undefined });
    await post(fetch, upstream.url, { method: 'GET', body: undefined });
    await post(fetch, upstream.url.replace('127.0.0.1', 'example.com'));
    await post(fetch, upstream.url.replace('http:', 'https:'));
    await post(fetch, upstream.url, { headers: { 'x-evil': 'a\r\nx-injected: 1' } });
    // Frozen headers are looked at once: refused as often as they come.
    const frozenEvil = Object.freeze({ 'x-evil': 'a\nx-injected: 1' });
    for (let i = 0; i < 2; i++) await post(fetch, upstream.url, { headers: frozenEvil });
    expect(fallback.calls).toHaveLength(8);
    expect(upstream.requests).toHaveLength(0);
  });
});
