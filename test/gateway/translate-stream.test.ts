// translateStream's byte lane (src/gateway/text-lane.ts) must not change a single byte the
// client receives: every stream here, split into reads every which way, is translated
// twice, with the lane and without it (the same codec, its decoder stripped of
// `textSlot`), and the two outputs compared byte for byte.
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ByteOutput } from '../../src/gateway/byte-output.ts';
import type { StreamOutcome } from '../../src/gateway/observe.ts';
import { TextLane } from '../../src/gateway/text-lane.ts';
import { translateStream } from '../../src/gateway/translate-stream.ts';
import { anthropicInbound, anthropicOutbound } from '../../src/protocols/anthropic/index.ts';
import type { ClientContext, OutboundCodec, StreamDecoder, StreamEncoder, TextFrame, TextSlot } from '../../src/protocols/codec.ts';
import { createGeminiStreamEncoder } from '../../src/protocols/gemini/index.ts';
import { ollamaInbound } from '../../src/protocols/ollama/index.ts';
import { chatInbound, chatOutbound } from '../../src/protocols/openai-chat/index.ts';
import { responsesInbound } from '../../src/protocols/openai-responses/index.ts';
import { listFixtures, type Fixture } from '../support/fixtures.ts';

// Ids the codecs make up (Responses item ids, ids the upstream left out) come from
// node:crypto's random bytes: all zeros here, so the two runs of a stream get the same ones.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, randomBytes: (size: number) => Buffer.alloc(size) };
});

// Creation times and Ollama's durations the codecs take from the clocks: one fixed instant for both runs.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date', 'performance'], now: new Date('2025-06-01T12:00:00Z') });
});
afterAll(() => {
  vi.useRealTimers();
});

const CONTEXT: ClientContext = { model: 'client-model', streamUsage: true };

interface Client {
  name: string;
  create(): StreamEncoder;
  /** Whether its encoder offers the lane a frame at all. */
  framesText: boolean;
}

const LANE_CLIENTS: Client[] = [
  { name: 'OpenAI Chat', create: () => chatInbound.createStreamEncoder(CONTEXT), framesText: true },
  { name: 'Anthropic', create: () => anthropicInbound.createStreamEncoder(CONTEXT), framesText: true },
  { name: 'Gemini SSE', create: () => createGeminiStreamEncoder(CONTEXT, { framing: 'sse' }), framesText: true },
];

const CLIENTS: Client[] = [
  ...LANE_CLIENTS,
  // textFrame present but never a frame: the lane exists and asks, and always gets none.
  { name: 'Gemini JSON array', create: () => createGeminiStreamEncoder(CONTEXT, { framing: 'json-array' }), framesText: false },
  // No textFrame at all: no lane.
  { name: 'OpenAI Responses', create: () => responsesInbound.createStreamEncoder(CONTEXT), framesText: false },
  { name: 'Ollama', create: () => ollamaInbound.createStreamEncoder(CONTEXT), framesText: false },
];

const CHAT_CLIENT = LANE_CLIENTS[0]!;
const ANTHROPIC_CLIENT = LANE_CLIENTS[1]!;

/** The same codec, with a decoder that offers no text slot: `TextLane.between` gives no lane. */
function withoutLane(codec: OutboundCodec): OutboundCodec {
  return {
    ...codec,
    createStreamDecoder(): StreamDecoder {
      const decoder = codec.createStreamDecoder();
      return { push: (message) => decoder.push(message), end: () => decoder.end() };
    },
  };
}

const UPSTREAMS = {
  'openai-chat': { lane: chatOutbound, full: withoutLane(chatOutbound) },
  anthropic: { lane: anthropicOutbound, full: withoutLane(anthropicOutbound) },
} as const;
type Upstream = keyof typeof UPSTREAMS;

/** An upstream body whose reads are exactly `reads`, then its end (or `failure`). */
function upstreamBody(reads: Uint8Array[], failure?: Error, onCancel?: (reason: unknown) => void): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (next < reads.length) controller.enqueue(reads[next++]!);
        else if (failure) controller.error(failure);
        else controller.close();
      },
      cancel: onCancel,
    },
    { highWaterMark: 0 },
  );
}

interface Translated {
  bytes: Buffer;
  /** What onEnd got (a copy taken at the call), and how many times it was called. */
  outcome: StreamOutcome | undefined;
  endCalls: number;
}

async function translateReads(reads: Uint8Array[], codec: OutboundCodec, client: Client, failure?: Error): Promise<Translated> {
  let outcome: StreamOutcome | undefined;
  let endCalls = 0;
  const out = translateStream(upstreamBody(reads, failure), codec, client.create(), (ended) => {
    endCalls++;
    outcome = structuredClone(ended);
  });
  const chunks: Uint8Array[] = [];
  const reader = out.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return { bytes: Buffer.concat(chunks), outcome, endCalls };
}

/** The body cut at these offsets, each read a copy in a plain Uint8Array as fetch hands them out. */
function cutAt(body: Buffer, offsets: Iterable<number>): Uint8Array[] {
  const bounds = [...new Set([0, ...offsets, body.length])].filter((at) => at >= 0 && at <= body.length).sort((a, b) => a - b);
  const reads: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) reads.push(Uint8Array.from(body.subarray(bounds[i], bounds[i + 1])));
  return reads;
}

function everyNBytes(body: Buffer, size: number): number[] {
  const offsets: number[] = [];
  for (let at = size; at < body.length; at += size) offsets.push(at);
  return offsets;
}

/** The offsets right after each blank line ending an SSE event (LF or CRLF). */
function afterEachEvent(body: Buffer): number[] {
  const offsets: number[] = [];
  const text = body.toString('latin1');
  for (const match of text.matchAll(/\r?\n\r?\n/g)) offsets.push(match.index + match[0].length);
  return offsets;
}

/**
 * Ways to split a body into reads. Clients whose encoder frames no text have no lane to
 * differ by: a few splits do for them.
 */
function splits(body: Buffer, client: Client, { bytewise = true } = {}): number[][] {
  if (!client.framesText) return [[], afterEachEvent(body), everyNBytes(body, 64)];
  return [[], afterEachEvent(body), ...(bytewise ? [everyNBytes(body, 1)] : []), everyNBytes(body, 7), everyNBytes(body, 64)];
}

/** Translates `reads` with the lane and without it; they must agree byte for byte (and on the outcome). */
async function expectLaneChangesNothing(upstream: Upstream, reads: Uint8Array[], client: Client, failure?: Error): Promise<Translated> {
  const { lane, full } = UPSTREAMS[upstream];
  const withLane = await translateReads(reads, lane, client, failure);
  const fullWay = await translateReads(reads, full, client, failure);
  const where = `${upstream} → ${client.name}, reads of ${reads.map((read) => read.length).join(',')} bytes`;
  expect(withLane.bytes.toString('utf8'), where).toBe(fullWay.bytes.toString('utf8'));
  expect(withLane.bytes.equals(fullWay.bytes), where).toBe(true);
  expect(withLane.outcome, where).toEqual(fullWay.outcome);
  expect(withLane.endCalls, where).toBe(1);
  expect(fullWay.endCalls, where).toBe(1);
  return withLane;
}

// Observes (does not replace) the lane's `take`: how many events it translated itself.
const take = vi.spyOn(TextLane.prototype, 'take');
beforeEach(() => {
  take.mockClear();
});
function eventsTheLaneTook(): number {
  return take.mock.results.filter((result) => result.type === 'return' && (result.value as number) >= 0).length;
}

// ---------------------------------------------------------------------------------------
// 1. Recorded upstream streams.

const RECORDED: Array<{ upstream: Upstream; fixture: Fixture }> = (['openai-chat', 'anthropic'] as const).flatMap((upstream) =>
  listFixtures(upstream)
    .filter((fixture) => fixture.contentType === 'text/event-stream')
    .map((fixture) => ({ upstream, fixture })),
);

/** Past this size a body is not also cut into 1-byte reads (it would take long, and says no more). */
const BYTEWISE_LIMIT = 4 * 1024;

describe('translateStream: the byte lane gives the same bytes as the full path, on recorded streams', () => {
  it('has the recorded Chat and Anthropic streams to replay', () => {
    expect(RECORDED.filter((entry) => entry.upstream === 'openai-chat').length).toBeGreaterThanOrEqual(10);
    expect(RECORDED.filter((entry) => entry.upstream === 'anthropic').length).toBeGreaterThanOrEqual(7);
  });

  for (const { upstream, fixture } of RECORDED) {
    it(`${fixture.name}: split every way, to every client`, async () => {
      for (const client of CLIENTS) {
        for (const offsets of splits(fixture.body, client, { bytewise: fixture.body.length <= BYTEWISE_LIMIT })) {
          await expectLaneChangesNothing(upstream, cutAt(fixture.body, offsets), client);
        }
      }
    });
  }

  it('at seeded random cut points', async () => {
    const cases = RECORDED.flatMap((entry) => CLIENTS.map((client) => ({ ...entry, client })));
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: cases.length - 1 }),
        fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        async (index, fractions) => {
          const { upstream, fixture, client } = cases[index]!;
          const offsets = fractions.map((fraction) => Math.floor(fraction * fixture.body.length));
          await expectLaneChangesNothing(upstream, cutAt(fixture.body, offsets), client);
        },
      ),
      { seed: 20_250_601, numRuns: 100 },
    );
  });

  it('the lane really takes the recorded tokens (Chat with and without obfuscation padding; Anthropic padded inside its JSON)', async () => {
    // All token chunks but the first text (the slot is learnt from it; the role chunk carries ""), give or take
    // the odd chunk in another envelope or with an escape in its text. Anthropic pads inside the JSON, before its
    // last brace, with a different width nearly every time: the lane reads past JSON whitespace of any width.
    const expected: Array<[string, number]> = [
      ['openai-chat/gpt-4.1-nano-text-obfuscation-usage.chunks.ndjson', 280],
      ['openai-chat/gpt-4o-text-with-usage.sse', 25],
      ['anthropic/sonnet-4.5-redacted-thinking.sse', 12],
      ['anthropic/web-search-server-tool-citations.sse', 70],
    ];
    for (const [name, atLeast] of expected) {
      const { upstream, fixture } = RECORDED.find((entry) => entry.fixture.name === name)!;
      for (const client of LANE_CLIENTS) {
        for (const offsets of [[], afterEachEvent(fixture.body)]) {
          take.mockClear();
          await expectLaneChangesNothing(upstream, cutAt(fixture.body, offsets), client);
          expect(eventsTheLaneTook(), `${name} → ${client.name}`).toBeGreaterThanOrEqual(atLeast);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------
// 2. Hand-built streams, one per branch of TextLane.match and of the boundary handling.

const LF_BLANK = '\n\n';

/** A body from text and raw bytes (for malformed UTF-8). */
function body(...parts: Array<string | Uint8Array>): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
}

const CHAT_ENVELOPE = '"id":"chatcmpl-lane","object":"chat.completion.chunk","created":1700000000,"model":"gpt-lane"';

/** A Chat chunk's data line and blank line; `padding` appends OpenAI's obfuscation field. */
function chatEvent(choices: string, { padding, extra = '' }: { padding?: string; extra?: string } = {}): string {
  const pad = padding === undefined ? '' : `,"obfuscation":"${padding}"`;
  return `data: {${CHAT_ENVELOPE},"choices":[${choices}]${extra}${pad}}${LF_BLANK}`;
}

/** A text-only Chat chunk; `literal` is the content's JSON string literal exactly as sent. */
function chatToken(literal: string, options: { choice?: number; padding?: string } = {}): string {
  return chatEvent(`{"index":${options.choice ?? 0},"delta":{"content":${literal}},"logprobs":null,"finish_reason":null}`, options);
}

const q = (text: string) => JSON.stringify(text);

function chatRole(choice = 0, padding?: string): string {
  return chatEvent(`{"index":${choice},"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`, { padding });
}

function chatFinish(choice = 0, reason = 'stop'): string {
  return chatEvent(`{"index":${choice},"delta":{},"logprobs":null,"finish_reason":"${reason}"}`);
}

const CHAT_USAGE = `data: {${CHAT_ENVELOPE},"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":40,"total_tokens":49}}${LF_BLANK}`;
const CHAT_DONE = `data: [DONE]${LF_BLANK}`;

function chatTokens(words: string[], options: { choice?: number; padding?: string } = {}): string {
  return words.map((word, i) => chatToken(q(word), { ...options, padding: options.padding && `${options.padding}${i}` })).join('');
}

const WORDS = Array.from({ length: 40 }, (_, i) => (i === 0 ? 'Once' : ` w${i}`));

function chatStream(...middle: Array<string | Uint8Array>): Buffer {
  return body(chatRole(), ...middle, chatFinish(), CHAT_USAGE, CHAT_DONE);
}

const ANTHROPIC_START =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_lane","type":"message","role":"assistant","model":"claude-lane","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}\n\n';

function anthropicEvent(type: string, json: string, pad = ''): string {
  return `event: ${type}\ndata: ${json}${pad}${LF_BLANK}`;
}

function anthropicBlockStart(index: number, kind: 'text' | 'thinking' = 'text'): string {
  const block = kind === 'text' ? '{"type":"text","text":""}' : '{"type":"thinking","thinking":"","signature":""}';
  return anthropicEvent('content_block_start', `{"type":"content_block_start","index":${index},"content_block":${block}}`);
}

/** A text delta; `literal` is the text's JSON string literal exactly as sent, `pad` trails the JSON. */
function anthropicToken(literal: string, { index = 0, pad = '' }: { index?: number; pad?: string } = {}): string {
  return anthropicEvent('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${literal}}}`, pad);
}

function anthropicTokens(words: string[], options: { index?: number; pad?: string } = {}): string {
  return words.map((word) => anthropicToken(q(word), options)).join('');
}

function anthropicBlockStop(index: number): string {
  return anthropicEvent('content_block_stop', `{"type":"content_block_stop","index":${index}}`);
}

const ANTHROPIC_END =
  anthropicEvent('message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":42}}') +
  anthropicEvent('message_stop', '{"type":"message_stop"}');

const ANTHROPIC_PING = anthropicEvent('ping', '{"type": "ping"}');

/** One text block at index 0 around `middle`. */
function anthropicStream(...middle: Array<string | Uint8Array>): Buffer {
  return body(ANTHROPIC_START, anthropicBlockStart(0), ...middle, anthropicBlockStop(0), ANTHROPIC_END);
}

const MALFORMED_UTF8 = [
  Uint8Array.of(0xff), // never a UTF-8 byte
  Uint8Array.of(0xc3), // a lead byte with no continuation (the quote follows)
  Uint8Array.of(0xc0, 0xaf), // overlong
  Uint8Array.of(0xed, 0xa0, 0x80), // a surrogate
  Uint8Array.of(0xe2, 0x28, 0xa1), // a bad second byte
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // past U+10FFFF
  Uint8Array.of(0x80), // a lone continuation byte
];

interface Synthetic {
  name: string;
  upstream: Upstream;
  body: Buffer;
  /** The lane must translate at least this many of its events itself, whole and event by event (against a vacuous pass); 0: none. */
  laneTakes?: number;
}

/** Offsets inside each multi-byte UTF-8 character of `body` (before its continuation bytes). */
function insideCharacters(bytes: Buffer): number[] {
  const offsets: number[] = [];
  bytes.forEach((byte, offset) => {
    if ((byte & 0xc0) === 0x80) offsets.push(offset);
  });
  return offsets;
}

const NON_ASCII_WORDS = ['é', ' ü', ' 日本', '語', ' 🦙', '🤔!', ' ¿qué?', ' €', ' 𝄞 ', '\u2028', '\u007f'];

const SYNTHETIC: Synthetic[] = [
  // -- OpenAI Chat
  { name: 'Chat: plain tokens', upstream: 'openai-chat', body: chatStream(chatTokens(WORDS)), laneTakes: 39 },
  {
    name: 'Chat: tokens with escapes between plain ones',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 5)),
      chatToken('"say \\"hi\\""'),
      chatToken('"line\\nbreak"'),
      chatToken('"caf\\u00e9"'),
      chatToken('"back\\\\slash"'),
      chatToken('"\\/slash"'),
      chatToken('"tab\\t"'),
      chatToken('"\\ud83e\\udd99"'),
      chatTokens(WORDS.slice(5, 10)),
    ),
    laneTakes: 9,
  },
  {
    name: 'Chat: non-ASCII text (2, 3 and 4-byte UTF-8)',
    upstream: 'openai-chat',
    body: chatStream(chatTokens(WORDS.slice(0, 3)), chatTokens(NON_ASCII_WORDS), chatTokens(WORDS.slice(3, 6))),
    laneTakes: 16,
  },
  {
    name: 'Chat: malformed UTF-8 inside tokens',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 3)),
      ...MALFORMED_UTF8.flatMap((bad) => [
        'data: {' + CHAT_ENVELOPE + ',"choices":[{"index":0,"delta":{"content":"a',
        bad,
        'b"},"logprobs":null,"finish_reason":null}]}\n\n',
        chatToken(q(' ok')),
      ]),
      // Malformed at the very end of the text, right before the closing quote.
      'data: {' + CHAT_ENVELOPE + ',"choices":[{"index":0,"delta":{"content":"end',
      Uint8Array.of(0xf0, 0x9f),
      '"},"logprobs":null,"finish_reason":null}]}\n\n',
      chatTokens(WORDS.slice(3, 6)),
    ),
    laneTakes: 12,
  },
  {
    name: 'Chat: empty-text tokens between plain ones',
    upstream: 'openai-chat',
    body: chatStream(chatTokens(WORDS.slice(0, 4)), chatToken('""'), chatToken('""'), chatTokens(WORDS.slice(4, 8))),
    laneTakes: 7,
  },
  {
    name: 'Chat: obfuscation padding on every chunk (learnt padded)',
    upstream: 'openai-chat',
    body: body(chatRole(0, 'Qup1Bs'), chatTokens(WORDS, { padding: 'pAd' }), chatFinish(), CHAT_USAGE, CHAT_DONE),
    laneTakes: 39,
  },
  {
    name: 'Chat: padding that comes and goes (learnt without, then with, then without)',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 5)),
      chatTokens(WORDS.slice(5, 10), { padding: 'x' }),
      chatTokens(WORDS.slice(10, 15)),
      chatTokens(WORDS.slice(15, 20), { padding: 'y' }),
    ),
    laneTakes: 16,
  },
  {
    name: 'Chat: odd padding (empty, non-ASCII, escaped, not last, no closing brace, spaces after, a control character)',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 4), { padding: 'p' }),
      chatToken(q(' e'), { padding: '' }),
      chatToken(q(' n'), { padding: 'ñé日🦙' }),
      chatToken(q(' s'), { padding: 'a\\"b' }),
      chatTokens(WORDS.slice(4, 8), { padding: 'p' }),
      chatEvent(`{"index":0,"delta":{"content":" m"},"logprobs":null,"finish_reason":null}`, { padding: 'z' }).replace('"}\n\n', '","x":1}\n\n'),
      chatTokens(WORDS.slice(8, 12), { padding: 'p' }),
      `data: {${CHAT_ENVELOPE},"choices":[{"index":0,"delta":{"content":" b"},"logprobs":null,"finish_reason":null}],"obfuscation":"q" }${LF_BLANK}`,
      chatTokens(WORDS.slice(12, 16), { padding: 'p' }),
      chatToken(q(' t'), { padding: 'abc' }).replace('}\n\n', '}  \n\n'),
      chatTokens(WORDS.slice(16, 20), { padding: 'p' }),
      // Not JSON (a raw tab in a string): the stream fails there, either way; nothing after it is taken.
      chatToken(q(' c'), { padding: 'a\tb' }),
      chatTokens(WORDS.slice(20, 24), { padding: 'p' }),
    ),
    laneTakes: 17,
  },
  {
    name: 'Chat: CRLF framing throughout',
    upstream: 'openai-chat',
    body: Buffer.from(chatStream(chatTokens(WORDS.slice(0, 12))).toString('utf8').replaceAll('\n', '\r\n')),
    laneTakes: 0,
  },
  {
    name: 'Chat: a few CRLF events in an LF stream',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 6)),
      chatTokens(WORDS.slice(6, 9)).replaceAll('\n', '\r\n'),
      chatToken(q(' lf-cr')).replace('\n\n', '\n\r\n'),
      chatToken(q(' cr-lf')).replace('\n\n', '\r\n\n'),
      chatToken(q(' cr')).replace('\n\n', '\r\r'),
      chatTokens(WORDS.slice(9, 18)),
    ),
    laneTakes: 13,
  },
  {
    name: 'Chat: data: without a space, and with two, between plain tokens',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 5)),
      chatToken(q(' nospace')).replace('data: ', 'data:'),
      chatToken(q(' twospaces')).replace('data: ', 'data:  '),
      chatTokens(WORDS.slice(5, 10)),
    ),
    laneTakes: 8,
  },
  {
    name: 'Chat: comments, an id: line, retry:, an event: name, two data lines, a blank line too many',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 4)),
      ': OPENROUTER PROCESSING\n\n',
      chatTokens(WORDS.slice(4, 6)),
      `: keep-alive\n${chatToken(q(' after-comment'))}`,
      `id: 7\n${chatToken(q(' with-id'))}`,
      chatTokens(WORDS.slice(6, 8)),
      `retry: 100\n${chatToken(q(' with-retry'))}`,
      `event: message\n${chatToken(q(' named'))}`,
      chatToken(q(' split')).replace('"choices":', '\ndata: "choices":'),
      chatToken(q(' trailing-blank')) + '\n',
      chatTokens(WORDS.slice(8, 14)),
    ),
    laneTakes: 12,
  },
  {
    name: 'Chat: two choices, interleaved and in runs (n=2)',
    upstream: 'openai-chat',
    body: body(
      chatRole(0),
      chatRole(1),
      chatTokens(WORDS.slice(0, 10), { choice: 0 }),
      chatTokens(WORDS.slice(10, 20), { choice: 1 }),
      chatTokens(WORDS.slice(20, 25), { choice: 0 }),
      // Interleaved: every event misses the slot the one before left, and the lane gives up after 8.
      ...WORDS.slice(25, 35).flatMap((word) => [chatToken(q(word), { choice: 0 }), chatToken(q(word.toUpperCase()), { choice: 1 })]),
      chatFinish(0),
      chatTokens(WORDS.slice(35, 40), { choice: 1 }),
      chatFinish(1),
      CHAT_USAGE,
      CHAT_DONE,
    ),
    laneTakes: 14,
  },
  {
    name: 'Chat: text, a tool call, text again',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 8)),
      chatEvent('{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_lane","type":"function","function":{"name":"lookup","arguments":""}}]},"finish_reason":null}'),
      chatEvent('{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"q\\":"}}]},"finish_reason":null}'),
      chatEvent('{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"x\\"}"}}]},"finish_reason":null}'),
      chatTokens(WORDS.slice(8, 20)),
      chatEvent('{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null}'),
      chatTokens(WORDS.slice(20, 26)),
    ),
    laneTakes: 7,
  },
  {
    name: 'Chat: a refusal and usage riding on a token chunk',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 6)),
      chatEvent('{"index":0,"delta":{"content":" with-usage"},"logprobs":null,"finish_reason":null}', {
        extra: ',"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}',
      }),
      chatEvent('{"index":0,"delta":{"refusal":"no"},"logprobs":null,"finish_reason":null}'),
      chatTokens(WORDS.slice(6, 12)),
    ),
    laneTakes: 11,
  },
  {
    name: 'Chat: an error chunk mid-stream, tokens after it',
    upstream: 'openai-chat',
    body: body(
      chatRole(),
      chatTokens(WORDS.slice(0, 10)),
      'data: {"error":{"message":"Token limit reached","code":400}}\n\n',
      chatTokens(WORDS.slice(10, 20)),
      CHAT_DONE,
    ),
    laneTakes: 9,
  },
  {
    name: 'Chat: an event: error mid-stream, tokens after it',
    upstream: 'openai-chat',
    body: body(
      chatRole(),
      chatTokens(WORDS.slice(0, 10)),
      'event: error\ndata: {"error":{"message":"tool_use_failed","type":"invalid_request_error"}}\n\n',
      chatTokens(WORDS.slice(10, 20)),
    ),
    laneTakes: 9,
  },
  {
    name: 'Chat: a malformed chunk mid-stream',
    upstream: 'openai-chat',
    body: body(chatRole(), chatTokens(WORDS.slice(0, 10)), 'data: {"choices":[{"index":0,\n\n', chatTokens(WORDS.slice(10, 20))),
    laneTakes: 9,
  },
  {
    name: 'Chat: 8 token misses in a row close the lane; 7 do not',
    upstream: 'openai-chat',
    body: chatStream(
      chatTokens(WORDS.slice(0, 5)),
      ...Array.from({ length: 7 }, (_, i) => chatToken(`"esc\\"${i}"`)),
      chatTokens(WORDS.slice(5, 10)),
      ...Array.from({ length: 8 }, (_, i) => chatToken(`"esc\\"${i}"`)),
      chatTokens(WORDS.slice(10, 20)),
    ),
    laneTakes: 9,
  },
  {
    name: 'Chat: no [DONE] and no blank line after the last token',
    upstream: 'openai-chat',
    body: body(chatRole(), chatTokens(WORDS.slice(0, 10)), chatToken(q(' last')).slice(0, -2)),
    laneTakes: 9,
  },
  {
    name: 'Chat: tokens before any role chunk, and a model name with non-ASCII',
    upstream: 'openai-chat',
    body: body(chatTokens(WORDS.slice(0, 10)).replaceAll('gpt-lane', 'gpt-ñ日🦙'), chatFinish(), CHAT_DONE),
    laneTakes: 9,
  },

  // -- Anthropic
  { name: 'Anthropic: plain text deltas', upstream: 'anthropic', body: anthropicStream(anthropicTokens(WORDS)), laneTakes: 39 },
  {
    name: 'Anthropic: text deltas padded with trailing spaces, and with tabs',
    upstream: 'anthropic',
    body: anthropicStream(
      anthropicTokens(WORDS.slice(0, 10), { pad: '               ' }),
      anthropicTokens(WORDS.slice(10, 15), { pad: ' ' }),
      anthropicTokens(WORDS.slice(15, 20)),
      anthropicTokens(WORDS.slice(20, 25), { pad: ' \t ' }),
      anthropicToken(q(' cr-pad'), { pad: ' \r' }),
      anthropicTokens(WORDS.slice(25, 30), { pad: '  ' }),
    ),
    laneTakes: 29,
  },
  {
    name: 'Anthropic: padding inside the JSON, before its last brace (as recorded), of one width and of varying widths',
    upstream: 'anthropic',
    body: anthropicStream(
      anthropicTokens(WORDS.slice(0, 12)).replaceAll('}}\n\n', '}       }\n\n'),
      WORDS.slice(12, 30)
        .map((word, i) => anthropicToken(q(word)).replace('}}\n\n', `}${' '.repeat(i % 5)}}\n\n`))
        .join(''),
    ),
    // JSON whitespace of any width is read past: every delta but the first.
    laneTakes: 29,
  },
  {
    name: 'Anthropic: escapes, non-ASCII, malformed UTF-8 and empty text among plain deltas',
    upstream: 'anthropic',
    body: anthropicStream(
      anthropicTokens(WORDS.slice(0, 4)),
      anthropicToken('"say \\"hi\\""'),
      anthropicToken('"caf\\u00e9\\n"'),
      anthropicTokens(NON_ASCII_WORDS),
      anthropicToken('""'),
      ...MALFORMED_UTF8.flatMap((bad) => [
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a',
        bad,
        '"}}\n\n',
        anthropicToken(q(' ok')),
      ]),
      anthropicTokens(WORDS.slice(4, 8)),
    ),
    laneTakes: 25,
  },
  {
    name: 'Anthropic: pings (events and comments) between deltas',
    upstream: 'anthropic',
    body: anthropicStream(
      anthropicTokens(WORDS.slice(0, 4)),
      ANTHROPIC_PING,
      anthropicTokens(WORDS.slice(4, 8)),
      ': ping\n\n',
      anthropicTokens(WORDS.slice(8, 12)),
      `: ping\n${anthropicToken(q(' after-comment'))}`,
      `id: 3\n${anthropicToken(q(' with-id'))}`,
      anthropicToken(q(' no-space')).replace('data: ', 'data:'),
      anthropicToken(q(' event-no-space')).replace('event: ', 'event:'),
      anthropicTokens(WORDS.slice(12, 16)),
    ),
    laneTakes: 15,
  },
  {
    name: 'Anthropic: deltas with no event: lines',
    upstream: 'anthropic',
    body: anthropicStream(anthropicTokens(WORDS.slice(0, 10)).replaceAll('event: content_block_delta\n', ''), anthropicTokens(WORDS.slice(10, 14))),
    laneTakes: 12,
  },
  {
    name: 'Anthropic: CRLF framing throughout',
    upstream: 'anthropic',
    body: Buffer.from(anthropicStream(anthropicTokens(WORDS.slice(0, 12))).toString('utf8').replaceAll('\n', '\r\n')),
    laneTakes: 0,
  },
  {
    name: 'Anthropic: text, thinking, text blocks',
    upstream: 'anthropic',
    body: body(
      ANTHROPIC_START,
      anthropicBlockStart(0),
      anthropicTokens(WORDS.slice(0, 8)),
      anthropicBlockStop(0),
      anthropicBlockStart(1, 'thinking'),
      anthropicEvent('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":"Let me think"}}'),
      anthropicEvent('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":" more"}}'),
      anthropicEvent('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"EqQBCkgIARABGAIiQ"}}'),
      anthropicBlockStop(1),
      anthropicBlockStart(2),
      anthropicTokens(WORDS.slice(8, 20), { index: 2 }),
      anthropicBlockStop(2),
      ANTHROPIC_END,
    ),
    laneTakes: 18,
  },
  {
    name: 'Anthropic: a text delta for a block that is not open, and text after a tool_use',
    upstream: 'anthropic',
    body: body(
      ANTHROPIC_START,
      anthropicBlockStart(0),
      anthropicTokens(WORDS.slice(0, 6)),
      anthropicBlockStop(0),
      anthropicTokens(WORDS.slice(6, 9)),
      anthropicEvent('content_block_start', '{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_lane","name":"lookup","input":{}}}'),
      anthropicEvent('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"q\\":1}"}}'),
      anthropicBlockStop(1),
      anthropicBlockStart(2),
      anthropicTokens(WORDS.slice(9, 20), { index: 2 }),
      anthropicBlockStop(2),
      ANTHROPIC_END,
    ),
    laneTakes: 15,
  },
  {
    name: 'Anthropic: an error event mid-stream, deltas after it',
    upstream: 'anthropic',
    body: body(
      ANTHROPIC_START,
      anthropicBlockStart(0),
      anthropicTokens(WORDS.slice(0, 10)),
      anthropicEvent('error', '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'),
      anthropicTokens(WORDS.slice(10, 20)),
    ),
    laneTakes: 9,
  },
  {
    name: 'Anthropic: ends after a delta, with no blank line and no message_stop',
    upstream: 'anthropic',
    body: body(ANTHROPIC_START, anthropicBlockStart(0), anthropicTokens(WORDS.slice(0, 10)), anthropicToken(q(' last')).slice(0, -2)),
    laneTakes: 9,
  },
];

describe('translateStream: the byte lane gives the same bytes as the full path, on hand-built streams', () => {
  for (const synthetic of SYNTHETIC) {
    it(synthetic.name, async () => {
      for (const client of CLIENTS) {
        // Also cut inside every multi-byte character (before each continuation byte).
        for (const offsets of [...splits(synthetic.body, client), insideCharacters(synthetic.body)]) {
          await expectLaneChangesNothing(synthetic.upstream, cutAt(synthetic.body, offsets), client);
        }
      }
      if (synthetic.laneTakes !== undefined) {
        // Not vacuous: the lane translates tokens itself for every client that frames them.
        for (const client of LANE_CLIENTS) {
          for (const offsets of [[], afterEachEvent(synthetic.body)]) {
            take.mockClear();
            await expectLaneChangesNothing(synthetic.upstream, cutAt(synthetic.body, offsets), client);
            const took = expect(eventsTheLaneTook(), `${client.name}, ${offsets.length ? 'per event' : 'whole'}`);
            // 0: the lane must take nothing (CRLF framing); else at least that many (the least of the three clients).
            if (synthetic.laneTakes === 0) took.toBe(0);
            else took.toBeGreaterThanOrEqual(synthetic.laneTakes);
          }
        }
      }
    });
  }

  it('at seeded random cut points', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: SYNTHETIC.length - 1 }),
        fc.nat({ max: CLIENTS.length - 1 }),
        fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }),
        async (index, clientIndex, fractions) => {
          const synthetic = SYNTHETIC[index]!;
          const offsets = fractions.map((fraction) => Math.floor(fraction * synthetic.body.length));
          await expectLaneChangesNothing(synthetic.upstream, cutAt(synthetic.body, offsets), CLIENTS[clientIndex]!);
        },
      ),
      { seed: 20_250_602, numRuns: 200 },
    );
  });
});

describe('translateStream: a padding that is not JSON', () => {
  // With the lane, the decoder learns a slot per envelope for longer (asking for the slot counts
  // as reading it), so a chunk can fit a slot with the lane that it would not fit without. A
  // chunk the slot reads must then be one JSON.parse reads the same: a raw tab in OpenAI's
  // obfuscation padding makes the chunk malformed either way.
  const env = (created: number) => `{"id":"c","created":${created},"choices":[{"index":0,"delta":{"content":`;
  const STREAM = Buffer.from(
    `data: ${env(1)}"A"}}]}\n\n` +
      `data: ${env(2)}"B"}}]}\n\n` +
      `data: ${env(3)}"C"}}]}\n\n` +
      `data: ${env(4)}"D"}}],"obfuscation":"x"}\n\n` +
      `data: ${env(4)}"E"}}],"obfuscation":"\t"}\n\n`,
  );

  it('Chat: a fourth envelope in a row, then a chunk in it with a raw tab in its padding', async () => {
    await expectLaneChangesNothing('openai-chat', cutAt(STREAM, []), CHAT_CLIENT);
    const withLane = await translateReads(cutAt(STREAM, []), UPSTREAMS['openai-chat'].lane, CHAT_CLIENT);
    expect(withLane.bytes.toString('utf8')).toContain('"code":"malformed_chunk"');
    expect(withLane.outcome).toMatchObject({ failed: true });
  });
});

// ---------------------------------------------------------------------------------------
// 3. What the lane does and does not take, and where it gives up.

describe('TextLane: what it takes', () => {
  it('writes each token in the frame of its own block, when the envelope stays and the block changes back and forth', () => {
    // Stand-ins for a decoder whose token envelope stays the same while the block it decodes to changes, and
    // an encoder with a frame per block: the lane under test must not keep one block's frame for another.
    let block = 0;
    const slot = (number: number): TextSlot => ({ event: undefined, before: '{"t":', after: '}', trailer: 'none', choice: 0, block: number });
    const frames: TextFrame[] = [
      { before: Buffer.from('<a "'), after: Buffer.from('">') },
      { before: Buffer.from('<b "'), after: Buffer.from('">') },
    ];
    const decoder: StreamDecoder = { push: () => [], end: () => [], textSlot: () => slot(block) };
    const encoder: StreamEncoder = { contentType: 'text/plain', encode: () => '', end: () => '', textFrame: (_choice, number) => frames[number] };
    const lane = TextLane.between(decoder, encoder)!;
    const event = Buffer.from('data: {"t":"x"}\n\n');
    const out = new ByteOutput();
    for (const number of [0, 1, 0, 1]) {
      block = number;
      lane.moved();
      expect(lane.take(event, 0, out)).toBe(event.length);
    }
    const written: Uint8Array[] = [];
    out.flush((bytes) => written.push(bytes));
    expect(Buffer.concat(written).toString('utf8')).toBe('<a "x"><b "x"><a "x"><b "x">');
  });

  it('takes every plain token after the first it learns from, and none of the others', async () => {
    const tokens = 30;
    const stream = chatStream(chatTokens(WORDS.slice(0, tokens)));
    await expectLaneChangesNothing('openai-chat', cutAt(stream, []), CHAT_CLIENT);
    // The role chunk and the first token go the full way (the slot is learnt from a chunk without role).
    expect(eventsTheLaneTook()).toBe(tokens - 1);
  });

  it('learns the envelope of an upstream that names the role on every chunk', async () => {
    const tokens = 30;
    const named = WORDS.slice(0, tokens)
      .map((word) => chatEvent(`{"index":0,"delta":{"role":"assistant","content":${q(word)}},"logprobs":null,"finish_reason":null}`))
      .join('');
    await expectLaneChangesNothing('openai-chat', cutAt(body(named, chatFinish(), CHAT_USAGE, CHAT_DONE), []), CHAT_CLIENT);
    // Two go the full way: a role on the first chunk is OpenAI's way, a role on the second shows it stays.
    expect(eventsTheLaneTook()).toBe(tokens - 2);
  });

  it('gives up on a stream after 8 token events in a row it could not take', async () => {
    const misses = (count: number) => Array.from({ length: count }, (_, i) => anthropicToken(`"esc\\"${i}"`)).join('');
    const seven = anthropicStream(anthropicTokens(WORDS.slice(0, 5)), misses(7), anthropicTokens(WORDS.slice(5, 15)));
    await expectLaneChangesNothing('anthropic', cutAt(seven, []), ANTHROPIC_CLIENT);
    const tookAfterSeven = eventsTheLaneTook();
    expect(tookAfterSeven).toBeGreaterThanOrEqual(4 + 10 - 1);

    take.mockClear();
    const eight = anthropicStream(anthropicTokens(WORDS.slice(0, 5)), misses(8), anthropicTokens(WORDS.slice(5, 15)));
    await expectLaneChangesNothing('anthropic', cutAt(eight, []), ANTHROPIC_CLIENT);
    // Only the tokens before the misses: the lane is closed for the rest of the stream.
    expect(eventsTheLaneTook()).toBe(4);
    const calls = take.mock.calls.length;
    // And it is not even asked any more, in later reads either.
    take.mockClear();
    await expectLaneChangesNothing('anthropic', cutAt(eight, afterEachEvent(eight)), ANTHROPIC_CLIENT);
    expect(eventsTheLaneTook()).toBe(4);
    expect(take.mock.calls.length).toBeLessThanOrEqual(calls);
  });

  it('never takes an event cut by a read boundary, nor one that does not start a read at an event boundary', async () => {
    const stream = chatStream(chatTokens(WORDS.slice(0, 10)));
    // 7-byte reads: hardly an event starts and ends in one read.
    await expectLaneChangesNothing('openai-chat', cutAt(stream, everyNBytes(stream, 7)), CHAT_CLIENT);
    expect(eventsTheLaneTook()).toBe(0);
  });

  it('is not there for clients whose encoder frames no text, nor without a text slot', async () => {
    const stream = chatStream(chatTokens(WORDS));
    for (const client of CLIENTS.filter((candidate) => !candidate.framesText)) {
      take.mockClear();
      await expectLaneChangesNothing('openai-chat', cutAt(stream, []), client);
      expect(eventsTheLaneTook(), client.name).toBe(0);
    }
    take.mockClear();
    await translateReads(cutAt(stream, []), UPSTREAMS['openai-chat'].full, CHAT_CLIENT);
    expect(take).not.toHaveBeenCalled();
  });
});

// ---------------------------------------------------------------------------------------
// 4. An upstream that breaks off, and a client that goes away.

describe('translateStream: an upstream body that errors mid-stream', () => {
  const bodies: Array<[Upstream, string, Buffer]> = [
    ['openai-chat', 'Chat', chatStream(chatTokens(WORDS))],
    ['anthropic', 'Anthropic', anthropicStream(anthropicTokens(WORDS))],
  ];

  for (const [upstream, label, stream] of bodies) {
    it(`${label}: ends as the full path ends a broken stream, with onEnd failed`, async () => {
      const failure = new Error('socket hang up');
      const perEvent = afterEachEvent(stream);
      const attempts: number[][] = [
        perEvent.slice(0, 20), // breaks off at an event boundary (after 20 reads)
        [...perEvent.slice(0, 20), perEvent[20]! + 9], // breaks off inside an event
        everyNBytes(stream, 64).slice(0, 10),
        [], // one read with everything, then the error instead of the end
      ];
      for (const client of CLIENTS) {
        for (const offsets of attempts) {
          // Reads up to the last cut arrive; the rest never does.
          const reads = cutAt(stream, offsets);
          const sent = offsets.length > 0 ? reads.slice(0, -1) : reads;
          const result = await expectLaneChangesNothing(upstream, sent, client, failure);
          expect(result.outcome).toMatchObject({ failed: true, cancelled: false });
          expect(result.bytes.toString('utf8'), client.name).toContain('The upstream stream broke off: socket hang up');
        }
      }
    });
  }

  it('the client output ends with the protocol’s error ending', async () => {
    const stream = chatStream(chatTokens(WORDS));
    const reads = cutAt(stream, afterEachEvent(stream)).slice(0, 20);
    const chat = await expectLaneChangesNothing('openai-chat', reads, CHAT_CLIENT, new Error('socket hang up'));
    expect(chat.bytes.toString('utf8')).toMatch(/data: \{"error":\{[^\n]*broke off: socket hang up[^\n]*\}\}\n\ndata: \[DONE\]\n\n$/);
    const anthropic = await expectLaneChangesNothing('openai-chat', reads, ANTHROPIC_CLIENT, new Error('socket hang up'));
    expect(anthropic.bytes.toString('utf8')).toMatch(/event: error\ndata: \{"type":"error"[^\n]*broke off: socket hang up[^\n]*\}\n\n$/);
  });
});

describe('translateStream: cancelling the client stream', () => {
  /** An upstream that sends `reads` and then waits forever, noting what cancelled it. */
  function hangingUpstream(reads: Uint8Array[]) {
    const cancelled: unknown[] = [];
    let next = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (next < reads.length) controller.enqueue(reads[next++]!);
          // Else: no chunk, no end; the pending read settles only when cancelled.
        },
        cancel(reason) {
          cancelled.push(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, cancelled };
  }

  for (const [upstream, stream] of [
    ['openai-chat', chatStream(chatTokens(WORDS))],
    ['anthropic', anthropicStream(anthropicTokens(WORDS))],
  ] as Array<[Upstream, Buffer]>) {
    it(`${upstream}: between reads, cancels the upstream body and calls onEnd with cancelled`, async () => {
      for (const codec of [UPSTREAMS[upstream].lane, UPSTREAMS[upstream].full]) {
        const upstreamBody = hangingUpstream(cutAt(stream, afterEachEvent(stream)));
        const ends: StreamOutcome[] = [];
        const out = translateStream(upstreamBody.stream, codec, CHAT_CLIENT.create(), (outcome) => ends.push(structuredClone(outcome)));
        const reader = out.getReader();
        for (let i = 0; i < 5; i++) expect((await reader.read()).done).toBe(false);
        await reader.cancel('client went away');
        expect(upstreamBody.cancelled).toEqual(['client went away']);
        expect(ends).toHaveLength(1);
        expect(ends[0]).toMatchObject({ failed: false, cancelled: true });
      }
    });

    it(`${upstream}: while a read of the upstream is pending, cancels it and ends once`, async () => {
      for (const codec of [UPSTREAMS[upstream].lane, UPSTREAMS[upstream].full]) {
        // Only the first events arrive; the next pull waits on the upstream.
        const upstreamBody = hangingUpstream(cutAt(stream, afterEachEvent(stream)).slice(0, 6));
        const ends: StreamOutcome[] = [];
        const out = translateStream(upstreamBody.stream, codec, ANTHROPIC_CLIENT.create(), (outcome) => ends.push(structuredClone(outcome)));
        const reader = out.getReader();
        const received: Uint8Array[] = [];
        // Six reads make five writes (the first event alone writes nothing); the read after them stays pending.
        for (let i = 0; i < 5; i++) {
          const { done, value } = await reader.read();
          expect(done).toBe(false);
          received.push(value!);
        }
        const pending = reader.read();
        await reader.cancel('bye');
        expect(await pending).toEqual({ done: true, value: undefined });
        expect(upstreamBody.cancelled).toEqual(['bye']);
        expect(ends).toHaveLength(1);
        expect(ends[0]).toMatchObject({ failed: false, cancelled: true });
        expect(Buffer.concat(received).toString('utf8')).toContain('event: message_start');
      }
    });
  }
});
