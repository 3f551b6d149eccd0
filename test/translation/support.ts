// Shared pieces of the translation tests: one fake upstream that answers all five protocols
// (each provider gets its own path prefix on it), the config that points llm-mux at it, tiny
// canned answers, test images, and protocol-agnostic checks on what the upstream received.
import { expect } from 'vitest';
import type { Protocol } from '../../src/core/protocol.ts';
import { startFakeUpstream, type CannedResponse, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.ts';
import { startProxy, type TestProxy } from '../support/llm-mux.ts';

export type { Protocol };

export const PROTOCOLS: readonly Protocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'ollama'];

/** Bounded waits for every client in these tests. */
export const CLIENT_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------
// Images: two different 1×1 PNGs, so a test can tell which one ended up where.

/** Served by the fake upstream at /img/red.png (the "URL image"). */
export const URL_PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** Sent inline by clients (the "base64 image"). */
export const DATA_PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
export const DATA_URL = `data:image/png;base64,${DATA_PNG_B64}`;
/** A PNG signature followed by padding: 4 KiB, more than the 1 KiB limit some tests set. */
export const LARGE_PNG = Buffer.concat([Buffer.from(URL_PNG_B64, 'base64'), Buffer.alloc(4096)]);

/** Paths the fake upstream answers GETs on (image fetches by llm-mux). */
export const IMAGE_PATHS = {
  png: '/img/red.png',
  large: '/img/large.png',
  html: '/img/page.html',
  redirect: '/img/redirect',
  loop: '/img/loop',
} as const;

// ---------------------------------------------------------------------------------------
// The fake upstream: one server, five protocols, told apart by the first path segment.

const PREFIX: Record<Protocol, string> = {
  'openai-chat': 'chat',
  'openai-responses': 'responses',
  anthropic: 'anthropic',
  gemini: 'gemini',
  ollama: 'ollama',
};

/** The base-url each provider gets below the fake upstream (endpoints.ts appends the API path). */
export function baseUrl(upstream: string, protocol: Protocol): string {
  const suffix = protocol === 'gemini' ? '/v1beta' : protocol === 'ollama' ? '' : '/v1';
  return `${upstream}/${PREFIX[protocol]}${suffix}`;
}

export function protocolOf(request: RecordedRequest): Protocol | undefined {
  const segment = request.url.split('/')[1];
  return PROTOCOLS.find((protocol) => PREFIX[protocol] === segment);
}

/** The provider name of an outbound protocol in the generated config. */
export function providerName(protocol: Protocol): string {
  return `up-${PREFIX[protocol]}`;
}

/** A minimal valid non-streaming success body of each protocol: the assistant says `text`. */
export function cannedSuccess(protocol: Protocol, model: string, text = 'ok'): unknown {
  switch (protocol) {
    case 'openai-chat':
      return {
        id: 'chatcmpl-canned',
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      };
    case 'openai-responses':
      return {
        id: 'resp_canned',
        object: 'response',
        created_at: 1_700_000_000,
        status: 'completed',
        model,
        output: [{ type: 'message', id: 'msg_canned', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] }],
        usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 },
      };
    case 'anthropic':
      return {
        id: 'msg_canned',
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 1 },
      };
    case 'gemini':
      return {
        candidates: [{ index: 0, content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1, totalTokenCount: 6 },
        modelVersion: model,
      };
    case 'ollama':
      return {
        model,
        created_at: '2025-01-01T00:00:00Z',
        message: { role: 'assistant', content: text },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: 5,
        eval_count: 1,
      };
  }
}

/** The model an upstream request names: in the body, or (Gemini) in the URL. */
export function upstreamModel(request: RecordedRequest): string {
  if (protocolOf(request) === 'gemini') return decodeURIComponent(/\/models\/([^:]+):/.exec(request.url)?.[1] ?? '');
  return (JSON.parse(request.body) as { model: string }).model;
}

/** Canned answers by protocol; tests may replace one (`answers.gemini = …`) for their turn. */
export type Answers = Partial<Record<Protocol, (request: RecordedRequest) => unknown>>;

/** An answer sent as these exact bytes and headers (an SSE stream, an error status). */
export class Raw {
  constructor(readonly canned: CannedResponse) {}
}

/** Server-sent events, one `data:` line per payload (with `event:` lines for typed protocols). */
export function sse(payloads: Json[], typed = false): Raw {
  const body = payloads.map((payload) => `${typed ? `event: ${String(payload.type)}\n` : ''}data: ${JSON.stringify(payload)}\n\n`).join('');
  return new Raw({ headers: { 'content-type': 'text/event-stream' }, body });
}

/**
 * Starts the fake upstream: POSTs get the protocol's answer (`answers`, else the canned
 * success), GETs under /img serve test images.
 */
export async function startUpstream(answers: Answers = {}): Promise<FakeUpstream> {
  let upstream: FakeUpstream | undefined;
  upstream = await startFakeUpstream((request): CannedResponse => {
    if (request.method === 'GET') return serveImage(request.url, upstream!.url);
    const protocol = protocolOf(request);
    if (!protocol) return { status: 404, body: JSON.stringify({ error: `no protocol at ${request.url}` }) };
    const answer = answers[protocol]?.(request) ?? cannedSuccess(protocol, upstreamModel(request));
    return answer instanceof Raw ? answer.canned : { body: JSON.stringify(answer) };
  });
  return upstream;
}

function serveImage(path: string, self: string): CannedResponse {
  switch (path) {
    case IMAGE_PATHS.png:
      return { headers: { 'content-type': 'image/png' }, body: Buffer.from(URL_PNG_B64, 'base64') };
    case IMAGE_PATHS.large:
      return { headers: { 'content-type': 'image/png' }, body: LARGE_PNG };
    case IMAGE_PATHS.html:
      return { headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html>not an image</html>' };
    case IMAGE_PATHS.redirect:
      return { status: 302, headers: { location: `${self}${IMAGE_PATHS.png}` }, body: '' };
    case IMAGE_PATHS.loop:
      return { status: 302, headers: { location: IMAGE_PATHS.loop }, body: '' };
    default:
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
  }
}

// ---------------------------------------------------------------------------------------
// Config.

/** A model entry: a plain name, or an alias clients use for an upstream name. */
export type ModelEntry = string | { name: string; alias: string };

export interface ConfigOptions {
  /** images.allow-private-urls (the fake upstream serves images on loopback). */
  allowPrivateUrls?: boolean;
  maxImageBytes?: number;
}

/** One openai-compatible provider per protocol, all on the fake upstream. */
export function proxyConfig(upstream: string, models: Partial<Record<Protocol, ModelEntry[]>>, options: ConfigOptions = {}): string {
  const lines = ['request-retry: 0', 'logging:', '  level: error'];
  const images: string[] = [];
  if (options.allowPrivateUrls !== undefined) images.push(`  allow-private-urls: ${options.allowPrivateUrls}`);
  if (options.maxImageBytes !== undefined) images.push(`  max-bytes: ${options.maxImageBytes}`);
  if (images.length > 0) lines.push('images:', ...images);
  lines.push('providers:', '  openai-compatible:');
  for (const protocol of PROTOCOLS) {
    const entries = models[protocol];
    if (!entries) continue;
    lines.push(
      `    - name: ${providerName(protocol)}`,
      `      protocol: ${protocol}`,
      `      base-url: ${baseUrl(upstream, protocol)}`,
      '      api-keys: ["sk-upstream"]',
      `      models: ${JSON.stringify(entries)}`,
    );
  }
  return lines.join('\n');
}

/** A proxy and a fake upstream for one describe block. */
export interface Rig {
  proxy: TestProxy;
  upstream: FakeUpstream;
  answers: Answers;
  /** Runs `send` and returns the POSTs the upstream received meanwhile (image GETs apart). */
  capture(send: () => Promise<unknown>): Promise<{ posts: RecordedRequest[]; gets: RecordedRequest[] }>;
  /** Runs `send`, expects exactly one upstream POST, returns it with its body parsed. */
  one(send: () => Promise<unknown>): Promise<{ request: RecordedRequest; body: Json }>;
  close(): Promise<void>;
}

export type Json = Record<string, any>;

export async function startRig(models: Partial<Record<Protocol, ModelEntry[]>>, options: ConfigOptions = {}): Promise<Rig> {
  const answers: Answers = {};
  const upstream = await startUpstream(answers);
  const proxy = await startProxy(proxyConfig(upstream.url, models, options));
  const capture: Rig['capture'] = async (send) => {
    const before = upstream.requests.length;
    await send();
    const seen = upstream.requests.slice(before);
    return { posts: seen.filter((request) => request.method === 'POST'), gets: seen.filter((request) => request.method === 'GET') };
  };
  return {
    proxy,
    upstream,
    answers,
    capture,
    async one(send) {
      const { posts } = await capture(send);
      expect(posts, 'exactly one upstream request').toHaveLength(1);
      return { request: posts[0]!, body: JSON.parse(posts[0]!.body) as Json };
    },
    async close() {
      await proxy.close();
      await upstream.close();
    },
  };
}

/** POSTs JSON (or exact bytes) to the proxy with a bounded timeout. */
export async function post(url: string, body: unknown): Promise<{ status: number; json: Json; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  });
  const text = await response.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // Not JSON: the caller looks at `text`.
  }
  return { status: response.status, json, text };
}

/** A fetch for SDK clients that records the exact request bodies they send. */
export function capturingFetch(sent: string[]): typeof fetch {
  return async (input, init) => {
    if (typeof init?.body === 'string') sent.push(init.body);
    return fetch(input, init);
  };
}

// ---------------------------------------------------------------------------------------
// Errors as each client protocol renders them.

export type ClientProtocol = Protocol | 'completions';

/** The message of an error body in `client`'s own format; fails when the body has another shape. */
export function errorMessage(client: ClientProtocol, json: Json): string {
  switch (client) {
    case 'openai-chat':
    case 'openai-responses':
    case 'completions':
      expect(json.error).toMatchObject({ message: expect.any(String), type: 'invalid_request_error' });
      return json.error.message as string;
    case 'anthropic':
      expect(json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } });
      return json.error.message as string;
    case 'gemini':
      expect(json.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: expect.any(String) });
      return json.error.message as string;
    case 'ollama':
      expect(Object.keys(json)).toEqual(['error']);
      expect(json.error).toEqual(expect.any(String));
      return json.error as string;
  }
}

// ---------------------------------------------------------------------------------------
// Tool pairing, in each upstream protocol's own terms.

/**
 * Asserts that every tool result in an upstream body answers a call of the assistant turn
 * right before it (by id where the protocol has ids, by function name for Gemini), that every
 * call is answered, and that results sit where the protocol wants them.
 */
export function expectToolsPaired(protocol: Protocol, body: Json): void {
  switch (protocol) {
    case 'anthropic':
      return pairedAnthropic(body.messages as Json[]);
    case 'gemini':
      return pairedGemini(body.contents as Json[]);
    case 'openai-chat':
      return pairedChat(body.messages as Json[]);
    case 'openai-responses':
      return pairedResponses(body.input as Json[]);
    case 'ollama':
      return pairedOllama(body.messages as Json[]);
  }
}

function pairedAnthropic(messages: Json[]): void {
  messages.forEach((message, index) => {
    const content = message.content as Json[];
    const results = content.filter((block) => block.type === 'tool_result');
    const calls = content.filter((block) => block.type === 'tool_use');
    if (calls.length > 0) {
      expect(message.role).toBe('assistant');
      const next = messages[index + 1];
      if (!next) return; // the model's own last turn: nothing answers it yet
      const answered = (next.content as Json[]).filter((block) => block.type === 'tool_result').map((block) => block.tool_use_id);
      expect(answered.sort(), `tool_use ids of messages[${index}] answered in messages[${index + 1}]`).toEqual(calls.map((call) => call.id).sort());
    }
    if (results.length === 0) return;
    expect(message.role).toBe('user');
    // Anthropic: tool_result blocks come first in their user turn.
    expect(content.slice(0, results.length).every((block) => block.type === 'tool_result'), `tool_result first in messages[${index}]`).toBe(true);
    const previous = messages[index - 1];
    expect(previous?.role).toBe('assistant');
    const ids = (previous!.content as Json[]).filter((block) => block.type === 'tool_use').map((block) => block.id);
    for (const result of results) expect(ids, `tool_result ${result.tool_use_id} answers a tool_use of the turn before`).toContain(result.tool_use_id);
  });
}

function pairedGemini(contents: Json[]): void {
  contents.forEach((content, index) => {
    const parts = content.parts as Json[];
    const responses = parts.filter((part) => part.functionResponse).map((part) => part.functionResponse as Json);
    if (responses.length === 0) return;
    expect(content.role).toBe('user');
    const previous = contents[index - 1];
    expect(previous?.role).toBe('model');
    const calls = (previous!.parts as Json[]).filter((part) => part.functionCall).map((part) => part.functionCall as Json);
    // Gemini pairs by name (and id when both carry one): the same multiset of names, in order.
    expect(responses.map((response) => response.name), `functionResponse names of contents[${index}]`).toEqual(calls.map((call) => call.name));
    responses.forEach((response, position) => {
      const call = calls[position]!;
      if (response.id !== undefined || call.id !== undefined) expect(response.id).toBe(call.id);
    });
  });
}

function pairedChat(messages: Json[]): void {
  messages.forEach((message, index) => {
    if (message.role === 'tool') {
      // A tool message follows the assistant's tool_calls directly (or another tool message).
      let back = index - 1;
      while (messages[back]?.role === 'tool') back--;
      const assistant = messages[back];
      expect(assistant?.role, `messages[${index}] follows an assistant turn`).toBe('assistant');
      const ids = ((assistant!.tool_calls ?? []) as Json[]).map((call) => call.id);
      expect(ids, `tool message ${message.tool_call_id} answers a call of messages[${back}]`).toContain(message.tool_call_id);
    }
    if (message.role === 'assistant' && message.tool_calls?.length && index < messages.length - 1) {
      const answered: string[] = [];
      for (let next = index + 1; messages[next]?.role === 'tool'; next++) answered.push(messages[next]!.tool_call_id);
      expect(answered.sort(), `every call of messages[${index}] answered right after it`).toEqual((message.tool_calls as Json[]).map((call) => call.id).sort());
    }
  });
}

function pairedResponses(input: Json[]): void {
  const calls = new Map<string, number>();
  input.forEach((item, index) => {
    if (item.type === 'function_call') calls.set(item.call_id, index);
    if (item.type === 'function_call_output') {
      expect(calls.has(item.call_id), `function_call_output ${item.call_id} follows its function_call`).toBe(true);
      calls.delete(item.call_id);
    }
  });
  // Calls of the last assistant turn may be unanswered only when nothing follows them but more calls.
  for (const [id, index] of calls) {
    expect(input.slice(index + 1).every((item) => item.type === 'function_call' || item.type === 'reasoning'), `function_call ${id} answered`).toBe(true);
  }
}

function pairedOllama(messages: Json[]): void {
  messages.forEach((message, index) => {
    if (message.role !== 'tool') return;
    let back = index - 1;
    while (messages[back]?.role === 'tool') back--;
    const assistant = messages[back];
    expect(assistant?.role, `messages[${index}] follows an assistant turn`).toBe('assistant');
    const calls = (assistant!.tool_calls ?? []) as Json[];
    const call = calls.find((candidate) => candidate.id === message.tool_call_id);
    expect(call, `tool message ${message.tool_call_id} answers a call of messages[${back}]`).toBeDefined();
    expect(message.tool_name).toBe(call!.function.name);
  });
}
