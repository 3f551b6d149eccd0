// Non-streaming answers and errors: encodeResponse against the published Response schema,
// the codec's error handling against a recorded OpenAI error body.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalResponse } from '../../../src/core/response.ts';
import { responsesInbound, responsesOutbound } from '../../../src/protocols/openai-responses/index.ts';
import { FIXTURES_DIR } from '../../support/fixtures.ts';
import { openApiValidator } from '../../support/schemas.ts';

const validateResponse = openApiValidator('openai/openapi.yaml', { relaxRequired: true })('Response');
const CONTEXT = { model: 'client-model' };
const SIGNATURE = { protocol: 'openai-responses' as const, value: JSON.stringify({ id: 'rs_up', encrypted_content: 'gAAAA==' }) };

function answer(overrides: Partial<CanonicalResponse['choices'][number]> = {}): CanonicalResponse {
  return {
    id: 'chatcmpl-123',
    model: 'upstream-model',
    created: 1_700_000_000,
    choices: [
      {
        index: 0,
        content: [
          { type: 'reasoning', text: 'Thinking.', signature: SIGNATURE },
          { type: 'reasoning', text: 'Claude thinking.', signature: { protocol: 'anthropic', value: 'EqQB' } },
          { type: 'reasoning', text: '', redacted: 'EmwK' },
          { type: 'text', text: 'Calling the tool.' },
          { type: 'tool_call', id: 'call_1', name: 'calculator', arguments: '{"a":1}' },
        ],
        finishReason: 'tool_calls',
        ...overrides,
      },
    ],
    usage: { input: 100, output: 50, cached: 20, reasoning: 30, cacheWrite: 5 },
  };
}

describe('Responses encodeResponse', () => {
  it('writes a Response object with reasoning, message and function_call items', () => {
    const body = responsesInbound.encodeResponse(answer(), CONTEXT) as Record<string, any>;
    expect(validateResponse(body), JSON.stringify(validateResponse.errors?.slice(0, 3))).toBe(true);
    expect(body).toMatchObject({
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'client-model',
      usage: {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 20, cache_write_tokens: 5 },
        output_tokens: 50,
        output_tokens_details: { reasoning_tokens: 30 },
        total_tokens: 150,
      },
    });
    expect(body.id).toMatch(/^resp_/);
    expect(body.output).toEqual([
      { type: 'reasoning', id: 'rs_up', summary: [{ type: 'summary_text', text: 'Thinking.' }], encrypted_content: 'gAAAA==' },
      // Another protocol's signature, tagged, so the next request brings it back; redacted thinking has no place here.
      { type: 'reasoning', id: expect.stringMatching(/^rs_/), summary: [{ type: 'summary_text', text: 'Claude thinking.' }], encrypted_content: 'llm-mux:anthropic:EqQB' },
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Calling the tool.', annotations: [] }],
      },
      { type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: 'call_1', name: 'calculator', arguments: '{"a":1}', status: 'completed' },
    ]);
  });

  it('reports length as incomplete with max_output_tokens, and keeps a refusal apart', () => {
    const body = responsesInbound.encodeResponse(
      answer({ content: [{ type: 'text', text: 'Once' }], finishReason: 'length', refusal: 'No.' }),
      CONTEXT,
    ) as Record<string, any>;
    expect(validateResponse(body)).toBe(true);
    expect(body.status).toBe('incomplete');
    expect(body.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(body.output.map((item: any) => item.content[0])).toEqual([
      { type: 'output_text', text: 'Once', annotations: [] },
      { type: 'refusal', refusal: 'No.' },
    ]);
  });

  it('keeps a resp_ id and decodes back to the same answer', () => {
    const original = answer({ content: [{ type: 'reasoning', text: 'Thinking.', signature: SIGNATURE }, { type: 'text', text: 'Hi' }], finishReason: 'stop' });
    original.id = 'resp_kept';
    const body = responsesInbound.encodeResponse(original, CONTEXT);
    expect((body as { id: string }).id).toBe('resp_kept');
    expect(responsesOutbound.decodeResponse(body)).toEqual({ ...original, model: 'client-model' });
  });
});

describe('Responses clients and other protocols\' signatures', () => {
  const gemini = (value: string) => ({ protocol: 'gemini' as const, value });

  it('a signed call (Gemini) gets an empty reasoning item with the tagged signature just before it', () => {
    const body = responsesInbound.encodeResponse(
      answer({
        content: [
          { type: 'reasoning', text: 'Gemini thinks.', signature: gemini('CiQB+t/1==') },
          { type: 'tool_call', id: 'call_1', name: 'ls', arguments: '{}', signature: gemini('Fc1+/==') },
          { type: 'tool_call', id: 'call_2', name: 'pwd', arguments: '{}' },
        ],
      }),
      CONTEXT,
    ) as Record<string, any>;
    expect(validateResponse(body), JSON.stringify(validateResponse.errors?.slice(0, 3))).toBe(true);
    expect(body.output.map((item: any) => [item.type, item.summary?.[0]?.text ?? item.call_id, item.encrypted_content])).toEqual([
      ['reasoning', 'Gemini thinks.', 'llm-mux:gemini:CiQB+t/1=='],
      ['reasoning', undefined, 'llm-mux:gemini:Fc1+/=='],
      ['function_call', 'call_1', undefined],
      ['function_call', 'call_2', undefined],
    ]);
  });

  it('the next request brings the tagged signatures back as the original ones, and the Responses upstream never sees them', () => {
    const body = responsesInbound.encodeResponse(
      answer({
        content: [
          { type: 'reasoning', text: 'Claude thinks.', signature: { protocol: 'anthropic', value: 'EqQB' } },
          { type: 'reasoning', text: 'Own.', signature: SIGNATURE },
          { type: 'tool_call', id: 'call_1', name: 'ls', arguments: '{}', signature: gemini('Fc1') },
        ],
      }),
      CONTEXT,
    ) as Record<string, any>;
    const request = responsesInbound.decodeRequest(
      {
        model: 'm',
        input: [
          { role: 'user', content: 'Hi' },
          ...body.output,
          { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
        ],
      },
      CONTEXT,
    );
    expect(request.messages[1]!.content).toEqual([
      { type: 'reasoning', text: 'Claude thinks.', signature: { protocol: 'anthropic', value: 'EqQB' } },
      { type: 'reasoning', text: 'Own.', signature: SIGNATURE },
      { type: 'reasoning', text: '', signature: gemini('Fc1') },
      { type: 'tool_call', id: 'call_1', name: 'ls', arguments: '{}' },
    ]);
    const upstream = JSON.stringify(responsesOutbound.encodeRequest({ ...request, model: 'o3' }));
    expect(upstream).toContain('gAAAA==');
    expect(upstream).not.toContain('EqQB');
    expect(upstream).not.toContain('Fc1');
    expect(upstream).not.toContain('llm-mux:');
  });

  it('a tag naming Responses itself is an encrypted_content like any other', () => {
    const request = responsesInbound.decodeRequest(
      { model: 'm', input: [{ type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'llm-mux:openai-responses:x' }] },
      CONTEXT,
    );
    expect(request.messages[0]!.content).toEqual([
      { type: 'reasoning', text: '', signature: { protocol: 'openai-responses', value: JSON.stringify({ id: 'rs_1', encrypted_content: 'llm-mux:openai-responses:x' }) } },
    ]);
  });
});

describe('Responses errors', () => {
  const recorded = readFileSync(join(FIXTURES_DIR, 'openai-chat/error-400-unsupported-parameter.json'), 'utf8');

  it("decodes an upstream error body with the upstream's status, message, code and param", () => {
    const error = responsesOutbound.decodeError(400, recorded);
    const wire = JSON.parse(recorded).error;
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ kind: 'invalid_request', status: 400, message: wire.message, code: wire.code });
    expect(error.options.param).toBe(wire.param);
  });

  it('keeps a body that is not JSON as the message', () => {
    expect(responsesOutbound.decodeError(503, 'upstream connect error')).toMatchObject({ kind: 'unavailable', status: 503, message: 'upstream connect error' });
    expect(responsesOutbound.decodeError(502, '').message).toMatch(/502/);
  });

  it('answers clients with the OpenAI error object', async () => {
    const response = responsesInbound.errorResponse(new ProxyError('invalid_request', 'Bad input.', { param: 'input', code: 'bad' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: 'Bad input.', type: 'invalid_request_error', param: 'input', code: 'bad' } });
  });

  it('decodes a refusal and an incomplete Response object', () => {
    const decoded = responsesOutbound.decodeResponse({
      id: 'resp_2',
      model: 'gpt-4o',
      created_at: 5,
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [
        { type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'Part' }, { type: 'refusal', refusal: 'No more.' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ],
    });
    expect(decoded).toEqual({
      id: 'resp_2',
      model: 'gpt-4o',
      created: 5,
      choices: [{ index: 0, content: [{ type: 'text', text: 'Part' }], finishReason: 'length', refusal: 'No more.' }],
    });
  });

  it('refuses a body that is not a Response object', () => {
    expect(() => responsesOutbound.decodeResponse('oops')).toThrow(ProxyError);
  });

  it('refuses a failed Response object with its error', () => {
    expect(() =>
      responsesOutbound.decodeResponse({ id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'The model failed.' }, output: [] }),
    ).toThrow('The model failed.');
  });
});
