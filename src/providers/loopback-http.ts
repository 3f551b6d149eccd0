import { Buffer } from 'node:buffer';
import { SPACE, TAB, ZERO } from '../core/char-codes.ts';
import { isLoopbackHost } from '../core/hosts.ts';
import type { UpstreamFetch, UpstreamInit } from './http.ts';
import { openWire, type Wire, type WireEvents } from './loopback-wire.ts';
import { WholeAnswer } from './whole-answer.ts';

/**
 * An HTTP/1.1 client for whole answers from upstreams on this machine (plain http to a
 * loopback address: a local vLLM, llama.cpp, LM Studio or Ollama server, or another
 * llm-mux), on keep-alive sockets in the calling thread. Bun's fetch hands every request
 * to its HTTP thread and back; against an upstream that answers in tens of microseconds
 * that hop costs as much as the rest of the request (BENCHMARKS.md, Round 6).
 *
 * It takes POSTs with a string body that want a whole answer (`wholeAnswer`), and leaves
 * streams, anything else and any redirect to `fallback`, the runtime's fetch. The answer is
 * read whole, however it is framed (length, chunked, or up to the close), before the
 * Response resolves. An idle socket the upstream closed is dropped from the pool; when a
 * reused socket closes before any byte of the answer, the request goes again, once, on a
 * new socket: the usual cause is the upstream closing it as idle just as the request left.
 */
export function createLoopbackFetch(fallback: UpstreamFetch): UpstreamFetch {
  const targets = new TargetCache();
  return (url, init) => {
    const eligible = init.wholeAnswer && init.method === 'POST' && typeof init.body === 'string' && init.redirect !== 'manual';
    const target = eligible ? targets.get(url) : undefined;
    const head = target && requestHead(target, init.headers, init.body as string);
    if (!head) return fallback(url, init);
    return target.origin.send(head + (init.body as string), init.signal ?? undefined, () => fallback(url, init));
  };
}

interface Target {
  origin: Origin;
  /** `POST <path> HTTP/1.1` and the Host header. */
  requestLine: string;
}

/** Upstream URLs repeat: each is parsed once (null for one this client leaves alone); the sockets are per origin. */
class TargetCache {
  private readonly byUrl = new Map<string, Target | null>();
  private readonly origins = new Map<string, Origin>();

  get(url: string): Target | undefined {
    let target = this.byUrl.get(url);
    if (target === undefined) {
      if (this.byUrl.size >= 512) this.byUrl.clear();
      this.byUrl.set(url, (target = this.parse(url)));
    }
    return target ?? undefined;
  }

  private parse(url: string): Target | null {
    if (!url.startsWith('http://')) return null;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    const hostname = parsed.hostname.replace(/^\[|\]$/g, '');
    if (!isLoopbackHost(hostname) || parsed.username || parsed.password) return null;
    let origin = this.origins.get(parsed.host);
    if (!origin) this.origins.set(parsed.host, (origin = new Origin(hostname, parsed.port ? Number(parsed.port) : 80)));
    return { origin, requestLine: `POST ${parsed.pathname}${parsed.search} HTTP/1.1\r\nhost: ${parsed.host}\r\n` };
  }
}

/** Headers this client writes itself, whatever the caller says. */
const OWN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'accept-encoding']);
const UNSAFE_HEADER_TEXT = /[\r\n\0]/;

/** The request's head, or undefined when a header cannot be written as given (fetch then says why). */
function requestHead(target: Target, headers: UpstreamInit['headers'], body: string): string | undefined {
  const lines = headerLines(headers);
  if (lines === null) return undefined;
  // No compression: on loopback it would only cost CPU.
  return `${target.requestLine}${lines}accept-encoding: identity\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
}

/**
 * The header lines of a frozen object of headers, written once (API-key adapters send the
 * same frozen headers for every request with one key: see upstream.ts).
 */
const frozenHeaderLines = new WeakMap<object, string | null>();

/** The caller's headers as lines of the head, or null when one cannot be written as given. */
function headerLines(headers: UpstreamInit['headers']): string | null {
  const frozen = typeof headers === 'object' && !(headers instanceof Headers) && !Array.isArray(headers) && Object.isFrozen(headers);
  const cached = frozen ? frozenHeaderLines.get(headers) : undefined;
  if (cached !== undefined) return cached;
  let lines: string | null = '';
  const add = (value: string, name: string) => {
    if (lines === null || OWN_HEADERS.has(name.toLowerCase())) return;
    lines = UNSAFE_HEADER_TEXT.test(name) || UNSAFE_HEADER_TEXT.test(value) ? null : `${lines}${name}: ${value}\r\n`;
  };
  if (headers instanceof Headers) headers.forEach(add);
  else if (Array.isArray(headers)) for (const [name, value] of headers) add(value!, name!);
  else if (headers) for (const name in headers) add(headers[name]!, name);
  if (frozen) frozenHeaderLines.set(headers, lines);
  return lines;
}

/** Idle sockets kept per upstream; more are closed as they come back. */
const MAX_IDLE = 64;
/** An idle socket is closed after this long: below the 5 s keep-alive of Node's, uvicorn's and most servers. */
const IDLE_MS = 4_000;
/**
 * How often the signals of requests in flight are looked at. An abort is noticed this late
 * at most, rather than at once: listening on every request's signal cost about 5% of a
 * request's CPU under load (BENCHMARKS.md, Round 8), and the caller that aborted (a client
 * that went away) waits for nothing.
 */
const ABORT_CHECK_MS = 100;

/** The keep-alive sockets to one upstream. */
class Origin {
  private readonly idle: Connection[] = [];
  private sweeper: ReturnType<typeof setInterval> | undefined;
  /** Connections whose exchange has a signal to watch. */
  private readonly watched = new Set<Connection>();
  private abortChecker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly hostname: string,
    private readonly port: number,
  ) {}

  send(request: string, signal: AbortSignal | undefined, redirected: () => Promise<Response>): Promise<Response> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const exchange: Exchange = { request, signal, redirected, retry: undefined };
    const reused = this.idle.pop();
    if (!reused) return this.open(exchange);
    exchange.retry = () => this.open(exchange);
    return reused.exchange(exchange);
  }

  release(connection: Connection): void {
    if (this.idle.length >= MAX_IDLE) return connection.destroy();
    connection.idleSince = performance.now();
    this.idle.push(connection);
    this.sweeper ??= setInterval(() => this.sweep(), IDLE_MS / 4).unref();
  }

  /** Looks at the connection's exchange's signal every ABORT_CHECK_MS until it settles. */
  watch(connection: Connection): void {
    this.watched.add(connection);
    this.abortChecker ??= setInterval(() => this.checkAborts(), ABORT_CHECK_MS).unref();
  }

  unwatch(connection: Connection): void {
    this.watched.delete(connection);
  }

  private checkAborts(): void {
    for (const connection of this.watched) connection.checkAbort();
    if (this.watched.size === 0) {
      clearInterval(this.abortChecker);
      this.abortChecker = undefined;
    }
  }

  forget(connection: Connection): void {
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** Idle sockets are closed after IDLE_MS (one timer per upstream rather than one per request). */
  private sweep(): void {
    const cutoff = performance.now() - IDLE_MS;
    // Oldest first: the pool is a stack.
    while (this.idle.length > 0 && this.idle[0]!.idleSince < cutoff) this.idle.shift()!.destroy();
    if (this.idle.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private async open(exchange: Exchange): Promise<Response> {
    exchange.retry = undefined;
    const connection = new Connection(this);
    const opening = openWire(this.hostname, this.port, connection).catch((error: Error) => {
      throw fetchFailed(error);
    });
    const wire = await (exchange.signal ? untilAborted(opening, exchange.signal) : opening);
    return connection.attach(wire).exchange(exchange);
  }
}

/** The wire once open, or the signal's reason as soon as it aborts (a wire that opens later is closed). */
async function untilAborted(opening: Promise<Wire>, signal: AbortSignal): Promise<Wire> {
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(signal.reason);
      opening.then((late) => late.destroy(), () => undefined);
    };
  });
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([opening, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** One request on its way. */
interface Exchange {
  request: string;
  signal: AbortSignal | undefined;
  /** The answer is a redirect: the runtime's fetch follows it. */
  redirected: () => Promise<Response>;
  /** On a reused socket: sends the request again on a new one. */
  retry: (() => Promise<Response>) | undefined;
}

/** What fetch throws when it gets no answer: a TypeError whose cause has the socket's error (and its code). */
function fetchFailed(cause: Error | undefined): TypeError {
  return new TypeError('fetch failed', { cause: cause ?? new Error('the upstream closed the connection') });
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** A response head larger than this is not an HTTP upstream worth waiting for. */
const MAX_HEAD_BYTES = 64 * 1024;

/** The exchange a socket is busy with, and what of its answer has come. */
interface InFlight {
  exchange: Exchange;
  resolve(response: Response | Promise<Response>): void;
  reject(error: unknown): void;
  /** Bytes of the answer before its head is whole. */
  partialHead: Buffer | undefined;
  head: ParsedHead | undefined;
  body: BodyReader | undefined;
}

/** One keep-alive socket, one exchange at a time. */
class Connection implements WireEvents {
  idleSince = 0;
  private wire!: Wire;
  private current: InFlight | undefined;

  constructor(private readonly origin: Origin) {}

  attach(wire: Wire): this {
    this.wire = wire;
    return this;
  }

  exchange(exchange: Exchange): Promise<Response> {
    // Closed by the upstream a moment ago, in the same turn: as good as closed before the answer.
    if (this.wire.destroyed) return exchange.retry ? exchange.retry() : Promise.reject(fetchFailed(undefined));
    return new Promise((resolve, reject) => {
      const flight: InFlight = { exchange, resolve, reject, partialHead: undefined, head: undefined, body: undefined };
      this.current = flight;
      if (exchange.signal) this.origin.watch(this);
      this.wire.busy();
      this.wire.write(exchange.request);
    });
  }

  destroy(): void {
    this.wire.destroy();
  }

  data(chunk: Buffer): void {
    const flight = this.current;
    // Bytes nobody asked for: the connection is out of step.
    if (!flight) return this.destroy();
    if (flight.body) return this.feed(flight, flight.body, chunk);

    const bytes = flight.partialHead ? Buffer.concat([flight.partialHead, chunk]) : chunk;
    const end = bytes.indexOf(HEAD_END);
    if (end < 0) {
      if (bytes.length > MAX_HEAD_BYTES) return this.fail(flight, new Error('the upstream sent a response head over 64 KiB'));
      flight.partialHead = bytes;
      return;
    }
    flight.partialHead = undefined;
    const head = parseHead(bytes.toString('latin1', 0, end));
    if (!head) return this.fail(flight, new Error('the upstream did not answer in HTTP/1.1'));
    const rest = bytes.subarray(end + 4);
    if (head.status < 200) {
      // 100 Continue, 103 Early Hints: the answer's head is still to come.
      if (rest.length > 0) this.data(rest);
      return;
    }
    flight.head = head;
    flight.body = bodyReader(head);
    this.feed(flight, flight.body, rest);
  }

  closed(error: Error | undefined): void {
    const flight = this.current;
    this.origin.forget(this);
    if (!flight) return;
    this.settle(flight);
    if (flight.body?.kind === 'close' && !error) return this.respond(flight, flight.body.whole());
    if (flight.head === undefined && flight.partialHead === undefined) {
      // Nothing of the answer came: the upstream closed the socket as the request arrived.
      const retry = flight.exchange.retry;
      return retry ? flight.resolve(retry()) : flight.reject(fetchFailed(error));
    }
    this.fail(flight, error ?? new Error('the upstream closed the connection mid-answer'));
  }

  private feed(flight: InFlight, body: BodyReader, chunk: Buffer): void {
    const outcome = chunk.length > 0 || body.kind === 'none' ? body.feed(chunk) : 'more';
    if (outcome === 'more') return;
    if (outcome === 'malformed') return this.fail(flight, new Error('the upstream sent a malformed chunked body'));
    // 'done', or 'extra': bytes past the answer's end put the connection out of step.
    this.settle(flight);
    if (outcome === 'done' && flight.head!.keepAlive) {
      this.wire.idle();
      this.origin.release(this);
    } else this.destroy();
    this.respond(flight, body.whole());
  }

  /** The exchange in flight fails with its signal's reason once the signal has aborted. */
  checkAbort(): void {
    const signal = this.current?.exchange.signal;
    if (signal?.aborted) this.fail(this.current!, signal.reason);
  }

  /** The socket is done with this exchange, whatever its outcome: no longer current, its abort no longer watched. */
  private settle(flight: InFlight): void {
    if (this.current !== flight) return;
    this.current = undefined;
    this.origin.unwatch(this);
  }

  private respond(flight: InFlight, content: Uint8Array<ArrayBuffer> | null): void {
    this.answer(flight, (head, headers) => new WholeAnswer(head.status, head.statusText, headers, content));
  }

  /**
   * Settles the exchange once the answer's head is in: a redirect is for the runtime's
   * fetch to follow; anything else is the Response `build` makes, unless the head has a
   * reason phrase or a header fetch would refuse.
   */
  private answer(flight: InFlight, build: (head: ParsedHead, headers: Headers) => Response): void {
    const head = flight.head!;
    if (head.location !== undefined && head.status >= 300 && head.status < 400 && head.status !== 304) {
      return flight.resolve(flight.exchange.redirected());
    }
    try {
      if (!REASON_PHRASE.test(head.statusText)) throw new TypeError(`invalid reason phrase: ${JSON.stringify(head.statusText)}`);
      flight.resolve(build(head, new Headers(head.headers)));
    } catch (error) {
      flight.reject(fetchFailed(error as Error));
    }
  }

  /**
   * The answer cannot be had. As with fetch: an abort rejects with the signal's reason;
   * without a head the request fails; with one, reading the body does.
   */
  private fail(flight: InFlight, reason: unknown): void {
    this.settle(flight);
    this.destroy();
    const signal = flight.exchange.signal;
    if (signal?.aborted) flight.reject(signal.reason);
    else if (!flight.head) flight.reject(fetchFailed(reason as Error));
    else {
      const error = new TypeError('terminated', { cause: reason });
      const body = new ReadableStream({ start: (controller) => controller.error(error) });
      this.answer(flight, (head, headers) => new Response(body, { status: head.status, statusText: head.statusText, headers }));
    }
  }
}

/** RFC 9112's reason-phrase: tabs, spaces, visible characters. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface ParsedHead {
  status: number;
  statusText: string;
  /** The answer's headers, without the hop-by-hop ones (they described this client's socket). */
  headers: [string, string][];
  keepAlive: boolean;
  chunked: boolean;
  contentLength: number | undefined;
  location: string | undefined;
}

/**
 * Headers about one connection rather than the answer (RFC 9110 §7.6.1): this client has
 * acted on them, and the answer it hands on is whole. Leaving them out also makes the
 * Response cheaper to build (each header costs Bun a copy).
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const CASE_BIT = 0x20;

/**
 * A response head (status line and header lines, without the blank line), or undefined
 * when it is not HTTP/1.x. It runs once per answer, so it scans characters rather than
 * matching patterns.
 */
function parseHead(text: string): ParsedHead | undefined {
  if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== SPACE) return undefined;
  const hundreds = digitAt(text, 9);
  const tens = digitAt(text, 10);
  const units = digitAt(text, 11);
  if (hundreds < 1 || hundreds > 5 || tens < 0 || units < 0) return undefined;
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  if (lineEnd > 12 && text.charCodeAt(12) !== SPACE) return undefined;
  const head: ParsedHead = {
    status: hundreds * 100 + tens * 10 + units,
    statusText: text.slice(13, lineEnd),
    headers: [],
    keepAlive: true,
    chunked: false,
    contentLength: undefined,
    location: undefined,
  };
  let connection = '';
  for (let start = lineEnd + 2, end = 0; start < text.length; start = end + 2) {
    end = text.indexOf('\r\n', start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > end) return undefined;
    // Names are matched in place, in any case, and only the kept ones copied: Headers lowercases them.
    const known = knownName(text, start, colon);
    const value = trimmed(text, colon + 1, end);
    if (known === 'content-length') {
      const length = decimal(value);
      if (length < 0 || (head.contentLength !== undefined && head.contentLength !== length)) return undefined;
      head.contentLength = length;
    } else if (known === 'location') head.location = value;
    else if (known !== undefined) {
      if (known === 'transfer-encoding') head.chunked = value.toLowerCase().endsWith('chunked');
      else if (known === 'connection') connection = value.toLowerCase();
      continue;
    }
    head.headers.push([text.slice(start, colon), value]);
  }
  const http10 = text.charCodeAt(7) === ZERO;
  head.keepAlive = http10 ? connection.includes('keep-alive') : !connection.includes('close');
  return head;
}

/** The names parseHead acts on: the hop-by-hop ones, Content-Length and Location. */
const KNOWN_NAMES = [...HOP_BY_HOP, 'content-length', 'location'];

/**
 * Which of KNOWN_NAMES `text` has from `start` to `end`, in any case, or undefined. Compared
 * in place: lowercasing a copy of every name cost 40% of parsing a head.
 */
function knownName(text: string, start: number, end: number): string | undefined {
  const length = end - start;
  for (const name of KNOWN_NAMES) if (name.length === length && equalsIgnoringCase(text, start, name)) return name;
  return undefined;
}

/** Whether `text` at `start` spells `lower` (lowercase), its ASCII letters in either case. */
function equalsIgnoringCase(text: string, start: number, lower: string): boolean {
  for (let at = 0; at < lower.length; at++) {
    const code = text.charCodeAt(start + at);
    const wanted = lower.charCodeAt(at);
    if (code !== wanted && !(code >= UPPER_A && code <= UPPER_Z && code + CASE_BIT === wanted)) return false;
  }
  return true;
}

/** The digit at `at`, or -1. */
function digitAt(text: string, at: number): number {
  const digit = text.charCodeAt(at) - ZERO;
  return digit >= 0 && digit <= 9 ? digit : -1;
}

/** `text` from `start` to `end` without the spaces and tabs around it. */
function trimmed(text: string, start: number, end: number): string {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** A string of decimal digits as a number, or -1 when it is not one. */
function decimal(text: string): number {
  if (text === '' || text.length > 15) return -1;
  let value = 0;
  for (let at = 0; at < text.length; at++) {
    const digit = digitAt(text, at);
    if (digit < 0) return -1;
    value = value * 10 + digit;
  }
  return value;
}

type FeedOutcome = 'more' | 'done' | 'extra' | 'malformed';

/** How an answer's body is gathered: none, by its length, chunked, or up to the close. */
interface BodyReader {
  readonly kind: 'none' | 'length' | 'chunked' | 'close';
  feed(chunk: Buffer): FeedOutcome;
  whole(): Uint8Array<ArrayBuffer> | null;
}

function bodyReader(head: ParsedHead): BodyReader {
  if (head.status === 204 || head.status === 304) return noBody(null);
  if (head.chunked) return new ChunkedBody();
  if (head.contentLength === 0) return noBody(new Uint8Array(0));
  if (head.contentLength !== undefined) return new LengthBody(head.contentLength);
  head.keepAlive = false;
  return new CloseBody();
}

/** 204 and 304 have no body at all; an empty one is still a body, as fetch gives it. */
function noBody(content: Uint8Array<ArrayBuffer> | null): BodyReader {
  return { kind: 'none', feed: (chunk) => (chunk.length > 0 ? 'extra' : 'done'), whole: () => content };
}

class LengthBody implements BodyReader {
  readonly kind = 'length';
  private pieces: Buffer[] = [];
  private received = 0;

  constructor(private readonly length: number) {}

  feed(chunk: Buffer): FeedOutcome {
    const wanted = this.length - this.received;
    this.pieces.push(chunk.length > wanted ? chunk.subarray(0, wanted) : chunk);
    this.received += Math.min(wanted, chunk.length);
    if (this.received < this.length) return 'more';
    return chunk.length > wanted ? 'extra' : 'done';
  }

  whole(): Uint8Array<ArrayBuffer> {
    // Most answers come in the read that brought the head: no copy then.
    return (this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces)) as Uint8Array<ArrayBuffer>;
  }
}

class CloseBody implements BodyReader {
  readonly kind = 'close';
  private readonly pieces: Buffer[] = [];

  feed(chunk: Buffer): FeedOutcome {
    this.pieces.push(chunk);
    return 'more';
  }

  whole(): Uint8Array<ArrayBuffer> {
    return Buffer.concat(this.pieces) as Uint8Array<ArrayBuffer>;
  }
}

/** Transfer-Encoding: chunked, taken apart wherever the reads split it. */
class ChunkedBody implements BodyReader {
  readonly kind = 'chunked';
  private readonly pieces: Buffer[] = [];
  /** Bytes left of the current chunk's data; -1 at a size line, -2 in the trailers. */
  private remaining = -1;
  /** The CRLF after a chunk's data is still due. */
  private dataEnd = false;
  /** A line split across reads. */
  private line = '';

  feed(chunk: Buffer): FeedOutcome {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.pieces.push(chunk.subarray(at, at + take));
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) {
          this.remaining = -1;
          this.dataEnd = true;
        }
        continue;
      }
      const lineEnd = chunk.indexOf(0x0a, at);
      if (lineEnd < 0) {
        this.line += chunk.toString('latin1', at);
        return this.line.length > 8192 ? 'malformed' : 'more';
      }
      let line = this.line + chunk.toString('latin1', at, lineEnd);
      this.line = '';
      at = lineEnd + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (this.dataEnd) {
        if (line !== '') return 'malformed';
        this.dataEnd = false;
      } else if (this.remaining === -2) {
        // Trailers, ended by a blank line.
        if (line === '') return at < chunk.length ? 'extra' : 'done';
      } else {
        // The size in hex, then any chunk extensions after a semicolon.
        const sizeText = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) return 'malformed';
        const size = parseInt(sizeText, 16);
        this.remaining = size === 0 ? -2 : size;
      }
    }
    return 'more';
  }

  whole(): Uint8Array<ArrayBuffer> {
    return Buffer.concat(this.pieces) as Uint8Array<ArrayBuffer>;
  }
}
