// The translation matrix: every recorded upstream body in ../shared/wire/fixtures (all five
// protocols) × every client protocol llm-mux serves, streamed and not, end to end.
//
// One fake upstream replays the recordings in small pieces (1 ms apart, so events split
// across reads) under one path prefix per upstream protocol; one llm-mux has an
// `openai-compatible` provider per upstream protocol (model `m-<protocol>`). Each client
// protocol is driven by its official SDK (openai, @anthropic-ai/sdk, @google/genai, ollama).
// What the client must end up with is computed by an oracle per wire format
// (./matrix/oracle.ts), independent of llm-mux's codecs; what a protocol cannot carry is
// listed once, in EXCEPTIONS below. Every check lands in a results table
// (docs/translation-matrix.json, written with UPDATE_MATRIX=1; docs/translation.md is
// rendered from it by scripts/translation-doc.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATRIX_JSON } from '../../scripts/translation-doc.ts';
import { startProxy, type TestProxy } from '../support/llm-mux.ts';
import { CLIENTS, type Captured, type Client, type InboundName } from './matrix/clients.ts';
import { foldGeminiElements, type Choice, type Format, type Transcript, type Usage } from './matrix/oracle.ts';
import { FEATURES, Results, type Feature, type Matrix } from './matrix/results.ts';
import { FORMATS, PNG, UPSTREAMS, contentOffsets, loadCases, served, startMatrixUpstream, tag, type Case, type MatrixUpstream } from './matrix/upstream.ts';
import { bodyProblems, streamProblems } from './matrix/validate.ts';

// ---------------------------------------------------------------------------------------
// The switchboard: one entry per protocol. A protocol takes part once its entry is `on`.

const INBOUND: Array<{ name: InboundName; label: string; on: boolean }> = [
  { name: 'openai-chat', label: 'OpenAI Chat Completions', on: true },
  { name: 'openai-completions', label: 'OpenAI legacy Completions', on: true },
  { name: 'openai-responses', label: 'OpenAI Responses', on: true },
  { name: 'anthropic', label: 'Anthropic Messages', on: true },
  { name: 'gemini', label: 'Gemini generateContent', on: true },
  { name: 'gemini-code-assist', label: 'Gemini Code Assist (Gemini CLI; plain fetch, no public SDK)', on: true },
  { name: 'ollama-chat', label: 'Ollama /api/chat', on: true },
  { name: 'ollama-generate', label: 'Ollama /api/generate', on: true },
];

const UPSTREAM: Array<{ format: Format; label: string; on: boolean }> = [
  { format: 'openai-chat', label: 'OpenAI Chat', on: true },
  { format: 'openai-responses', label: 'OpenAI Responses', on: true },
  { format: 'anthropic', label: 'Anthropic', on: true },
  { format: 'gemini', label: 'Gemini', on: true },
  { format: 'ollama', label: 'Ollama', on: true },
];

const FEATURE_DOCS: Record<Feature, string> = {
  text: 'answer text (and refusals) reassembled by the client equals the recording',
  tools: 'tool calls: names and parsed arguments equal, in order; ids present where the client protocol has them',
  reasoning: 'reasoning text (chat reasoning_content, Responses summary, Anthropic thinking, Gemini thought parts, Ollama thinking)',
  finish: 'finish reason, normalised to stop / length / tool_calls / content_filter',
  usage: 'input and output tokens as the client protocol reports them (plus cached / cache-write / reasoning tokens where it has fields for them)',
  signatures: 'a second turn built from what the SDK returned sends every thinking signature / thoughtSignature / encrypted_content back to the upstream byte for byte',
  images: 'an image the client sends (base64, and URL where the client protocol takes URLs) reaches the upstream with the same bytes (or the URL)',
  errors: 'upstream HTTP errors and errors inside a stream reach the SDK as its API error type with the upstream status and message; the stream ends cleanly after the error',
  streaming: 'the SDK reads the stream to its end; same-protocol streams pass through byte for byte; the body ends with the protocol\'s terminator',
  schema: 'every stream event (and every whole answer or error body) validates against the official schema of the client protocol',
};

// ---------------------------------------------------------------------------------------
// Exceptions: what a client protocol cannot carry, and where the comparison is adapted.

type Rule =
  | 'not carried'
  | 'first choice only'
  | 'refusal as text'
  | 'finish content_filter on refusal'
  | 'tool_calls as stop'
  | 'usage fields'
  | 'skipped'
  // Documentation only: how a recording is replayed, or how a schema is read.
  | 'derived replay'
  | 'schema reading';

interface Exception {
  inbound?: InboundName[];
  upstream?: Format[];
  /** Case ids it applies to; every case when absent. */
  cases?: RegExp;
  feature: Feature;
  rule: Rule;
  why: string;
}

const ONE_CHOICE: InboundName[] = ['openai-responses', 'anthropic', 'ollama-chat', 'ollama-generate'];
/** Gemini's two surfaces read alike. */
const GEMINI: InboundName[] = ['gemini', 'gemini-code-assist'];

const EXCEPTIONS: Exception[] = [
  { inbound: ['openai-completions'], feature: 'tools', rule: 'not carried', why: 'legacy Completions has no tool calls: they are dropped' },
  { inbound: ['openai-completions'], feature: 'reasoning', rule: 'not carried', why: 'legacy Completions has no reasoning field' },
  { inbound: ['ollama-generate'], feature: 'tools', rule: 'not carried', why: '/api/generate answers have no tool_calls field' },
  {
    inbound: ['openai-chat', 'openai-completions', 'ollama-chat', 'ollama-generate'],
    feature: 'signatures',
    rule: 'not carried',
    why: 'no field for reasoning signatures (Chat has no standard one; Ollama has none)',
  },
  { upstream: ['openai-chat', 'ollama'], feature: 'signatures', rule: 'not carried', why: 'the upstream protocol issues no reasoning signatures' },
  { inbound: ['openai-completions'], feature: 'images', rule: 'not carried', why: 'a legacy Completions prompt is text only' },
  {
    inbound: ONE_CHOICE,
    cases: /n3-multiple-choices/,
    feature: 'text',
    rule: 'first choice only',
    why: 'the client protocol answers one choice: choice 0 is compared, the others are dropped',
  },
  {
    inbound: ['openai-completions', 'anthropic', ...GEMINI, 'ollama-chat', 'ollama-generate'],
    cases: /refusal/,
    feature: 'text',
    rule: 'refusal as text',
    why: 'no refusal field: the refusal is what the model said, so it is answer text',
  },
  {
    inbound: ['anthropic'],
    cases: /refusal/,
    feature: 'finish',
    rule: 'finish content_filter on refusal',
    why: 'Anthropic reports a refusal as stop_reason "refusal"',
  },
  {
    inbound: ['openai-completions', 'ollama-generate'],
    feature: 'finish',
    rule: 'tool_calls as stop',
    why: 'no tool calls, so no tool_calls finish: an answer that ended in tool calls reads as stop',
  },
  {
    inbound: ['gemini'],
    cases: /vertex-.*partial-args/,
    feature: 'signatures',
    rule: 'skipped',
    why: 'Vertex streamed arguments (willContinue/partialArgs) passed through to a Gemini API client: its SDK refuses to send such parts back',
  },
  { inbound: ['ollama-chat', 'ollama-generate'], feature: 'usage', rule: 'usage fields', why: 'Ollama reports prompt_eval_count and eval_count only: input and output are compared' },
  { inbound: ['anthropic'], feature: 'usage', rule: 'usage fields', why: 'input_tokens excludes cache reads and writes (compared apart); no reasoning token count' },
  { inbound: ['gemini', 'gemini-code-assist'], feature: 'usage', rule: 'usage fields', why: 'no cache-write count: input, output, cached and thoughts tokens are compared' },
  { inbound: ['openai-chat', 'openai-completions'], feature: 'usage', rule: 'usage fields', why: 'no cache-write count: prompt, completion, cached and reasoning tokens are compared' },
  {
    upstream: ['gemini'],
    cases: /json-array-stream/,
    feature: 'streaming',
    rule: 'derived replay',
    why: 'a recorded JSON-array stream (streamGenerateContent without alt=sse) is served as the alt=sse stream of the same elements: llm-mux always asks Gemini for alt=sse',
  },
  {
    upstream: ['openai-responses'],
    cases: /4-turn-tool-loop/,
    feature: 'streaming',
    rule: 'derived replay',
    why: 'the recording concatenates four Responses streams: each is a case of its own (#1 to #4)',
  },
  {
    upstream: ['gemini', 'ollama'],
    cases: /\.json$/,
    feature: 'streaming',
    rule: 'derived replay',
    why: 'a recorded JSON answer asked for as a stream is served as a one-element stream, as a real server streams when asked (a recorded stream asked for whole is served as recorded)',
  },
  {
    feature: 'schema',
    rule: 'schema reading',
    why: 'same-protocol answers carry the upstream\'s own fields (passed through byte for byte, or a Chat stream folded keeping vendor fields): they are checked for byte equality, not against the schema',
  },
  {
    inbound: ['openai-completions'],
    feature: 'schema',
    rule: 'schema reading',
    why: 'the published CreateCompletionResponse declares finish_reason non-null although streams send null until the last chunk: null is let through',
  },
  {
    inbound: ['openai-responses'],
    feature: 'schema',
    rule: 'schema reading',
    why: 'response.error.code is an enum in the published spec, but the upstream\'s own code is kept (api.openai.com sends insufficient_quota itself): any string is let through; required fields are relaxed (see shared/wire/README.md)',
  },
  {
    inbound: ['anthropic'],
    feature: 'schema',
    rule: 'schema reading',
    why: 'required fields are relaxed: the published spec requires fields the live API omits (see shared/wire/README.md)',
  },
  {
    inbound: GEMINI,
    feature: 'schema',
    rule: 'schema reading',
    why: 'Google publishes .proto files only: every JSON key must be the lowerCamelCase name of a field of GenerateContentResponse (enum values checked too); Code Assist elements are {response, traceId}',
  },
  {
    inbound: GEMINI,
    feature: 'errors',
    rule: 'schema reading',
    why: 'an error element inside a 200 stream carries a code, which the SDK reports as the status: it is compared like an HTTP status',
  },
  {
    inbound: ['openai-chat', 'openai-completions', 'openai-responses', ...GEMINI, 'ollama-chat', 'ollama-generate'],
    cases: /redacted-thinking/,
    feature: 'signatures',
    rule: 'not carried',
    why: 'redacted_thinking is Anthropic\'s own block: other client protocols have no place for it',
  },
];

function exceptionFor(inbound: InboundName, entry: Pick<Case, 'format' | 'id'> | Format, feature: Feature, rule?: Rule): Exception | undefined {
  const format = typeof entry === 'string' ? entry : entry.format;
  const id = typeof entry === 'string' ? undefined : entry.id;
  return EXCEPTIONS.find(
    (exception) =>
      exception.feature === feature &&
      (rule === undefined || exception.rule === rule) &&
      (!exception.inbound || exception.inbound.includes(inbound)) &&
      (!exception.upstream || exception.upstream.includes(format)) &&
      (!exception.cases || (id !== undefined && exception.cases.test(id))),
  );
}

function carries(inbound: InboundName, entry: Pick<Case, 'format' | 'id'>, feature: Feature): boolean {
  return exceptionFor(inbound, entry, feature, 'not carried') === undefined;
}

/** Which usage fields each client protocol reports. */
const USAGE_FIELDS: Record<InboundName, Array<keyof Usage>> = {
  'openai-chat': ['input', 'output', 'cached', 'reasoning'],
  'openai-completions': ['input', 'output', 'cached', 'reasoning'],
  'openai-responses': ['input', 'output', 'cached', 'cacheWrite', 'reasoning'],
  anthropic: ['input', 'output', 'cached', 'cacheWrite'],
  gemini: ['input', 'output', 'cached', 'reasoning'],
  'gemini-code-assist': ['input', 'output', 'cached', 'reasoning'],
  'ollama-chat': ['input', 'output'],
  'ollama-generate': ['input', 'output'],
};

// ---------------------------------------------------------------------------------------
// Known gaps: failures of llm-mux that are reported and not fixed yet. They stay in the
// results table as failures; the test passes while they fail as described, and fails once
// one passes (so the entry is removed when the bug is fixed).

interface KnownGap {
  inbound: InboundName[];
  /** Case names (`<fixture id> (<mode>)`). */
  cases: RegExp;
  feature: Feature;
  bug: string;
}

const KNOWN_GAPS: KnownGap[] = [];

function knownGap(inbound: InboundName, caseName: string, feature: Feature): KnownGap | undefined {
  return KNOWN_GAPS.find((gap) => gap.feature === feature && gap.inbound.includes(inbound) && gap.cases.test(caseName));
}

// ---------------------------------------------------------------------------------------
// Harness: one upstream and one llm-mux for the whole file.

const CASES = loadCases();
const ACTIVE_UPSTREAMS = UPSTREAM.filter((entry) => entry.on).map((entry) => entry.format);
const ACTIVE_CASES = CASES.filter((entry) => ACTIVE_UPSTREAMS.includes(entry.format));
const ACTIVE_CLIENTS = INBOUND.filter((entry) => entry.on).map((entry) => CLIENTS[entry.name]);

const results = new Results();
let upstream: MatrixUpstream;
let proxy: TestProxy;
let nonces = 0;

function proxyConfig(upstreamUrl: string): string {
  return [
    'request-retry: 0',
    'images:',
    '  allow-private-urls: true',
    'providers:',
    '  openai-compatible:',
    ...FORMATS.flatMap((format) => {
      const { provider, prefix, model, key } = UPSTREAMS[format];
      return [`    - name: ${provider}`, `      base-url: ${upstreamUrl}${prefix}`, `      protocol: ${format}`, `      api-keys: ["${key}"]`, `      models: [${model}]`];
    }),
  ].join('\n');
}

beforeAll(async () => {
  upstream = await startMatrixUpstream(CASES);
  proxy = await startProxy(proxyConfig(upstream.url));
});

afterAll(async () => {
  await Promise.all([proxy, ...ownProxies].map((started) => started?.close()));
  await upstream?.close();
});

/** Proxies started for single cases, closed with the shared one. */
const ownProxies: TestProxy[] = [];

/**
 * Where a case sends its request. A recorded 429 makes llm-mux rest the upstream's only key
 * for the model family until the reset the recording names, as it should; on the shared
 * proxy that would turn the cases running beside it into llm-mux's own 429s, so such a case
 * gets a proxy of its own.
 */
async function proxyUrlFor(entry: Case): Promise<string> {
  if (entry.status !== 429) return proxy.url;
  const own = await startProxy(proxyConfig(upstream.url));
  ownProxies.push(own);
  return own.url;
}

function nonce(): string {
  return `n${++nonces}x${Math.random().toString(36).slice(2, 8)}`;
}

// ---------------------------------------------------------------------------------------
// Checks: each one is filed under its (client, upstream, feature) cell; a case fails with
// all its failed checks listed.

class Checks {
  /** Per feature: the failure messages (empty when every check of it passed). */
  private readonly outcomes = new Map<Feature, string[]>();

  constructor(
    private readonly inbound: InboundName,
    private readonly format: Format,
    private readonly caseName: string,
  ) {}

  check(feature: Feature, run: () => void): void {
    const failures = this.outcomes.get(feature) ?? [];
    this.outcomes.set(feature, failures);
    try {
      run();
      results.record(this.inbound, this.format, feature, true, this.caseName);
    } catch (error) {
      results.record(this.inbound, this.format, feature, false, this.caseName);
      failures.push((error as Error).message);
    }
  }

  /** Fails on every unexpected failure, and on a known gap that no longer fails. */
  done(): void {
    const problems: string[] = [];
    for (const [feature, failures] of this.outcomes) {
      const gap = knownGap(this.inbound, this.caseName, feature);
      if (failures.length > 0 && !gap) problems.push(...failures.map((failure) => `[${feature}] ${failure}`));
      if (failures.length === 0 && gap) problems.push(`[${feature}] passes now, but KNOWN_GAPS lists it (${gap.bug.slice(0, 80)}…): remove the entry`);
    }
    if (problems.length > 0) throw new Error(`${this.caseName}: ${problems.length} failed check(s)\n\n${problems.join('\n\n')}`);
  }
}

/** Text blocks joined as one string: protocols with one string per answer join blocks directly or with a blank line. */
function joinings(segments: readonly string[]): string[] {
  return [...new Set([segments.join(''), segments.join('\n\n'), segments.join('\n')])];
}

function expectSameText(actual: readonly string[], expected: readonly string[], what: string): void {
  const matches = joinings(actual).some((candidate) => joinings(expected).includes(candidate));
  if (!matches) expect(actual.join(''), what).toBe(expected.join(''));
}

/** What the client should show of the recording, given what its protocol carries. */
function expectedChoices(client: Client, entry: Case): Choice[] {
  let choices = entry.expected.choices;
  if (exceptionFor(client.name, entry, 'text', 'first choice only')) choices = choices.slice(0, 1);
  return choices.map((choice) => {
    if (exceptionFor(client.name, entry, 'text', 'refusal as text') && choice.refusal) {
      return { ...choice, text: [...choice.text, choice.refusal], refusal: '' };
    }
    return choice;
  });
}

function expectedFinish(client: Client, entry: Case, index: number): string | undefined {
  const recorded = entry.expected.choices[index];
  if (exceptionFor(client.name, entry, 'finish', 'finish content_filter on refusal') && recorded?.refusal) return 'content_filter';
  if (exceptionFor(client.name, entry, 'finish', 'tool_calls as stop') && recorded?.finish === 'tool_calls') return 'stop';
  return recorded?.finish;
}

function usageView(usage: Usage | undefined, fields: ReadonlyArray<keyof Usage>): Partial<Usage> | undefined {
  if (!usage || fields.every((field) => usage[field] === 0)) return undefined;
  return Object.fromEntries(fields.map((field) => [field, usage[field]]));
}

/** The checks of an answer that reached the client in full. */
function answerChecks(checks: Checks, client: Client, entry: Case, transcript: Transcript): void {
  const want = expectedChoices(client, entry);
  const got = transcript.choices;
  checks.check('text', () => {
    expect(got.length, 'choices').toBe(want.length);
    want.forEach((choice, index) => {
      expectSameText(got[index]?.text ?? [], choice.text, `choice ${index} text`);
      expect(got[index]?.refusal ?? '', `choice ${index} refusal`).toBe(choice.refusal);
    });
  });
  if (carries(client.name, entry, 'tools')) {
    checks.check('tools', () => {
      want.forEach((choice, index) => {
        const calls = got[index]?.toolCalls ?? [];
        expect(calls.map(({ name, args }) => ({ name, args })), `choice ${index} tool calls`).toEqual(choice.toolCalls.map(({ name, args }) => ({ name, args })));
        if (client.name === 'openai-chat' || client.name === 'openai-responses' || client.name === 'anthropic') {
          const ids = calls.map((call) => call.id);
          expect(ids.every((id) => id !== ''), `tool call ids ${JSON.stringify(ids)}`).toBe(true);
          expect(new Set(ids).size, `tool call ids unique ${JSON.stringify(ids)}`).toBe(ids.length);
          // The upstream's own ids reach the client: its tool results must name them.
          const recorded = choice.toolCalls.map((call) => call.id);
          ids.forEach((id, position) => {
            if (recorded[position]) expect(id, `tool call ${position} keeps the upstream's id`).toBe(recorded[position]);
          });
        }
      });
    });
  }
  if (carries(client.name, entry, 'reasoning')) {
    checks.check('reasoning', () => {
      want.forEach((choice, index) => expectSameText(got[index]?.reasoning ?? [], choice.reasoning, `choice ${index} reasoning`));
    });
  }
  checks.check('finish', () => {
    want.forEach((_, index) => expect(got[index]?.finish, `choice ${index} finish`).toBe(expectedFinish(client, entry, index)));
  });
  checks.check('usage', () => {
    const fields = USAGE_FIELDS[client.name];
    expect(usageView(transcript.usage, fields)).toEqual(usageView(entry.expected.usage, fields));
  });
}

function expectNoProblems(problems: readonly string[]): void {
  if (problems.length > 0) expect.fail(`${problems.length} schema problem(s):\n  ${problems.slice(0, 5).join('\n  ')}`);
}

/** The upstream status an error inside a 200 stream implies, when the oracle knows it. */
function expectStatus(status: number | undefined, expected: number | undefined): void {
  if (expected !== undefined) expect(status, 'HTTP status').toBe(expected);
  else expect(status ?? 0, 'HTTP status').toBeGreaterThanOrEqual(400);
}

/** How much later than the recording's first content (as a fraction of the whole stream) a client may see its first bytes. */
const STREAMING_SLACK = 0.4;

/** Whether a stream body ends with its protocol's terminator (an event boundary, a line end, [DONE], `]`). */
function endsCleanly(client: Client, body: string, jsonArray = false): boolean {
  if (jsonArray) return body.trimEnd().endsWith(']');
  if (client.framing === 'ndjson') return body.endsWith('\n');
  return /\r?\n\r?\n$/.test(body);
}

/** The data of the last SSE event / NDJSON line / array element, parsed. */
function lastMessage(client: Client, body: string): Record<string, any> | undefined {
  if (client.framing === 'ndjson') {
    const lines = body.split('\n').filter((line) => line.trim() !== '');
    return lines.length > 0 ? JSON.parse(lines.at(-1)!) : undefined;
  }
  const events = body
    .split(/\r?\n\r?\n/)
    .map((block) => block.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n'))
    .filter((data) => data !== '' && data !== '[DONE]');
  return events.length > 0 ? JSON.parse(events.at(-1)!) : undefined;
}

function errorOf(message: Record<string, any> | undefined): boolean {
  if (!message) return false;
  return message.error !== undefined || message.type === 'error' || message.type === 'response.failed';
}

async function runCase(client: Client, entry: Case, stream: boolean): Promise<void> {
  const caseName = `${entry.id} (${stream ? 'stream' : 'whole'})`;
  const checks = new Checks(client.name, entry.format, caseName);
  const observation = await client.run({ url: await proxyUrlFor(entry), model: UPSTREAMS[entry.format].model, prompt: tag(entry.id), stream });
  const answer: Captured | undefined = observation.answers.at(-1);
  const body = answer ? await answer.body : '';
  const timing = answer ? await answer.timing : undefined;
  const passthrough = client.protocol === entry.format && !client.alwaysTranslate;
  const sent = served(entry, stream);

  if (entry.kind === 'answer') {
    if (observation.error) {
      const message = `the SDK threw: ${String((observation.error as Error).message ?? observation.error).slice(0, 600)}\nbody: ${body.slice(0, 600)}`;
      for (const feature of ['text', 'streaming'] as const) checks.check(feature, () => expect.fail(message));
    } else {
      answerChecks(checks, client, entry, observation.transcript);
    }
    if (stream) {
      checks.check('streaming', () => {
        expect(answer?.status, 'HTTP status').toBe(200);
        if (passthrough) expect(body === sent.body.toString('utf8'), 'same-protocol stream passed through byte for byte').toBe(true);
        expect(endsCleanly(client, body), `stream ends with its terminator: …${JSON.stringify(body.slice(-80))}`).toBe(true);
        // A long recording (≥ 100 pieces, 1 ms apart) reaches the client as it arrives: its first
        // bytes come soon after the first content the client protocol carries, not at the end.
        if (timing && sent.body.length / entry.chunkSize >= 100) {
          const offsets = contentOffsets(entry.format, sent.body);
          const kinds = (['text', 'reasoning', 'tools'] as const).filter((kind) => kind === 'text' || carries(client.name, entry, kind));
          const first = Math.min(...kinds.map((kind) => offsets[kind] ?? 1));
          expect(
            timing.firstBytes / timing.end,
            `first bytes after ${Math.round(timing.firstBytes)} ms of ${Math.round(timing.end)} ms; the first content is at ${Math.round(first * 100)}% of the recording`,
          ).toBeLessThan(first + STREAMING_SLACK);
        }
        if (observation.sdkFinal) {
          // Anthropic's MessageStream reassembles the message itself: it must agree with the events.
          const own = observation.sdkFinal.choices[0];
          const events = observation.transcript.choices[0];
          const fields = USAGE_FIELDS[client.name];
          expect({
            text: own?.text.join(''),
            reasoning: own?.reasoning.join(''),
            tools: own?.toolCalls,
            finish: own?.finish,
            usage: usageView(observation.sdkFinal.usage, fields),
          }).toEqual({
            text: events?.text.join(''),
            reasoning: events?.reasoning.join(''),
            tools: events?.toolCalls,
            finish: events?.finish,
            usage: usageView(observation.transcript.usage, fields),
          });
        }
      });
    }
    // Same-protocol answers carry the upstream's own fields (byte for byte, or folded keeping
    // vendor fields for Chat): their schema is the upstream's business, not llm-mux's.
    const upstreamShaped = passthrough && (stream || !entry.streamed || client.name === 'openai-chat');
    if (!upstreamShaped) checks.check('schema', () => expectNoProblems(stream ? streamProblems(client.name, body) : bodyProblems(client.name, body, answer?.status ?? 0)));
  } else if (entry.kind === 'stream-error') {
    const wanted = entry.expected.error!;
    checks.check('errors', () => {
      expect(observation.error ?? observation.transcript.error, 'the client saw an error').toBeDefined();
      if (observation.error) {
        const seen = client.errorOf(observation.error, stream);
        expect(seen.sdkType, `the SDK's own error type: ${String(observation.error)}`).toBe(true);
        expect(seen.message).toBe(wanted.message);
        // Inside a 200 stream only Google's error element carries a code (which the SDK reports as the status).
        if (stream && client.protocol !== 'gemini') expect(seen.status, 'no HTTP status inside a 200 stream').toBeUndefined();
        else expectStatus(seen.status, wanted.status);
      } else {
        // Responses clients see `error` / `response.failed` as events.
        expect(observation.transcript.error?.message).toBe(wanted.message);
      }
      if (stream) {
        expect(answer?.status, 'HTTP status of the stream').toBe(200);
        expect(errorOf(lastMessage(client, body)), `the error is the last thing in the stream: …${JSON.stringify(body.slice(-300))}`).toBe(true);
        expect(endsCleanly(client, body), 'the stream ends cleanly after the error').toBe(true);
        // What came before the error reached the client.
        const before = expectedChoices(client, entry)[0];
        const got = observation.transcript.choices[0];
        if (before) {
          expectSameText(got?.text ?? [], before.text, 'text before the error');
          if (carries(client.name, entry, 'reasoning')) expectSameText(got?.reasoning ?? [], before.reasoning, 'reasoning before the error');
        }
      }
    });
    if (!passthrough || !stream) {
      checks.check('schema', () => expectNoProblems(stream ? streamProblems(client.name, body) : bodyProblems(client.name, body, answer?.status ?? 0)));
    }
  } else {
    const wanted = entry.expected.error!;
    checks.check('errors', () => {
      expect(observation.error, 'the SDK threw').toBeDefined();
      const seen = client.errorOf(observation.error, false);
      expect(seen.sdkType, `the SDK's own error type: ${String(observation.error)}`).toBe(true);
      expect(seen.status).toBe(entry.status);
      expect(seen.message).toBe(wanted.message);
      if (/retryinfo/.test(entry.id) && !passthrough) expect(Number(answer?.headers.get('retry-after')), 'retry-after from RetryInfo').toBeGreaterThanOrEqual(34);
      if (passthrough) expect(body, 'same-protocol error body passed through').toBe(entry.body.toString('utf8'));
    });
    checks.check('schema', () => expectNoProblems(bodyProblems(client.name, body, answer?.status ?? 0)));
  }
  checks.done();
}

// ---------------------------------------------------------------------------------------
// Gemini's streamGenerateContent without alt=sse: one JSON array, read with plain fetch.

async function runGeminiJsonArray(entry: Case): Promise<void> {
  const client = CLIENTS.gemini;
  const checks = new Checks('gemini', entry.format, `${entry.id} (json-array)`);
  const response = await fetch(`${await proxyUrlFor(entry)}/v1beta/models/${UPSTREAMS[entry.format].model}:streamGenerateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: tag(entry.id) }] }] }),
  });
  const body = await response.text();
  let elements: Array<Record<string, any>> = [];
  let parsed = true;
  try {
    const value = JSON.parse(body) as unknown;
    elements = Array.isArray(value) ? value : [value as Record<string, any>];
  } catch {
    parsed = false;
  }
  if (entry.kind === 'http-error') {
    checks.check('errors', () => {
      expect(response.status).toBe(entry.status);
      expect(elements[0]?.error?.message).toBe(entry.expected.error!.message);
    });
  } else {
    checks.check('streaming', () => {
      expect(response.status).toBe(200);
      expect(parsed, `the whole body is one JSON array: ${body.slice(0, 200)}`).toBe(true);
      expect(body.trimStart().startsWith('['), 'a JSON array').toBe(true);
      expect(endsCleanly(client, body, true)).toBe(true);
    });
    checks.check('schema', () => expectNoProblems(streamProblems('gemini', body, { geminiJsonArray: true })));
    const transcript = parsed ? foldGeminiElements(elements) : foldGeminiElements([]);
    if (entry.kind === 'answer') answerChecks(checks, client, entry, transcript);
    else {
      checks.check('errors', () => {
        expect(transcript.error?.message).toBe(entry.expected.error!.message);
        expect(elements.at(-1)?.error, 'the error is the last element').toBeDefined();
      });
    }
  }
  checks.done();
}

// ---------------------------------------------------------------------------------------
// Signatures: a second turn built from what the SDK returned must hand the upstream its
// own signatures back, byte for byte.

const FOLLOW_UP: Record<Format, string> = {
  'openai-chat': 'openai-chat/gpt-4o-text-with-usage.sse',
  'openai-responses': 'openai-responses/gpt-4o-text.sse',
  anthropic: 'anthropic/haiku-4.5-text.sse',
  gemini: 'gemini/gemini-2.0-flash-text.sse',
  ollama: 'ollama/api-chat-stream-gemma3-text.ndjson',
};

type Json = Record<string, any>;

/** Signatures in an upstream request body, by the upstream's protocol. */
function signaturesSent(format: Format, body: Json): { signatures: string[]; redacted: string[] } {
  const signatures: string[] = [];
  const redacted: string[] = [];
  if (format === 'anthropic') {
    for (const message of body.messages ?? []) {
      for (const block of Array.isArray(message.content) ? message.content : []) {
        if (block.type === 'thinking' && block.signature) signatures.push(block.signature);
        if (block.type === 'redacted_thinking') redacted.push(block.data);
      }
    }
  } else if (format === 'gemini') {
    for (const content of body.contents ?? []) for (const part of content.parts ?? []) if (part.thoughtSignature) signatures.push(part.thoughtSignature);
  } else if (format === 'openai-responses') {
    for (const item of Array.isArray(body.input) ? body.input : []) if (item.type === 'reasoning' && item.encrypted_content) signatures.push(item.encrypted_content);
  }
  return { signatures, redacted };
}

/** Runs turn one (streamed) through the SDK and sends turn two built from its result. */
async function secondTurn(inbound: InboundName, entry: Case, marker: string): Promise<void> {
  const model = UPSTREAMS[entry.format].model;
  const first = tag(entry.id);
  const second = tag(FOLLOW_UP[entry.format], marker);
  if (inbound === 'anthropic') {
    const observation = await CLIENTS.anthropic.run({ url: proxy.url, model, prompt: first, stream: true });
    if (observation.error) throw observation.error;
    const message = observation.raw as Json;
    const toolResults = (message.content as Json[]).filter((block) => block.type === 'tool_use').map((block) => ({ type: 'tool_result', tool_use_id: block.id, content: 'ok' }));
    const client = new Anthropic({ baseURL: proxy.url, apiKey: 'sk-client', maxRetries: 0 });
    await client.messages.create({
      model,
      max_tokens: 1024,
      messages: [
        { role: 'user', content: first },
        { role: 'assistant', content: message.content },
        { role: 'user', content: [...toolResults, { type: 'text', text: second }] } as never,
      ],
    });
  } else if (inbound === 'openai-responses') {
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    const events: Json[] = [];
    for await (const event of await client.responses.create({ model, input: first, stream: true, store: false, include: ['reasoning.encrypted_content'] })) {
      events.push(event as Json);
    }
    const completed = events.find((event) => event.type === 'response.completed')?.response as Json | undefined;
    if (!completed) throw new Error(`no response.completed among ${events.map((event) => event.type).join(', ')}`);
    const output = completed.output as Json[];
    const results = output.filter((item) => item.type === 'function_call').map((item) => ({ type: 'function_call_output', call_id: item.call_id, output: 'ok' }));
    await client.responses.create({ model, store: false, input: [{ role: 'user', content: first }, ...output, ...results, { role: 'user', content: second }] as never });
  } else if (inbound === 'gemini-code-assist') {
    const observation = await CLIENTS['gemini-code-assist'].run({ url: proxy.url, model, prompt: first, stream: true });
    if (observation.error) throw observation.error;
    const parts = (observation.raw as Json[]).flatMap((element) => (element.response?.candidates?.[0]?.content?.parts ?? []) as Json[]);
    const responses = parts.filter((part) => part.functionCall?.name).map((part) => ({ functionResponse: { name: part.functionCall.name, response: { result: 'ok' } } }));
    const contents = [
      { role: 'user', parts: [{ text: first }] },
      { role: 'model', parts },
      { role: 'user', parts: [...responses, { text: second }] },
    ];
    const response = await fetch(`${proxy.url}/v1internal:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, project: 'matrix-project', request: { contents } }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  } else if (inbound === 'gemini') {
    const ai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: proxy.url } });
    const parts: Json[] = [];
    for await (const chunk of await ai.models.generateContentStream({ model, contents: first })) parts.push(...((chunk.candidates?.[0]?.content?.parts ?? []) as Json[]));
    const responses = parts.filter((part) => part.functionCall).map((part) => ({ functionResponse: { name: part.functionCall.name, id: part.functionCall.id, response: { result: 'ok' } } }));
    await ai.models.generateContent({
      model,
      contents: [
        { role: 'user', parts: [{ text: first }] },
        { role: 'model', parts },
        { role: 'user', parts: [...responses, { text: second }] },
      ],
    });
  }
}

async function runSignatures(inbound: InboundName, entry: Case): Promise<void> {
  const checks = new Checks(inbound, entry.format, `${entry.id} (second turn)`);
  const marker = nonce();
  let failure: unknown;
  try {
    await secondTurn(inbound, entry, marker);
  } catch (error) {
    failure = error;
  }
  const requests = upstream.requestsWith(marker);
  const sent = requests.length > 0 ? signaturesSent(entry.format, JSON.parse(requests.at(-1)!.body) as Json) : { signatures: [], redacted: [] };
  checks.check('signatures', () => {
    expect(failure, `the SDK threw: ${String((failure as Error)?.message ?? '')}`).toBeUndefined();
    expect(requests.length, 'one upstream request for the second turn').toBe(1);
    const short = (values: readonly string[]) => values.map((value) => `${value.slice(0, 16)}…(${value.length})`);
    const missing = entry.expected.signatures.filter((slot) => !slot.some((value) => sent.signatures.includes(value)));
    expect(missing.map(short), `signatures not sent back to the upstream (sent: ${JSON.stringify(short(sent.signatures))})`).toEqual([]);
    expect(sent.signatures.length, `no signature sent twice or made up: ${JSON.stringify(short(sent.signatures))}`).toBe(entry.expected.signatures.length);
    if (inbound === 'anthropic') expect(sent.redacted, 'redacted_thinking data sent back').toEqual(entry.expected.redacted);
  });
  checks.done();
}

// ---------------------------------------------------------------------------------------
// Images: what the client sends arrives at the upstream.

const PNG_BASE64 = PNG.toString('base64');

function imageRequest(inbound: InboundName, model: string, prompt: string, source: 'base64' | 'url', imageUrl: string): { path: string; body: Json } {
  const dataUrl = `data:image/png;base64,${PNG_BASE64}`;
  switch (inbound) {
    case 'openai-chat':
      return {
        path: '/v1/chat/completions',
        body: { model, messages: [{ role: 'user', content: [{ type: 'text', text: prompt }, { type: 'image_url', image_url: { url: source === 'url' ? imageUrl : dataUrl } }] }] },
      };
    case 'openai-responses':
      return {
        path: '/v1/responses',
        body: { model, input: [{ role: 'user', content: [{ type: 'input_text', text: prompt }, { type: 'input_image', image_url: source === 'url' ? imageUrl : dataUrl, detail: 'auto' }] }] },
      };
    case 'anthropic':
      return {
        path: '/v1/messages',
        body: {
          model,
          max_tokens: 256,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: prompt },
                { type: 'image', source: source === 'url' ? { type: 'url', url: imageUrl } : { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
              ],
            },
          ],
        },
      };
    case 'gemini':
      return {
        path: `/v1beta/models/${model}:generateContent`,
        body: {
          contents: [
            { role: 'user', parts: [{ text: prompt }, source === 'url' ? { fileData: { mimeType: 'image/png', fileUri: imageUrl } } : { inlineData: { mimeType: 'image/png', data: PNG_BASE64 } }] },
          ],
        },
      };
    case 'ollama-chat':
      return { path: '/api/chat', body: { model, stream: false, messages: [{ role: 'user', content: prompt, images: [PNG_BASE64] }] } };
    case 'ollama-generate':
      return { path: '/api/generate', body: { model, stream: false, prompt, images: [PNG_BASE64] } };
    case 'gemini-code-assist': {
      const { body } = imageRequest('gemini', model, prompt, source, imageUrl);
      return { path: '/v1internal:generateContent', body: { model, project: 'matrix-project', request: body } };
    }
    case 'openai-completions':
      throw new Error('legacy Completions takes no images');
  }
}

/** Images in an upstream request, as base64 bytes or URLs. */
function imagesSent(format: Format, body: Json): string[] {
  const found: string[] = [];
  const dataUrl = (url: string) => (url.startsWith('data:') ? `base64:${url.slice(url.indexOf(',') + 1)}` : `url:${url}`);
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    const node = value as Json;
    if (format === 'openai-chat' && node.type === 'image_url') found.push(dataUrl(node.image_url?.url ?? ''));
    if (format === 'openai-responses' && node.type === 'input_image') found.push(dataUrl(node.image_url ?? ''));
    if (format === 'anthropic' && node.type === 'image') found.push(node.source?.type === 'url' ? `url:${node.source.url}` : `base64:${node.source?.data}`);
    if (format === 'gemini' && node.inlineData) found.push(`base64:${node.inlineData.data}`);
    if (format === 'gemini' && node.fileData) found.push(`url:${node.fileData.fileUri}`);
    if (format === 'ollama' && Array.isArray(node.images)) for (const image of node.images) found.push(`base64:${image}`);
    Object.values(node).forEach(walk);
  };
  walk(body);
  return found;
}

async function runImage(inbound: InboundName, format: Format, source: 'base64' | 'url'): Promise<void> {
  const checks = new Checks(inbound, format, `image ${source}`);
  const marker = nonce();
  const imageUrl = `${upstream.url}/image.png`;
  const { path, body } = imageRequest(inbound, UPSTREAMS[format].model, tag(FOLLOW_UP[format], marker), source, imageUrl);
  const response = await fetch(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  const requests = upstream.requestsWith(marker);
  checks.check('images', () => {
    expect(response.status, text.slice(0, 300)).toBe(200);
    expect(requests.length).toBe(1);
    const sent = imagesSent(format, JSON.parse(requests[0]!.body) as Json);
    const inlineOnly = format === 'gemini' || format === 'ollama';
    // Inline-only upstreams (Gemini, Ollama) get the bytes, unless the request passes through untouched.
    const passthrough = CLIENTS[inbound].protocol === format && !CLIENTS[inbound].alwaysTranslate;
    const accepted = source === 'base64' ? [`base64:${PNG_BASE64}`] : inlineOnly && !passthrough ? [`base64:${PNG_BASE64}`] : [`url:${imageUrl}`, `base64:${PNG_BASE64}`];
    expect(sent.length, `one image upstream: ${JSON.stringify(sent).slice(0, 200)}`).toBe(1);
    expect(accepted).toContain(sent[0]);
  });
  checks.done();
}

const IMAGE_SOURCES: Record<InboundName, Array<'base64' | 'url'>> = {
  'openai-chat': ['base64', 'url'],
  'openai-completions': [],
  'openai-responses': ['base64', 'url'],
  anthropic: ['base64', 'url'],
  gemini: ['base64', 'url'],
  'gemini-code-assist': ['base64', 'url'],
  'ollama-chat': ['base64'],
  'ollama-generate': ['base64'],
};

// ---------------------------------------------------------------------------------------
// The tests.

const SIGNATURE_CLIENTS: InboundName[] = ['anthropic', 'openai-responses', 'gemini', 'gemini-code-assist'];
let plannedCases = 0;
let ranCases = 0;
function counted(run: () => Promise<void>): () => Promise<void> {
  plannedCases++;
  return async () => {
    ranCases++;
    await run();
  };
}

describe('the recordings', () => {
  it('every fixture is a case, and the oracle reads something from each', () => {
    expect(new Set(CASES.map((entry) => entry.format))).toEqual(new Set(FORMATS));
    expect(CASES.length).toBeGreaterThanOrEqual(51);
    for (const entry of CASES) {
      const expected = entry.expected;
      const holds = expected.error !== undefined || expected.choices.some((choice) => choice.text.length + choice.reasoning.length + choice.toolCalls.length > 0 || choice.refusal !== '');
      expect(holds, `${entry.id} holds an answer or an error`).toBe(true);
      if (entry.kind === 'answer') expect(expected.choices[0]?.finish, `${entry.id} finishes`).toBeDefined();
    }
    expect(CASES.filter((entry) => entry.kind === 'stream-error').map((entry) => entry.id)).toEqual([
      'openai-chat/groq-gpt-oss-event-error.sse',
      'openai-chat/openrouter-midstream-error-chunk.sse',
      'openai-responses/gpt-5-nano-error-insufficient-quota-response-failed.chunks.ndjson',
    ]);
  });
});

for (const client of ACTIVE_CLIENTS) {
  describe.concurrent(`${client.name} client (${client.path})`, () => {
    for (const entry of ACTIVE_CASES) {
      for (const stream of [true, false]) {
        it(`${entry.id} ${stream ? 'streamed' : 'whole'}${entry.note ? ` [${entry.note}]` : ''}`, counted(() => runCase(client, entry, stream)));
      }
    }
  });
}

if (ACTIVE_CLIENTS.some((client) => client.name === 'gemini')) {
  describe.concurrent('gemini client, streamGenerateContent without alt=sse (JSON array, plain fetch)', () => {
    for (const entry of ACTIVE_CASES) it(entry.id, counted(() => runGeminiJsonArray(entry)));
  });
}

describe.concurrent('signatures come back on the second turn', () => {
  for (const inbound of SIGNATURE_CLIENTS.filter((name) => ACTIVE_CLIENTS.some((client) => client.name === name))) {
    for (const entry of ACTIVE_CASES) {
      if (entry.kind !== 'answer' || !carries(inbound, entry, 'signatures') || exceptionFor(inbound, entry, 'signatures', 'skipped')) continue;
      if (entry.expected.signatures.length === 0 && entry.expected.redacted.length === 0) continue;
      it(`${inbound} client, ${entry.id}`, counted(() => runSignatures(inbound, entry)));
    }
  }
});

describe.concurrent('images reach the upstream', () => {
  for (const client of ACTIVE_CLIENTS) {
    for (const format of ACTIVE_UPSTREAMS) {
      for (const source of IMAGE_SOURCES[client.name]) it(`${client.name} client → ${format} upstream, ${source}`, counted(() => runImage(client.name, format, source)));
    }
  }
});

describe('model lists', () => {
  const MODELS = FORMATS.map((format) => UPSTREAMS[format].model).sort();

  it('/v1/models answers Claude Code in Anthropic\'s list shape', async () => {
    const response = await fetch(`${proxy.url}/v1/models`, { headers: { 'user-agent': 'claude-cli/2.0.0 (external, cli)' } });
    const body = (await response.json()) as Json;
    expect(body).toMatchObject({ has_more: false });
    expect(body.data.map((model: Json) => model.id).sort()).toEqual(MODELS);
    for (const model of body.data) expect(model).toMatchObject({ type: 'model', id: expect.any(String), display_name: expect.any(String), created_at: expect.any(String) });
    expect(body.object).toBeUndefined();
  });

  it('/v1/models answers the Anthropic SDK in Anthropic\'s list shape', async () => {
    const client = new Anthropic({ baseURL: proxy.url, apiKey: 'sk-client', maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(MODELS);
  });

  it('/v1/models answers everyone else in OpenAI\'s list shape', async () => {
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    const models: Json[] = [];
    for await (const model of client.models.list()) models.push(model as Json);
    expect(models.map((model) => model.id).sort()).toEqual(MODELS);
    for (const model of models) expect(model).toMatchObject({ object: 'model', owned_by: expect.any(String) });
  });

  it('/v1beta/models lists the models for Gemini clients', async () => {
    const ai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: proxy.url } });
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name ?? '');
    expect(names.sort()).toEqual(MODELS.map((model) => `models/${model}`));
  });

  it('/api/tags lists the models for Ollama clients', async () => {
    const { models } = await new Ollama({ host: proxy.url }).list();
    expect(models.map((model) => model.name).sort()).toEqual(MODELS);
  });
});

// ---------------------------------------------------------------------------------------
// The results table.

function buildMatrix(): Matrix {
  const cells: Matrix['cells'] = {};
  for (const inbound of INBOUND) {
    cells[inbound.name] = {};
    for (const { format } of UPSTREAM) {
      const row: Record<string, ReturnType<Results['cell']>> = {};
      for (const feature of FEATURES) {
        const notCarried = exceptionFor(inbound.name, format, feature, 'not carried');
        row[feature] = inbound.on ? results.cell(inbound.name, format, feature, notCarried?.why) : { status: 'untested', checks: 0, failed: [] };
      }
      cells[inbound.name]![format] = row;
    }
  }
  return {
    about:
      'Every recorded upstream body in shared/wire/fixtures, replayed by a fake upstream of each protocol through llm-mux to the official SDK of each client protocol, streamed and whole (test/e2e/matrix.test.ts). A cell counts the checks of one feature for one client protocol and one upstream protocol.',
    inbound: INBOUND.map(({ name, label }) => ({ name, label, path: CLIENTS[name].path })),
    upstream: UPSTREAM.map(({ format, label }) => ({ name: format, label })),
    features: FEATURES.map((name) => ({ name, what: FEATURE_DOCS[name] })),
    cells,
    knownGaps: KNOWN_GAPS.map((gap) => ({ clients: gap.inbound.join(', '), cases: String(gap.cases), feature: gap.feature, bug: gap.bug })),
    exceptions: EXCEPTIONS.map((exception) => ({
      applies: [
        exception.inbound ? `clients: ${exception.inbound.join(', ')}` : 'every client',
        exception.upstream ? `upstreams: ${exception.upstream.join(', ')}` : '',
        exception.cases ? `cases: ${String(exception.cases)}` : '',
      ]
        .filter(Boolean)
        .join('; '),
      feature: exception.feature,
      rule: exception.rule,
      why: exception.why,
    })),
  };
}

describe('the results table', () => {
  it(`docs/translation-matrix.json agrees with this run${process.env.UPDATE_MATRIX === '1' ? ' (rewritten: UPDATE_MATRIX=1)' : ''}`, (context) => {
    // Only a full run has seen every cell.
    if (ranCases < plannedCases) context.skip();
    const matrix = buildMatrix();
    const text = `${JSON.stringify(matrix, null, 2)}\n`;
    if (process.env.UPDATE_MATRIX === '1') {
      writeFileSync(MATRIX_JSON, text);
      return;
    }
    let committed = '';
    try {
      committed = readFileSync(MATRIX_JSON, 'utf8');
    } catch {
      // Missing: reported below.
    }
    expect(committed === text, 'docs/translation-matrix.json is out of date: run UPDATE_MATRIX=1 npx vitest run test/e2e/matrix.test.ts, then npx tsx scripts/translation-doc.ts').toBe(
      true,
    );
  });
});
