// Every recorded Gemini body in ../shared/wire/fixtures/gemini through the outbound side:
// streams through llm-mux's SSE framing and the stream decoder, JSON-array elements one
// message at a time, non-streaming bodies through decodeResponse, errors through decodeError.
// Expectations come from the recorded JSON itself (an oracle that shares no code with the codec).
import { describe, expect, it } from 'vitest';
import type { ReasoningPart, ToolCallPart } from '../../../src/core/request.ts';
import type { CanonicalResponse, StreamEvent } from '../../../src/core/response.ts';
import { aggregateEvents } from '../../../src/core/aggregate.ts';
import { geminiOutbound } from '../../../src/protocols/gemini/index.ts';
import { listFixtures, loadFixture, type Fixture } from '../../support/fixtures.ts';
import { checkEventRules, decodeSse, fixtureElements, viewOf } from './support.ts';

const fixtures = listFixtures('gemini').filter((fixture) => fixture.status === 200);
const NON_STREAM = 'gemini/gemini-3-flash-generatecontent-3-parallel-function-calls.json';

/** Streams as messages; a JSON array's elements as one message each; a plain body through decodeResponse. */
async function decode(fixture: Fixture): Promise<{ events?: StreamEvent[]; response: CanonicalResponse }> {
  if (fixture.name === NON_STREAM) return { response: geminiOutbound.decodeResponse(JSON.parse(fixture.body.toString('utf8'))) };
  let events: StreamEvent[];
  if (fixture.contentType === 'text/event-stream') events = await decodeSse([fixture.body]);
  else {
    const decoder = geminiOutbound.createStreamDecoder();
    events = [...fixtureElements(fixture).flatMap((element) => decoder.push({ data: JSON.stringify(element) })), ...decoder.end()];
  }
  return { events, response: aggregateEvents(events) };
}

const texts = (response: CanonicalResponse, type: 'text' | 'reasoning') =>
  response.choices[0]!.content.flatMap((part) => (part.type === type ? [part.text] : [])).join('');
const calls = (response: CanonicalResponse) => response.choices[0]!.content.filter((part): part is ToolCallPart => part.type === 'tool_call');

describe.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
  const wire = viewOf(fixtureElements(fixture));

  it('keeps the event rules', async () => {
    const { events } = await decode(fixture);
    if (events) checkEventRules(events);
  });

  it('decodes text, thoughts, finish and usage as recorded', async () => {
    const { response } = await decode(fixture);
    expect(response.choices).toHaveLength(1);
    expect(texts(response, 'text')).toBe(wire.text);
    expect(texts(response, 'reasoning')).toBe(wire.thoughts);
    const expectedFinish = wire.finishReason === 'STOP' && wire.calls.length > 0 ? 'tool_calls' : 'stop';
    expect(response.choices[0]!.finishReason).toBe(expectedFinish);
    const usage = wire.usage as { promptTokenCount: number; candidatesTokenCount?: number; thoughtsTokenCount?: number };
    const thoughts = usage.thoughtsTokenCount ?? 0;
    expect(response.usage).toEqual({ input: usage.promptTokenCount, output: (usage.candidatesTokenCount ?? 0) + thoughts, cached: 0, reasoning: thoughts });
    const first = fixtureElements(fixture)[0]!;
    expect(response.id).toBe(first.responseId);
    expect(response.model).toBe(first.modelVersion);
  });

  it('keeps every signature byte-exact, in order', async () => {
    const { response } = await decode(fixture);
    const signatures = response.choices[0]!.content.flatMap((part) => (part.type !== 'text' && part.signature ? [part.signature] : []));
    expect(signatures.every((signature) => signature.protocol === 'gemini')).toBe(true);
    expect(signatures.map((signature) => signature.value)).toEqual(wire.signatures.map((signature) => signature.value));
  });

  it('decodes complete function calls with parsed arguments and generated ids', async () => {
    const { response } = await decode(fixture);
    const complete = wire.calls.filter((call) => call.name !== undefined && call.args !== undefined);
    if (complete.length === 0) return;
    expect(calls(response).map((call) => ({ name: call.name, args: JSON.parse(call.arguments) }))).toEqual(
      complete.map((call) => ({ name: call.name, args: call.args })),
    );
    const ids = calls(response).map((call) => call.id);
    expect(ids.every((id) => id.startsWith('call_'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

/** The shape of choice 0's content: kinds, and which parts carry a signature. */
async function shape(name: string) {
  const { response } = await decode(loadFixture(name));
  return response.choices[0]!.content.map((part) => ({
    type: part.type,
    ...(part.type === 'tool_call' ? { name: part.name, args: JSON.parse(part.arguments) as unknown } : {}),
    empty: part.type === 'tool_call' ? undefined : part.text === '',
    signed: part.type !== 'text' && part.signature !== undefined,
  }));
}

describe('where signatures land', () => {
  it('a signature on the first answer part signs the thoughts before it (2.5 pro)', async () => {
    expect(await shape('gemini/gemini-2.5-pro-thought-parts.sse')).toEqual([
      { type: 'reasoning', empty: false, signed: true },
      { type: 'text', empty: false, signed: false },
    ]);
  });

  it('a signature on a trailing empty part signs the earlier thought (JSON-array stream)', async () => {
    expect(await shape('gemini/gemini-flash-thought-signature.json-array-stream.json')).toEqual([
      { type: 'reasoning', empty: false, signed: true },
      { type: 'text', empty: false, signed: false },
    ]);
  });

  it('without thoughts, the trailing signature becomes an empty signed reasoning block after the text', async () => {
    const name = 'gemini/gemini-3-pro-text-then-empty-part-signature.chunks.ndjson';
    expect(await shape(name)).toEqual([
      { type: 'text', empty: false, signed: false },
      { type: 'reasoning', empty: true, signed: true },
    ]);
    const { events } = await decode(loadFixture(name));
    // The signature arrives in the last chunk, after the text block: a block of its own.
    expect(events!.filter((event) => event.type !== 'text' && event.type !== 'usage').map((event) => event.type)).toEqual([
      'start',
      'block_start',
      'block_end',
      'block_start',
      'signature',
      'block_end',
      'finish',
    ]);
  });

  it('a function call keeps its own signature (3 pro, SSE)', async () => {
    expect(await shape('gemini/gemini-3-pro-function-call-thought-signature.sse')).toEqual([
      { type: 'tool_call', name: 'get_country', args: {}, signed: true },
    ]);
  });

  it('three parallel calls: only the first is signed (non-streaming generateContent)', async () => {
    expect(await shape(NON_STREAM)).toEqual([
      { type: 'tool_call', name: 'generate_topic', args: {}, signed: true },
      { type: 'tool_call', name: 'generate_topic', args: {}, signed: false },
      { type: 'tool_call', name: 'generate_topic', args: {}, signed: false },
    ]);
  });

  it('Vertex partial arguments are assembled per call, the signature on the first', async () => {
    const name = 'gemini/vertex-gemini-3.1-pro-streaming-function-call-partial-args.chunks.ndjson';
    expect(await shape(name)).toEqual([
      { type: 'tool_call', name: 'getWeather', args: { location: 'Boston' }, signed: true },
      { type: 'tool_call', name: 'getWeather', args: { location: 'San Francisco' }, signed: false },
    ]);
    const { response } = await decode(loadFixture(name));
    expect(response.choices[0]!.finishReason).toBe('tool_calls');
    expect(response.created).toBe(Math.floor(Date.parse('2026-04-02T17:03:50.399550Z') / 1000));
  });
});

describe('stream decoder details', () => {
  const chunk = (value: unknown) => ({ data: JSON.stringify(value) });

  it('reads partial arguments of every JSON type and path form', () => {
    const decoder = geminiOutbound.createStreamDecoder();
    const part = (functionCall: unknown) => chunk({ candidates: [{ content: { role: 'model', parts: [{ functionCall }] } }] });
    const events = [
      ...decoder.push(part({ name: 'f', args: { fixed: 1 }, willContinue: true })),
      ...decoder.push(part({ partialArgs: [{ jsonPath: '$.a.b[1]', numberValue: 2 }, { jsonPath: "$['odd key']", boolValue: true }], willContinue: true })),
      ...decoder.push(part({ partialArgs: [{ jsonPath: '$.s', stringValue: 'he', willContinue: true }], willContinue: true })),
      ...decoder.push(part({ partialArgs: [{ jsonPath: '$.s', stringValue: 'llo' }, { jsonPath: '$.n', nullValue: 'NULL_VALUE' }], willContinue: true })),
      ...decoder.push(part({ partialArgs: [{ jsonPath: '$.__proto__.polluted', stringValue: 'no' }, { jsonPath: 'not a path', stringValue: 'x' }] })),
      ...decoder.end(),
    ];
    const call = aggregateEvents(events).choices[0]!.content[0] as ToolCallPart;
    expect(JSON.parse(call.arguments)).toEqual({ fixed: 1, a: { b: [null, 2] }, 'odd key': true, s: 'hello', n: null, ['__proto__']: { polluted: 'no' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an error element mid-stream becomes the last event', async () => {
    const error = JSON.parse(loadFixture('gemini/error-429-resource-exhausted-retryinfo.json').body.toString('utf8')) as unknown;
    const first = loadFixture('gemini/gemini-2.0-flash-text.sse').body.toString('utf8').split('\r\n\r\n')[0]!;
    const body = `${first}\r\n\r\ndata: ${JSON.stringify(error)}\r\n\r\n`;
    const events = await decodeSse([Buffer.from(body)]);
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    if (last.type !== 'error') return;
    expect(last.error.status).toBe(429);
    expect(last.error.kind).toBe('rate_limit');
    expect(last.error.code).toBe('RESOURCE_EXHAUSTED');
    expect(last.error.options.headers).toEqual({ 'retry-after': '35' });
    expect(events.filter((event) => event.type === 'text').map((event) => (event as { text: string }).text)).toEqual(['The']);
  });

  it('a malformed element is an upstream error', () => {
    const decoder = geminiOutbound.createStreamDecoder();
    expect(decoder.push({ data: '{"candidates": [' })).toMatchObject([{ type: 'error', error: { kind: 'upstream' } }]);
    expect(decoder.end()).toEqual([]);
  });

  it('maps finish reasons, with STOP after a call read as tool_calls', () => {
    const finish = (reason: string, parts: unknown[] = [{ text: 'x' }]) =>
      aggregateEvents([
        ...geminiOutbound.createStreamDecoder().push(chunk({ candidates: [{ content: { parts }, finishReason: reason }] })),
      ]).choices[0]!.finishReason;
    expect(finish('STOP')).toBe('stop');
    expect(finish('STOP', [{ functionCall: { name: 'f', args: {} } }])).toBe('tool_calls');
    expect(finish('MAX_TOKENS')).toBe('length');
    for (const filtered of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']) expect(finish(filtered)).toBe('content_filter');
    expect(finish('MALFORMED_FUNCTION_CALL')).toBe('error');
    expect(finish('OTHER')).toBe('stop');
  });

  it('a blocked prompt finishes with content_filter', () => {
    const events = geminiOutbound.createStreamDecoder().push(chunk({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } }));
    expect(aggregateEvents(events).choices).toEqual([{ index: 0, content: [], finishReason: 'content_filter' }]);
  });

  it('several candidates become several choices', () => {
    const response = geminiOutbound.decodeResponse({
      candidates: [
        { index: 0, content: { role: 'model', parts: [{ text: 'A' }] }, finishReason: 'STOP' },
        { index: 1, content: { role: 'model', parts: [{ text: 'B' }] }, finishReason: 'MAX_TOKENS' },
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, cachedContentTokenCount: 1, toolUsePromptTokenCount: 4, totalTokenCount: 9 },
    });
    expect(response.choices.map((choice) => [choice.index, choice.content, choice.finishReason])).toEqual([
      [0, [{ type: 'text', text: 'A' }], 'stop'],
      [1, [{ type: 'text', text: 'B' }], 'length'],
    ]);
    expect(response.usage).toEqual({ input: 7, output: 2, cached: 1, reasoning: 0 });
  });

  it('a thought that carries its own signature is signed; a second signature starts a new block', () => {
    const thought = (text: string, thoughtSignature?: string) =>
      chunk({ candidates: [{ content: { parts: [{ text, thought: true, ...(thoughtSignature ? { thoughtSignature } : {}) }] } }] });
    const decoder = geminiOutbound.createStreamDecoder();
    const events = [...decoder.push(thought('a', 'S1')), ...decoder.push(thought('b')), ...decoder.push(thought('c', 'S2')), ...decoder.end()];
    checkEventRules(events);
    expect(aggregateEvents(events).choices[0]!.content as ReasoningPart[]).toEqual([
      { type: 'reasoning', text: 'ab', signature: { protocol: 'gemini', value: 'S1' } },
      { type: 'reasoning', text: 'c', signature: { protocol: 'gemini', value: 'S2' } },
    ]);
  });
});

describe('decodeError', () => {
  it.each([
    ['gemini/error-403-permission-denied.json', 'permission', 'PERMISSION_DENIED', undefined],
    ['gemini/error-404-model-not-found.json', 'not_found', 'NOT_FOUND', undefined],
    ['gemini/error-429-resource-exhausted-retryinfo.json', 'rate_limit', 'RESOURCE_EXHAUSTED', { 'retry-after': '35' }],
  ])('%s', (name, kind, code, headers) => {
    const fixture = loadFixture(name);
    const text = fixture.body.toString('utf8');
    const error = geminiOutbound.decodeError(fixture.status, text);
    expect(error.status).toBe(fixture.status);
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(code);
    expect(error.message).toBe((JSON.parse(text) as { error: { message: string } }).error.message);
    expect(error.options.headers).toEqual(headers);
  });

  it('reads the array form and keeps non-JSON text as the message', () => {
    expect(geminiOutbound.decodeError(400, '[{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}]').message).toBe('bad');
    const html = geminiOutbound.decodeError(502, '<html>Bad Gateway</html>');
    expect([html.status, html.kind, html.message]).toEqual([502, 'upstream', '<html>Bad Gateway</html>']);
  });
});
