// The upstream side of the matrix: every recorded body in ../shared/wire/fixtures as one
// case, and one fake upstream that replays whichever case a request names, under a path
// prefix per upstream protocol.
import { basename } from 'node:path';
import { startFakeUpstream, type CannedResponse, type FakeUpstream, type RecordedRequest } from '../../support/fake-upstream.ts';
import { listFixtures, type Fixture } from '../../support/fixtures.ts';
import { foldRecording, httpErrorMessage, type Format, type Transcript } from './oracle.ts';

type Json = Record<string, any>;

export const FORMATS: readonly Format[] = ['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'ollama'];

/** Per upstream protocol: the provider entry in llm-mux's config and where its requests land. */
export const UPSTREAMS: Record<Format, { provider: string; prefix: string; model: string; key: string; path: RegExp }> = {
  'openai-chat': { provider: 'up-chat', prefix: '/chat/v1', model: 'm-openai-chat', key: 'sk-up-chat', path: /^\/chat\/v1\/chat\/completions$/ },
  'openai-responses': { provider: 'up-responses', prefix: '/responses/v1', model: 'm-openai-responses', key: 'sk-up-responses', path: /^\/responses\/v1\/responses$/ },
  anthropic: { provider: 'up-anthropic', prefix: '/anthropic/v1', model: 'm-anthropic', key: 'sk-up-anthropic', path: /^\/anthropic\/v1\/messages$/ },
  gemini: {
    provider: 'up-gemini',
    prefix: '/gemini/v1beta',
    model: 'm-gemini',
    key: 'sk-up-gemini',
    path: /^\/gemini\/v1beta\/models\/m-gemini:(generateContent|streamGenerateContent\?alt=sse)$/,
  },
  ollama: { provider: 'up-ollama', prefix: '/ollama', model: 'm-ollama', key: 'sk-up-ollama', path: /^\/ollama\/api\/chat$/ },
};

export type Kind = 'answer' | 'stream-error' | 'http-error';

export interface Case {
  /** `format/file`, with `#n` for the turns of a recording that holds several responses. */
  id: string;
  format: Format;
  file: string;
  status: number;
  contentType: string;
  /** What the fake upstream sends (the recording, or the derivation `note` describes). */
  body: Buffer;
  kind: Kind;
  /** The oracle's reading of the recording. */
  expected: Transcript;
  /** Bytes per piece: 64..512, different per case, so piece boundaries fall all over the events. */
  chunkSize: number;
  /** Whether the recording is a stream (SSE / NDJSON) or one JSON answer. */
  streamed: boolean;
  note?: string;
}

function kindOf(status: number, expected: Transcript): Kind {
  if (status >= 400) return 'http-error';
  return expected.error ? 'stream-error' : 'answer';
}

/**
 * vercel/ai concatenated four Responses streams of one tool loop in one recording; no
 * upstream sends that in one body, so each response is a case of its own.
 */
function splitResponses(fixture: Fixture): Array<{ suffix: string; body: Buffer }> {
  const events = fixture.body.toString('utf8').split(/(?<=\n\n)/);
  const turns: string[][] = [[]];
  let created = false;
  for (const event of events) {
    if (/"type":"response\.created"/.test(event)) {
      if (created) turns.push([]);
      created = true;
    }
    turns.at(-1)!.push(event);
  }
  if (turns.length === 1) return [{ suffix: '', body: fixture.body }];
  return turns.map((turn, index) => ({ suffix: `#${index + 1}`, body: Buffer.from(turn.join(''), 'utf8') }));
}

/**
 * A Gemini JSON-array stream (streamGenerateContent without alt=sse) answers a request llm-mux
 * never makes upstream (it always asks for alt=sse): served as the SSE stream Google sends
 * for the same elements (one compact `data:` event each, CRLF CRLF).
 */
function jsonArrayAsSse(body: Buffer): Buffer {
  const elements = JSON.parse(body.toString('utf8')) as unknown[];
  return Buffer.from(elements.map((element) => `data: ${JSON.stringify(element)}\r\n\r\n`).join(''), 'utf8');
}

export function loadCases(): Case[] {
  const cases: Case[] = [];
  for (const format of FORMATS) {
    for (const fixture of listFixtures(format)) {
      const file = basename(fixture.name);
      let variants = [{ suffix: '', body: fixture.body, contentType: fixture.contentType, note: undefined as string | undefined }];
      if (file.endsWith('.json-array-stream.json')) {
        variants = [{ suffix: '', body: jsonArrayAsSse(fixture.body), contentType: 'text/event-stream', note: 'JSON-array stream served as SSE (llm-mux asks Gemini for alt=sse)' }];
      } else if (format === 'openai-responses' && fixture.contentType === 'text/event-stream') {
        const turns = splitResponses(fixture);
        variants = turns.map(({ suffix, body }) => ({
          suffix,
          body,
          contentType: fixture.contentType,
          note: suffix ? `response ${suffix.slice(1)} of ${turns.length} concatenated in the recording` : undefined,
        }));
      }
      for (const variant of variants) {
        const text = variant.body.toString('utf8');
        const expected: Transcript =
          fixture.status >= 400
            ? { choices: [], signatures: [], redacted: [], error: { message: httpErrorMessage(format, text), status: fixture.status } }
            : foldRecording(format, text, variant.contentType);
        const id = `${fixture.name}${variant.suffix}`;
        cases.push({
          id,
          format,
          file: `${file}${variant.suffix}`,
          status: fixture.status,
          contentType: variant.contentType,
          body: variant.body,
          kind: kindOf(fixture.status, expected),
          expected,
          chunkSize: 64 + (hash(id) % 449),
          streamed: variant.contentType !== 'application/json',
          ...(variant.note ? { note: variant.note } : {}),
        });
      }
    }
  }
  return cases;
}

function hash(text: string): number {
  let value = 7;
  for (const char of text) value = (value * 31 + char.charCodeAt(0)) >>> 0;
  return value;
}

/** How a prompt names the case the upstream is to replay; the last tag in a request body wins. */
export function tag(caseId: string, nonce = ''): string {
  return `Replay [[fixture:${caseId}]]${nonce ? ` nonce ${nonce}` : ''}`;
}

const TAG = /\[\[fixture:([^\]]+)\]\]/g;

/** A 1×1 PNG the upstream also serves at /image.png, for image requests with a URL. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

export interface MatrixUpstream extends FakeUpstream {
  /** The upstream requests whose body contains `needle` (a nonce). */
  requestsWith(needle: string): RecordedRequest[];
}

/**
 * One loopback server for every upstream protocol. The path prefix says which protocol was
 * called; the fixture tag in the body says what to replay, in small pieces with a 1 ms
 * pause between them so events split across reads. A request in the wrong place, or
 * naming a case of another protocol, is answered 599 with the reason.
 */
export async function startMatrixUpstream(cases: readonly Case[]): Promise<MatrixUpstream> {
  const byId = new Map(cases.map((entry) => [entry.id, entry]));
  const upstream = await startFakeUpstream((request) => answer(request, byId));
  return {
    ...upstream,
    requestsWith: (needle) => upstream.requests.filter((request) => request.body.includes(needle)),
  };
}

function answer(request: RecordedRequest, byId: Map<string, Case>): CannedResponse {
  if (request.method === 'GET' && request.url === '/image.png') return { headers: { 'content-type': 'image/png' }, body: PNG };
  const format = FORMATS.find((candidate) => request.url.startsWith(`${UPSTREAMS[candidate].prefix}/`));
  const id = [...request.body.matchAll(TAG)].at(-1)?.[1];
  const entry = id === undefined ? undefined : byId.get(id);
  const problem = (message: string): CannedResponse => ({ status: 599, headers: { 'content-type': 'text/plain' }, body: `fake upstream: ${message}` });
  if (!format) return problem(`no upstream protocol under ${request.method} ${request.url}`);
  if (!UPSTREAMS[format].path.test(request.url)) return problem(`${format} is not called at ${request.url}`);
  if (!entry) return problem(`no fixture named in the request (${id ?? 'no tag'})`);
  if (entry.format !== format) return problem(`${entry.id} is a ${entry.format} recording, asked of the ${format} upstream`);
  const streaming = format === 'gemini' ? request.url.includes(':streamGenerateContent') : /"stream"\s*:\s*true/.test(request.body) || (format === 'ollama' && !/"stream"\s*:\s*false/.test(request.body));
  const { body, contentType } = served(entry, streaming);
  return { status: entry.status, headers: { 'content-type': contentType }, body, chunkSize: entry.chunkSize, delayMs: 1 };
}

/**
 * What the upstream sends for `entry`: the recording, except that a recorded JSON answer
 * asked for as a stream is sent as a one-element stream of its protocol (a real server
 * streams when asked; only same-protocol passthrough would otherwise notice).
 */
export function served(entry: Case, streaming: boolean): { body: Buffer; contentType: string } {
  if (!streaming || entry.streamed || entry.status >= 400) return { body: entry.body, contentType: entry.contentType };
  const compact = JSON.stringify(JSON.parse(entry.body.toString('utf8')));
  if (entry.format === 'ollama') return { body: Buffer.from(`${compact}\n`), contentType: 'application/x-ndjson' };
  if (entry.format === 'gemini') return { body: Buffer.from(`data: ${compact}\r\n\r\n`), contentType: 'text/event-stream' };
  return { body: entry.body, contentType: entry.contentType };
}

export type ContentKind = 'text' | 'reasoning' | 'tools';

/**
 * Where in a streamed body (as a fraction of its length) the first piece of each kind of
 * content starts: a client that streams must see its first bytes soon after that point.
 */
export function contentOffsets(format: Format, body: Buffer): Partial<Record<ContentKind, number>> {
  const text = body.toString('utf8');
  const offsets: Partial<Record<ContentKind, number>> = {};
  const separator = format === 'ollama' ? /\n/g : /\r?\n\r?\n/g;
  let start = 0;
  for (const match of [...text.matchAll(separator), { index: text.length, 0: '' }]) {
    const block = text.slice(start, match.index);
    const at = start / text.length;
    start = match.index! + match[0].length;
    const data = format === 'ollama' ? block : block.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5)).join('\n');
    let json: Json;
    try {
      json = JSON.parse(data) as Json;
    } catch {
      continue;
    }
    for (const kind of kindsIn(format, json)) offsets[kind] ??= at;
  }
  return offsets;
}

function kindsIn(format: Format, json: Json): ContentKind[] {
  const kinds = new Set<ContentKind>();
  switch (format) {
    case 'openai-chat':
      for (const choice of json.choices ?? []) {
        const delta = choice.delta ?? {};
        if (delta.content || delta.refusal) kinds.add('text');
        if (delta.reasoning_content || delta.reasoning) kinds.add('reasoning');
        if (delta.tool_calls) kinds.add('tools');
      }
      break;
    case 'openai-responses':
      if (json.type === 'response.output_text.delta' || json.type === 'response.refusal.delta') kinds.add('text');
      if (/^response\.reasoning_(summary_)?text\.delta$/.test(json.type ?? '')) kinds.add('reasoning');
      if (json.type === 'response.output_item.added' && json.item?.type === 'function_call') kinds.add('tools');
      break;
    case 'anthropic':
      if (json.delta?.type === 'text_delta') kinds.add('text');
      if (json.delta?.type === 'thinking_delta') kinds.add('reasoning');
      if (json.content_block?.type === 'tool_use') kinds.add('tools');
      break;
    case 'gemini':
      for (const candidate of json.candidates ?? []) {
        for (const part of candidate.content?.parts ?? []) {
          if (part.text && !part.thought) kinds.add('text');
          if (part.text && part.thought) kinds.add('reasoning');
          if (part.functionCall) kinds.add('tools');
        }
      }
      break;
    case 'ollama':
      if (json.message?.content || json.response) kinds.add('text');
      if (json.message?.thinking || json.thinking) kinds.add('reasoning');
      if (json.message?.tool_calls) kinds.add('tools');
      break;
  }
  return [...kinds];
}
