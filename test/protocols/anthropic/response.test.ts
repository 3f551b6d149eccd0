import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalChoice, CanonicalResponse } from '../../../src/core/response.ts';
import { anthropicInbound, anthropicOutbound } from '../../../src/protocols/anthropic/index.ts';
import { loadFixture } from '../../support/fixtures.ts';
import { anthropicSchema } from './support.ts';

const context = { model: 'client-model' };

function expectValid(component: string, body: unknown): void {
  const validate = anthropicSchema(component);
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

const answer = (choice: Partial<CanonicalChoice>, fields: Partial<CanonicalResponse> = {}): CanonicalResponse => ({
  id: 'chatcmpl-9',
  model: 'gpt-4o',
  created: 1700000000,
  choices: [{ index: 0, content: [], finishReason: 'stop', ...choice }],
  ...fields,
});

describe('Anthropic response encoding', () => {
  it('encodes reasoning, text and tool calls as an Anthropic Message', () => {
    const body = anthropicInbound.encodeResponse(
      answer(
        {
          content: [
            { type: 'reasoning', text: 'Claude thought.', signature: { protocol: 'anthropic', value: 'EuYDsig==' } },
            { type: 'reasoning', text: 'Gemini thought.', signature: { protocol: 'gemini', value: 'CiQB' } },
            { type: 'reasoning', text: 'DeepSeek thought.' },
            { type: 'reasoning', text: '', redacted: 'REDACTED==' },
            { type: 'text', text: 'Calling.' },
            { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool_call', id: 'call_2', name: 'broken', arguments: '{"unfinished' },
          ],
          finishReason: 'tool_calls',
        },
        { usage: { input: 1000, output: 50, cached: 600, cacheWrite: 100, reasoning: 20 } },
      ),
      context,
    );
    expectValid('Message', body);
    expect(body).toEqual({
      id: 'msg_chatcmpl-9',
      type: 'message',
      role: 'assistant',
      model: 'client-model',
      content: [
        { type: 'thinking', thinking: 'Claude thought.', signature: 'EuYDsig==' },
        { type: 'thinking', thinking: 'Gemini thought.', signature: 'llm-mux:gemini:CiQB' },
        { type: 'thinking', thinking: 'DeepSeek thought.', signature: '' },
        { type: 'redacted_thinking', data: 'REDACTED==' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'broken', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 300, output_tokens: 50, cache_read_input_tokens: 600, cache_creation_input_tokens: 100 },
    });
  });

  it.each([
    [{ finishReason: 'stop' }, 'end_turn', null],
    [{ finishReason: 'stop', stopSequence: '###' }, 'stop_sequence', '###'],
    [{ finishReason: 'length' }, 'max_tokens', null],
    [{ finishReason: 'content_filter' }, 'refusal', null],
    [{ finishReason: 'error' }, 'end_turn', null],
    [{ finishReason: 'stop', refusal: 'I cannot help with that.' }, 'refusal', null],
  ] as Array<[Partial<CanonicalChoice>, string, string | null]>)('%j → stop_reason %s', (choice, stopReason, stopSequence) => {
    const body = anthropicInbound.encodeResponse(answer(choice), context);
    expectValid('Message', body);
    expect(body).toMatchObject({ stop_reason: stopReason, stop_sequence: stopSequence });
  });

  it('a refusal is the text of the answer; msg_ ids are kept; no usage reads as zeros', () => {
    const body = anthropicInbound.encodeResponse(answer({ refusal: 'No.' }, { id: 'msg_01abc' }), context);
    expect(body).toMatchObject({
      id: 'msg_01abc',
      content: [{ type: 'text', text: 'No.' }],
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  });
});

describe('Anthropic response decoding', () => {
  it('decodes a Message: thinking with signature, redacted, text, tool use; server tool blocks left out', () => {
    const message = {
      id: 'msg_01XYZ',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [
        { type: 'thinking', thinking: 'Plan.', signature: 'EoQDsig==' },
        { type: 'redacted_thinking', data: 'EtgBredacted' },
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
        { type: 'text', text: 'Found it.', citations: null },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' }, caller: { type: 'direct' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        output_tokens: 40,
        cache_read_input_tokens: 200,
        cache_creation_input_tokens: 5,
        output_tokens_details: { thinking_tokens: 12 },
      },
    };
    const response = anthropicOutbound.decodeResponse(message);
    expect(response).toEqual({
      id: 'msg_01XYZ',
      model: 'claude-sonnet-4-5-20250929',
      created: expect.any(Number),
      choices: [
        {
          index: 0,
          content: [
            { type: 'reasoning', text: 'Plan.', signature: { protocol: 'anthropic', value: 'EoQDsig==' } },
            { type: 'reasoning', text: '', redacted: 'EtgBredacted', signature: { protocol: 'anthropic', value: 'EtgBredacted' } },
            { type: 'text', text: 'Found it.' },
            { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          ],
          finishReason: 'tool_calls',
        },
      ],
      usage: { input: 215, output: 40, cached: 200, cacheWrite: 5, reasoning: 12 },
    });
  });

  it('a stop sequence, and the encoder and decoder agreeing on each other', () => {
    const original = answer(
      { content: [{ type: 'text', text: 'done' }], finishReason: 'stop', stopSequence: 'END' },
      { usage: { input: 30, output: 2, cached: 10, cacheWrite: 0, reasoning: 0 } },
    );
    const decoded = anthropicOutbound.decodeResponse(anthropicInbound.encodeResponse(original, context));
    expect(decoded).toEqual({ ...original, id: 'msg_chatcmpl-9', model: 'client-model', created: expect.any(Number) });
  });

  it('an error body or something else entirely is a ProxyError', () => {
    expect(() => anthropicOutbound.decodeResponse({ type: 'error', error: { type: 'api_error', message: 'Boom' } })).toThrow('Boom');
    expect(() => anthropicOutbound.decodeResponse('<html>')).toThrow(ProxyError);
  });
});

describe('Anthropic errors', () => {
  it('decodes the recorded 400 with the upstream status and message', () => {
    const fixture = loadFixture('anthropic/error-400-invalid-request.json');
    const error = anthropicOutbound.decodeError(fixture.status, fixture.body.toString('utf8'));
    expect(error).toMatchObject({ kind: 'invalid_request', status: 400, code: 'invalid_request_error' });
    expect(error.message).toMatch(/^messages\.2\.content\.0: unexpected `tool_use_id` found in `tool_result` blocks/);
  });

  it('overloaded 529 is unavailable; non-JSON bodies are quoted; empty bodies named by status', () => {
    expect(anthropicOutbound.decodeError(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')).toMatchObject({
      kind: 'unavailable',
      status: 529,
      message: 'Overloaded',
    });
    expect(anthropicOutbound.decodeError(502, '<html>Bad Gateway</html>')).toMatchObject({
      kind: 'upstream',
      status: 502,
      message: 'The upstream answered HTTP 502: <html>Bad Gateway</html>',
    });
    expect(anthropicOutbound.decodeError(401, '')).toMatchObject({ kind: 'authentication', status: 401, message: 'The upstream answered HTTP 401' });
  });

  it.each([
    [new ProxyError('invalid_request', 'bad'), 400, 'invalid_request_error'],
    [new ProxyError('authentication', 'who?'), 401, 'authentication_error'],
    [new ProxyError('permission', 'no'), 403, 'permission_error'],
    [new ProxyError('not_found', 'gone'), 404, 'not_found_error'],
    [new ProxyError('rate_limit', 'slow', { headers: { 'retry-after': '3' } }), 429, 'rate_limit_error'],
    [new ProxyError('upstream', 'broke'), 502, 'api_error'],
    [new ProxyError('unavailable', 'busy'), 503, 'overloaded_error'],
    [new ProxyError('upstream', 'Overloaded', { status: 529 }), 529, 'overloaded_error'],
    [new ProxyError('upstream', 'slow upstream', { status: 504 }), 504, 'timeout_error'],
    [new ProxyError('internal', 'oops'), 500, 'api_error'],
  ])('renders %s as HTTP %i %s', async (error, status, type) => {
    const response = anthropicInbound.errorResponse(error);
    expect(response.status).toBe(status);
    const body = await response.json();
    expectValid('ErrorResponse', body);
    expect(body).toEqual({ type: 'error', error: { type, message: error.message } });
    if (error.kind === 'rate_limit') expect(response.headers.get('retry-after')).toBe('3');
  });
});
