/**
 * A Response for an answer already read whole, whose body is kept as bytes: a stream or
 * Blob of it is built only for a caller that wants one. The loopback client
 * (loopback-http.ts) answers with it. A passthrough reads a whole answer's bytes once and
 * builds its own Response for the client: building a Response for the upstream's answer as
 * well, and reading its body back out, cost 7% of such a request's CPU under load
 * (BENCHMARKS.md, Round 9).
 *
 * It behaves as fetch's Response does for everything llm-mux asks of one: the body can be
 * read once (a second read rejects with a TypeError, `bodyUsed` says so), and `clone()`
 * before a read gives an independent copy. It is not `instanceof Response`, and cannot be
 * handed to a server as its answer: build one from its parts.
 */
export class WholeAnswer implements Response {
  readonly type: ResponseType = 'default';
  readonly redirected = false;
  readonly url = '';
  readonly ok: boolean;
  /** The real Response the body is read through once a caller wants it as a stream, a Blob or form data. */
  private bodyHolder: Response | undefined;
  private read = false;

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    private readonly content: Uint8Array<ArrayBuffer> | null,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.holder().body as ReadableStream<Uint8Array<ArrayBuffer>> | null;
  }

  get bodyUsed(): boolean {
    return this.bodyHolder ? this.bodyHolder.bodyUsed : this.read;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    // A copy: the bytes may be a view into a larger socket read.
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  /** The body's own bytes rather than a copy (the body is read once, so nothing else holds them). */
  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.bodyHolder) return this.bodyHolder.bytes();
    return this.take();
  }

  async text(): Promise<string> {
    if (this.bodyHolder) return this.bodyHolder.text();
    return utf8.decode(this.take());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  blob(): Promise<Blob> {
    return this.holder().blob();
  }

  formData(): Promise<FormData> {
    return this.holder().formData();
  }

  clone(): WholeAnswer {
    if (this.bodyUsed || this.bodyHolder?.body?.locked) throw new TypeError('Response.clone: the body has already been read.');
    return new WholeAnswer(this.status, this.statusText, new Headers(this.headers), this.content && this.content.slice());
  }

  /** The body's bytes, once: a second read fails as fetch's does. */
  private take(): Uint8Array<ArrayBuffer> {
    // No body (204, 304): nothing to use up, as with fetch.
    if (this.content === null) return new Uint8Array(0);
    if (this.read) throw new TypeError('Body already used');
    this.read = true;
    return this.content;
  }

  private holder(): Response {
    if (!this.bodyHolder) {
      this.bodyHolder = new Response(this.read ? new Uint8Array(0) : this.content, { status: this.status, statusText: this.statusText, headers: this.headers });
      // Read already: its stream is there, and used, as fetch's would be.
      if (this.read) void this.bodyHolder.arrayBuffer();
    }
    return this.bodyHolder;
  }
}

const utf8 = new TextDecoder();
