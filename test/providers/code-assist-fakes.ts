import type { LoginUi } from '../../src/providers/subscription.ts';
import type { FakeOAuthServer } from '../support/fake-oauth-server.ts';
import type { CannedResponse, RecordedRequest, Responder } from '../support/fake-upstream.ts';
import { sseEvents, type Fixture } from '../support/fixtures.ts';

/** What the scripted user does once the consent page is open. */
export type BrowserAction = 'approve' | 'wrong-state' | 'nothing';

export interface ScriptedUi extends LoginUi {
  printed: string[];
  opened: string[];
  spinners: string[];
}

/**
 * The terminal of a login test: "opening the browser" loads the fake provider's consent
 * page (so it records the authorize request), then acts as the user would.
 */
export function scriptedUi(oauth: FakeOAuthServer, action: BrowserAction): ScriptedUi {
  const printed: string[] = [];
  const opened: string[] = [];
  const spinners: string[] = [];
  const act = async (url: string) => {
    await fetch(url);
    if (action === 'approve') await oauth.approve();
    if (action === 'wrong-state') await oauth.sendWrongState();
  };
  return {
    printed,
    opened,
    spinners,
    print: (text) => void printed.push(text),
    async openBrowser(url) {
      opened.push(url);
      // The user acts after the terminal has moved on to waiting, as in a real browser.
      act(url).catch(() => undefined);
      return true;
    },
    spinner(text) {
      spinners.push(text);
      return { succeed: (done) => void spinners.push(`✔ ${done}`), fail: (failed) => void spinners.push(`✖ ${failed}`), stop: () => undefined };
    },
    readLine: async () => undefined,
  };
}

/** Cloud Code's setup answers: loadCodeAssist, onboardUser and the operation polls, in order. */
export interface CloudCodeScript {
  load: Record<string, unknown>;
  onboard?: Record<string, unknown>;
  /** Answers to successive `GET /v1internal/operations/…`. */
  operations?: Record<string, unknown>[];
}

/** A fake Cloud Code setup API; anything else is 404. */
export function cloudCodeSetup(script: CloudCodeScript): Responder {
  const operations = [...(script.operations ?? [])];
  return (request: RecordedRequest): CannedResponse => {
    if (request.method === 'POST' && request.url === '/v1internal:loadCodeAssist') return json(200, script.load);
    if (request.method === 'POST' && request.url === '/v1internal:onboardUser' && script.onboard) return json(200, script.onboard);
    const operation = request.method === 'GET' && request.url.startsWith('/v1internal/operations/') ? operations.shift() : undefined;
    if (operation) return json(200, operation);
    return json(404, { error: { code: 404, message: `no route ${request.method} ${request.url}`, status: 'NOT_FOUND' } });
  };
}

export function json(status: number, body: unknown): CannedResponse {
  return { status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: JSON.stringify(body) };
}

/** A recorded Gemini stream as Cloud Code sends it: each element inside `{response}`. */
export function wrapStream(fixture: Fixture): string {
  return sseEvents(fixture.body)
    .map((event) => `data: {"response": ${event.data}, "traceId": "trace-1"}\r\n\r\n`)
    .join('');
}

/** The parsed data of each event. */
export function eventPayloads(body: string | Buffer): unknown[] {
  return sseEvents(Buffer.from(body)).map((event) => JSON.parse(event.data) as unknown);
}

/** A stream answer of these Gemini elements, each wrapped in `{response}`. */
export function wrappedEvents(elements: unknown[]): string {
  return elements.map((element) => `data: ${JSON.stringify({ response: element })}\r\n\r\n`).join('');
}

/** A text-only Gemini element. */
export function textElement(text: string): Record<string, unknown> {
  return { candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }] };
}

/** Splits bytes at pseudo-random boundaries (seeded, so a failure can be replayed). */
export function randomChunks(bytes: Uint8Array, seed: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let state = seed;
  for (let offset = 0; offset < bytes.length; ) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const size = 1 + (state % 40);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}
