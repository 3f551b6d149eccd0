// Gemini CLI's Code Assist envelopes (no recorded bodies exist, so the Gemini fixtures are
// wrapped the way cloudcode-pa wraps them) and the countTokens shapes.
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalRequest } from '../../../src/core/request.ts';
import type { CanonicalResponse } from '../../../src/core/response.ts';
import {
  createGeminiStreamEncoder,
  decodeCountTokensRequest,
  decodeCountTokensResponse,
  encodeCountTokensRequest,
  encodeCountTokensResponse,
  geminiInbound,
  geminiOutbound,
  unwrapCodeAssistRequest,
  unwrapCodeAssistResponse,
  wrapCodeAssistCountTokens,
  wrapCodeAssistRequest,
  wrapCodeAssistResponse,
} from '../../../src/protocols/gemini/index.ts';
import type { GenerateContentResponse } from '../../../src/protocols/gemini/types.ts';
import { listFixtures } from '../../support/fixtures.ts';
import { decodeFixture, decodeSse, fixtureElements, normalize } from './support.ts';

const streams = listFixtures('gemini').filter((fixture) => fixture.contentType === 'text/event-stream');

describe('Code Assist requests', () => {
  const inner = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { temperature: 0.2 }, session_id: 's-1' };
  const envelope = { model: 'gemini-2.5-pro', project: 'my-project-123', user_prompt_id: 'prompt-9', request: inner };

  it('unwraps to the model and the generateContent body, which decodes as usual', () => {
    const unwrapped = unwrapCodeAssistRequest(envelope);
    expect(unwrapped).toEqual({ model: 'gemini-2.5-pro', project: 'my-project-123', userPromptId: 'prompt-9', request: inner });
    const request = geminiInbound.decodeRequest(unwrapped.request, { model: unwrapped.model });
    expect([request.model, request.temperature, request.messages]).toEqual(['gemini-2.5-pro', 0.2, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]]);
  });

  it('wraps an encoded body the same way, and the two are inverse', () => {
    const canonical = geminiInbound.decodeRequest(inner, { model: 'gemini-2.5-pro' });
    const wrapped = wrapCodeAssistRequest(geminiOutbound.encodeRequest(canonical), { model: 'gemini-2.5-pro', project: 'my-project-123', userPromptId: 'prompt-9' });
    expect(wrapped).toEqual({ model: 'gemini-2.5-pro', project: 'my-project-123', user_prompt_id: 'prompt-9', request: { contents: inner.contents, generationConfig: { temperature: 0.2 } } });
    expect(unwrapCodeAssistRequest(wrapped).request).toEqual(wrapped.request);
    expect(unwrapCodeAssistRequest({ model: 'models/gemini-3-pro-preview', request: inner }).model).toBe('gemini-3-pro-preview');
  });

  it.each([
    ['a string', 'x'],
    ['no model', { request: inner }],
    ['no request', { model: 'm' }],
  ])('refuses %s', (_case, body) => {
    expect(() => unwrapCodeAssistRequest(body)).toThrow(ProxyError);
  });
});

describe('Code Assist answers', () => {
  it.each(streams.map((fixture) => [fixture.name, fixture] as const))('a wrapped %s decodes like the plain one', async (_name, fixture) => {
    const wrapped = fixtureElements(fixture)
      .map((element) => `data: ${JSON.stringify(wrapCodeAssistResponse(element as GenerateContentResponse, 'trace-1'))}\r\n\r\n`)
      .join('');
    const events = await decodeSse([Buffer.from(wrapped)], { unwrap: unwrapCodeAssistResponse });
    expect(normalize(events)).toEqual(normalize(await decodeSse([fixture.body])));
  });

  it('errors are not wrapped and still decode', async () => {
    const body = 'data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}\r\n\r\n';
    const events = await decodeSse([Buffer.from(body)], { unwrap: unwrapCodeAssistResponse });
    expect(events).toMatchObject([{ type: 'error', error: { status: 503, kind: 'unavailable', message: 'overloaded' } }]);
  });

  it('a non-streaming answer unwraps, then decodes', () => {
    const [fixture] = listFixtures('gemini').filter((entry) => entry.name.endsWith('3-parallel-function-calls.json'));
    const plain = JSON.parse(fixture!.body.toString('utf8')) as Record<string, unknown>;
    // Tool call ids are made up afresh each time: compare without them.
    const comparable = (response: CanonicalResponse) => ({
      ...response,
      created: 0,
      choices: response.choices.map((choice) => ({ ...choice, content: choice.content.map((part) => (part.type === 'tool_call' ? { ...part, id: '' } : part)) })),
    });
    const response = geminiOutbound.decodeResponse(unwrapCodeAssistResponse(wrapCodeAssistResponse(plain as GenerateContentResponse, 't')));
    expect(comparable(response)).toEqual(comparable(geminiOutbound.decodeResponse(plain)));
    expect(response.choices[0]!.content.map((part) => part.type)).toEqual(['tool_call', 'tool_call', 'tool_call']);
  });

  it('the stream encoder wraps every answer element (not the framing, not errors) for a Code Assist client', async () => {
    const [fixture] = streams;
    const events = await decodeFixture(fixture!);
    const encoder = createGeminiStreamEncoder({ model: 'gemini-2.0-flash' }, { framing: 'sse', wrap: (response) => wrapCodeAssistResponse(response, 'trace-7') });
    const plain = createGeminiStreamEncoder({ model: 'gemini-2.0-flash' }, { framing: 'sse' });
    const parse = (body: string) =>
      body
        .split('\r\n\r\n')
        .filter(Boolean)
        .map((event) => JSON.parse(event.slice('data: '.length)) as unknown);
    const wrapped = parse(events.map((event) => encoder.encode(event)).join('') + encoder.end());
    const expected = parse(events.map((event) => plain.encode(event)).join('') + plain.end()).map((response) => ({ response, traceId: 'trace-7' }));
    expect(wrapped).toEqual(expected);
  });
});

describe('countTokens', () => {
  it('reads `{contents}` and `{generateContentRequest}` alike', () => {
    const contents = [{ role: 'user', parts: [{ text: 'count me' }] }];
    const plain = decodeCountTokensRequest({ contents }, { model: 'gemini-2.5-flash' });
    const full = decodeCountTokensRequest(
      { generateContentRequest: { model: 'models/gemini-2.5-flash', contents, systemInstruction: { parts: [{ text: 'sys' }] } } },
      { model: 'gemini-2.5-flash' },
    );
    expect(plain.messages).toEqual(full.messages);
    expect(full.system).toEqual([{ type: 'text', text: 'sys' }]);
  });

  it('writes the generateContentRequest form, so the system prompt and tools are counted', () => {
    const request: CanonicalRequest = {
      model: 'gemini-2.5-flash',
      system: [{ type: 'text', text: 'sys' }],
      stream: false,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'count me' }] }],
      tools: [{ name: 'f', parameters: { type: 'object' } }],
    };
    expect(encodeCountTokensRequest(request)).toEqual({
      generateContentRequest: {
        model: 'models/gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ text: 'count me' }] }],
        systemInstruction: { parts: [{ text: 'sys' }] },
        tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object' } }] }],
      },
    });
  });

  it('answers `{totalTokens}` and reads it back (proto3 leaves out a zero)', () => {
    expect(encodeCountTokensResponse(42)).toEqual({ totalTokens: 42 });
    expect(decodeCountTokensResponse({ totalTokens: 42, promptTokensDetails: [] })).toBe(42);
    expect(decodeCountTokensResponse({})).toBe(0);
    expect(() => decodeCountTokensResponse({ totalTokens: '42' })).toThrow(ProxyError);
  });

  it('Code Assist wraps countTokens as `{request: {model, contents}}`', () => {
    const contents = [{ role: 'user', parts: [{ text: 'x' }] }];
    expect(wrapCodeAssistCountTokens('gemini-2.5-pro', contents)).toEqual({ request: { model: 'models/gemini-2.5-pro', contents } });
  });
});
