// The inbound side's stream: canonical events → Gemini SSE and JSON-array streams, read
// back by the official @google/genai SDK from a loopback server, for hand-built event
// sequences and for the events the decoder makes of every recorded Gemini stream.
import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { StreamEvent } from '../../../src/core/response.ts';
import { aggregateEvents } from '../../../src/core/aggregate.ts';
import { jsonArrayFraming } from '../../../src/protocols/gemini/framing.ts';
import { createGeminiStreamEncoder, geminiInbound, geminiOutbound } from '../../../src/protocols/gemini/index.ts';
import { listFixtures, loadFixture } from '../../support/fixtures.ts';
import { unknownFields } from './proto.ts';
import { decodeFixture, fixtureElements, sdkStream, viewOf, withSdk, type ClientView, type WireResponse } from './support.ts';

const context = { model: 'gemini-client-model' };

function encode(events: StreamEvent[], framing: 'sse' | 'json-array'): string {
  const encoder = createGeminiStreamEncoder(context, { framing });
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

/** The elements of an encoded body, parsed without the SDK (for the JSON-array form). */
function elements(body: string, framing: 'sse' | 'json-array'): Array<WireResponse & { error?: unknown }> {
  if (framing === 'json-array') return JSON.parse(body) as WireResponse[];
  return body
    .split('\r\n\r\n')
    .filter((event) => event !== '')
    .map((event) => JSON.parse(event.replace(/^data: /, '')) as WireResponse);
}

/** What the SDK reassembles from the SSE form; the JSON-array form must say the same. */
async function clientView(events: StreamEvent[]): Promise<ClientView> {
  const sse = encode(events, 'sse');
  for (const element of elements(sse, 'sse')) if (!('error' in element)) expect(unknownFields('GenerateContentResponse', element)).toEqual([]);
  const { chunks, error } = await sdkStream(sse);
  if (error) throw error;
  const view = viewOf(chunks);
  expect(viewOf(elements(encode(events, 'json-array'), 'json-array'))).toEqual(view);
  return view;
}

const start: StreamEvent = { type: 'start', id: 'resp-1', model: 'upstream-model', created: 1 };
const usage: StreamEvent = { type: 'usage', usage: { input: 10, output: 7, cached: 2, reasoning: 3 } };
const gemini = (value: string) => ({ protocol: 'gemini' as const, value });

describe('hand-built event sequences', () => {
  it('text deltas, finish and usage', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'Hel' },
      { type: 'text', choice: 0, block: 0, text: 'lo' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'length' },
      usage,
    ];
    const view = await clientView(events);
    expect(view).toEqual({
      text: 'Hello',
      thoughts: '',
      calls: [],
      signatures: [],
      finishReason: 'MAX_TOKENS',
      usage: { promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 3, cachedContentTokenCount: 2, totalTokenCount: 17 },
    });
    const sent = elements(encode(events, 'sse'), 'sse');
    expect(sent.map((element) => [element.modelVersion, element.responseId])).toEqual(Array(3).fill([context.model, 'resp-1']));
    // Finish reason and usage travel together in the last element only.
    expect(sent.slice(0, -1).some((element) => 'usageMetadata' in element)).toBe(false);
  });

  it('reasoning, then its signature after the block ended: the signature rides on the next part', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Let me think.' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'signature', choice: 0, block: 0, signature: gemini('SIG/+=') },
      { type: 'block_start', choice: 0, block: 1, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 1, text: ' More.' },
      { type: 'signature', choice: 0, block: 1, signature: { protocol: 'anthropic', value: 'foreign' } },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'block_start', choice: 0, block: 2, kind: 'text' },
      { type: 'text', choice: 0, block: 2, text: 'Answer.' },
      { type: 'block_end', choice: 0, block: 2 },
      { type: 'finish', choice: 0, reason: 'stop' },
    ];
    const view = await clientView(events);
    expect([view.thoughts, view.text, view.finishReason]).toEqual(['Let me think. More.', 'Answer.', 'STOP']);
    // A thought part may not take it (Gemini signs the first part after the thinking): it
    // waits as an empty part; the foreign signature goes out tagged, on the answer's first part.
    expect(view.signatures).toEqual([
      { on: 'text', value: 'SIG/+=' },
      { on: 'text', value: 'llm-mux:anthropic:foreign' },
    ]);
    const parts = elements(encode(events, 'sse'), 'sse').flatMap((element) => element.candidates![0]!.content!.parts!);
    expect(parts).toEqual([
      { text: 'Let me think.', thought: true },
      { text: '', thoughtSignature: 'SIG/+=' },
      { text: ' More.', thought: true },
      { text: 'Answer.', thoughtSignature: 'llm-mux:anthropic:foreign' },
      { text: '' },
    ]);
  });

  it("another protocol's signature waits for its block's end (the last one wins) and goes out tagged", async () => {
    const responses = (id: string) => ({ protocol: 'openai-responses' as const, value: JSON.stringify({ id, encrypted_content: `enc-${id}` }) });
    const events: StreamEvent[] = [
      start,
      // Responses signs a reasoning item when it is announced, and again when it is complete.
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'signature', choice: 0, block: 0, signature: responses('rs_early') },
      { type: 'reasoning', choice: 0, block: 0, text: 'Summary.' },
      { type: 'signature', choice: 0, block: 0, signature: responses('rs_final') },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_1', name: 'ls' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '{}' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ];
    const view = await clientView(events);
    expect(view.signatures).toEqual([{ on: 'functionCall', value: `llm-mux:openai-responses:${JSON.stringify({ id: 'rs_final', encrypted_content: 'enc-rs_final' })}` }]);
    expect(view.thoughts).toBe('Summary.');
  });

  it('streamed Anthropic thinking comes back whole with its signature, next to its tool call', async () => {
    const anthropic = (value: string) => ({ protocol: 'anthropic' as const, value });
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'I need ' },
      { type: 'reasoning', choice: 0, block: 0, text: 'the weather.' },
      { type: 'signature', choice: 0, block: 0, signature: anthropic('EuYD+/sig==') },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'toolu_1', name: 'get_weather' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '{"city":"Paris"}' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ];
    const { chunks, error } = await sdkStream(encode(events, 'sse'));
    expect(error).toBeUndefined();
    const parts = chunks.flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? []);
    const request = geminiInbound.decodeRequest(
      {
        contents: [
          { role: 'user', parts: [{ text: 'Weather?' }] },
          { role: 'model', parts },
          { role: 'user', parts: [{ functionResponse: { id: 'toolu_1', name: 'get_weather', response: { output: 'sunny' } } }] },
        ],
      },
      context,
    );
    expect(request.messages[1]!.content).toEqual([
      { type: 'reasoning', text: 'I need the weather.', signature: anthropic('EuYD+/sig==') },
      { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ]);
    expect(JSON.stringify(geminiOutbound.encodeRequest({ ...request, model: 'gemini-2.5-pro' }))).not.toContain('EuYD');
  });

  it('a signature with no part after it ends the turn as an empty signed part', async () => {
    const view = await clientView([
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'Hi' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'reasoning' },
      { type: 'signature', choice: 0, block: 1, signature: gemini('END') },
      { type: 'block_end', choice: 0, block: 1 },
    ]);
    expect(view.signatures).toEqual([{ on: 'text', value: 'END' }]);
    expect(view.finishReason).toBe('STOP');
  });

  it('two interleaved tool calls go out whole, in start order, with their own signature', async () => {
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'toolu_1', name: 'first' },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_gemini_made_up', name: 'second' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{"x":' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '{"y":[2' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: ']}' },
      { type: 'block_end', choice: 0, block: 1 },
      // Late, but the call is still held back behind the first one: it goes on its own part.
      { type: 'signature', choice: 0, block: 1, signature: gemini('S2') },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '1}' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ];
    const sse = encode(events, 'sse');
    // Nothing leaves before the first call is complete.
    const encoder = createGeminiStreamEncoder(context, { framing: 'sse' });
    expect(events.slice(0, 8).map((event) => encoder.encode(event)).join('')).toBe('');
    const view = await clientView(events);
    expect(view.calls).toEqual([
      { id: 'toolu_1', name: 'first', args: { x: 1 } },
      // An id llm-mux made up is not shown to a Gemini client.
      { name: 'second', args: { y: [2] } },
    ]);
    expect(view.signatures).toEqual([{ on: 'functionCall', value: 'S2' }]);
    expect(view.finishReason).toBe('STOP');
    expect(elements(sse, 'sse')).toHaveLength(2);
  });

  it('text that starts while a call is open waits for it', async () => {
    const view = await clientView([
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'a', name: 'f' },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
      { type: 'text', choice: 0, block: 1, text: 'after' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{}' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'text', choice: 0, block: 1, text: ' call' },
      { type: 'block_end', choice: 0, block: 1 },
    ]);
    expect(view.calls).toEqual([{ id: 'a', name: 'f', args: {} }]);
    expect(view.text).toBe('after call');
  });

  it('a mid-stream error is the last element and the stream ends cleanly', async () => {
    const error = new ProxyError('rate_limit', 'Slow down.', { code: 'RESOURCE_EXHAUSTED' });
    const events: StreamEvent[] = [
      start,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'partial' },
      { type: 'error', error },
      { type: 'text', choice: 0, block: 0, text: 'ignored' },
    ];
    const expected = { error: { code: 429, message: 'Slow down.', status: 'RESOURCE_EXHAUSTED' } };
    const sse = encode(events, 'sse');
    expect(elements(sse, 'sse').at(-1)).toEqual(expected);
    const array = encode(events, 'json-array');
    expect(elements(array, 'json-array').at(-1)).toEqual(expected);
    expect(array.endsWith('\n]')).toBe(true);
    const { chunks, error: thrown } = await sdkStream(sse);
    expect(viewOf(chunks).text).toBe('partial');
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(429);
  });

  it('several choices: each candidate has its index, all finish in the last element', async () => {
    const events: StreamEvent[] = [start];
    for (const choice of [0, 1]) events.push({ type: 'block_start', choice, block: 0, kind: 'text' }, { type: 'text', choice, block: 0, text: `answer ${choice}` });
    events.push({ type: 'finish', choice: 1, reason: 'content_filter' }, { type: 'refusal', choice: 0, text: ' (refused)' });
    const sent = elements(encode(events, 'sse'), 'sse');
    const last = sent.at(-1)!.candidates!;
    expect(last.map((candidate) => [candidate.index, candidate.finishReason])).toEqual([
      [0, 'STOP'],
      [1, 'SAFETY'],
    ]);
    const { chunks } = await sdkStream(encode(events, 'sse'));
    expect(chunks.flatMap((chunk) => chunk.candidates ?? []).filter((candidate) => candidate.index === 1).map((candidate) => candidate.content?.parts?.[0]?.text)).toContain('answer 1');
    expect(viewOf(chunks).text).toBe('answer 0 (refused)');
  });

  it('an empty stream is still a well-formed answer', () => {
    expect(encode([], 'json-array')).toBe(`[${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }], modelVersion: context.model, responseId: '' }, null, 2)}\n]`);
  });
});

describe('the JSON-array framing', () => {
  it.each(listFixtures('gemini').filter((fixture) => fixture.name.endsWith('.json-array-stream.json')).map((fixture) => [fixture.name, fixture] as const))(
    'reproduces %s byte for byte from its elements',
    (_name, fixture) => {
      const framing = jsonArrayFraming();
      const body = fixtureElements(fixture).map((element) => framing.element(element)).join('') + framing.close();
      expect(body).toBe(fixture.body.toString('utf8'));
    },
  );

  it('has the content types Google uses', () => {
    expect(createGeminiStreamEncoder(context, { framing: 'sse' }).contentType).toBe('text/event-stream');
    expect(createGeminiStreamEncoder(context, { framing: 'json-array' }).contentType).toBe('application/json; charset=UTF-8');
    expect(geminiInbound.createStreamEncoder(context).contentType).toBe('text/event-stream');
  });
});

describe.each(listFixtures('gemini').filter((fixture) => fixture.status === 200).map((fixture) => [fixture.name, fixture] as const))(
  're-encoding what the decoder made of %s',
  (_name, fixture) => {
    const wire = viewOf(fixtureElements(fixture));

    it('streams it back as Google sent it: same text, thoughts, calls and signature placement', async () => {
      const events = await decodeFixture(fixture);
      const canonical = aggregateEvents(events).choices[0]!;
      const view = await clientView(events);
      expect(view.text).toBe(wire.text);
      expect(view.thoughts).toBe(wire.thoughts);
      expect(view.signatures).toEqual(wire.signatures);
      expect(view.calls).toEqual(canonical.content.flatMap((part) => (part.type === 'tool_call' ? [{ name: part.name, args: JSON.parse(part.arguments) as unknown }] : [])));
      expect(view.finishReason).toBe(wire.finishReason);
      const { promptTokenCount, candidatesTokenCount, thoughtsTokenCount, totalTokenCount } = wire.usage as Record<string, number | undefined>;
      expect(view.usage).toMatchObject({ promptTokenCount, candidatesTokenCount: candidatesTokenCount ?? 0, totalTokenCount });
      expect(view.usage!.thoughtsTokenCount).toBe(thoughtsTokenCount);
    });

    it('answers it as one generateContent body the SDK reads', async () => {
      const response = aggregateEvents(await decodeFixture(fixture));
      const encoded = geminiInbound.encodeResponse(response, context);
      expect(unknownFields('GenerateContentResponse', encoded)).toEqual([]);
      const body = JSON.stringify(encoded);
      const answer = await withSdk(body, 'application/json', (client) => client.models.generateContent({ model: 'gemini-test', contents: 'hi' }));
      const view = viewOf([answer]);
      expect([view.text, view.thoughts, view.finishReason]).toEqual([wire.text, wire.thoughts, wire.finishReason]);
      expect(view.signatures.map((signature) => signature.value)).toEqual(wire.signatures.map((signature) => signature.value));
      // Without a stream to follow, a signed thought keeps its signature on the thought itself.
      const signedThoughts = response.choices[0]!.content.filter((part) => part.type === 'reasoning' && part.text !== '' && part.signature);
      expect(view.signatures.filter((signature) => signature.on === 'thought')).toHaveLength(signedThoughts.length);
      expect(answer.responseId).toBe(response.id);
      expect(answer.modelVersion).toBe(context.model);
    });
  },
);

describe('errorResponse', () => {
  it.each([
    [new ProxyError('invalid_request', 'bad'), 400, 'INVALID_ARGUMENT'],
    [new ProxyError('authentication', 'who'), 401, 'UNAUTHENTICATED'],
    [new ProxyError('permission', 'no'), 403, 'PERMISSION_DENIED'],
    [new ProxyError('not_found', 'gone'), 404, 'NOT_FOUND'],
    [new ProxyError('rate_limit', 'slow', { headers: { 'retry-after': '35' } }), 429, 'RESOURCE_EXHAUSTED'],
    [new ProxyError('upstream', 'broke'), 502, 'INTERNAL'],
    [new ProxyError('unavailable', 'busy'), 503, 'UNAVAILABLE'],
    [new ProxyError('internal', 'oops'), 500, 'INTERNAL'],
    [new ProxyError('invalid_request', 'precondition', { code: 'FAILED_PRECONDITION' }), 400, 'FAILED_PRECONDITION'],
  ])('%s', async (error, status, googleStatus) => {
    const response = geminiInbound.errorResponse(error);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: { code: status, message: error.message, status: googleStatus } });
    if (error.options.headers) expect(response.headers.get('retry-after')).toBe('35');
  });

  it('the SDK reports it with the status and message', async () => {
    const error = new ProxyError('not_found', 'models/x is not found');
    const body = await geminiInbound.errorResponse(error).text();
    const thrown = await withSdk(body, 'application/json', (client) => client.models.generateContent({ model: 'x', contents: 'hi' }).catch((caught: unknown) => caught), 404);
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(404);
    expect((thrown as ApiError).message).toContain('models/x is not found');
  });

  it('a recorded Google error decodes and renders back to the same body', () => {
    const fixture = loadFixture('gemini/error-404-model-not-found.json');
    const error = geminiInbound.errorResponse(geminiOutbound.decodeError(fixture.status, fixture.body.toString('utf8')));
    return expect(error.json()).resolves.toEqual(JSON.parse(fixture.body.toString('utf8')));
  });
});
