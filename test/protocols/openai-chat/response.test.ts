// Non-streamed answers: encodeChatResponse checked against the official schema and read by
// the openai SDK, the round trip through decodeChatResponse, the fold of each recorded
// stream into one chat.completion, and the recorded HTTP error body.
import { describe, expect, it } from 'vitest';
import { ResponseAggregator } from '../../../src/core/aggregate.ts';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalResponse } from '../../../src/core/response.ts';
import { decodeChatResponse } from '../../../src/protocols/openai-chat/decode-response.ts';
import { encodeChatResponse } from '../../../src/protocols/openai-chat/encode-response.ts';
import { chatInbound, chatOutbound } from '../../../src/protocols/openai-chat/index.ts';
import { loadFixture, sseEvents } from '../../support/fixtures.ts';
import { STREAM_FIXTURES, decodeStream, expectValid, expectedUsage, fixtureFile, transcriptOf, withOpenAI } from './support.ts';

const CONTEXT = { model: 'client-model' };

const RESPONSE: CanonicalResponse = {
  id: 'chatcmpl-abc123',
  model: 'upstream-model',
  created: 1_700_000_000,
  choices: [
    {
      index: 0,
      content: [
        { type: 'reasoning', text: 'The user wants two things.' },
        { type: 'text', text: 'Checking the weather and the stock.' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'call_2', name: 'get_stock_price', arguments: '{"ticker":"AAPL"}' },
      ],
      finishReason: 'tool_calls',
    },
    { index: 1, content: [{ type: 'text', text: 'Trunc' }], finishReason: 'length' },
    { index: 2, content: [], finishReason: 'stop', refusal: "I can't help with that." },
    { index: 3, content: [{ type: 'text', text: 'Filtered.' }], finishReason: 'content_filter' },
  ],
  usage: { input: 120, output: 45, cached: 100, reasoning: 20 },
};

describe('encodeChatResponse', () => {
  it('writes a chat.completion that validates and holds every part', () => {
    const body = encodeChatResponse(RESPONSE, CONTEXT);
    expectValid('CreateChatCompletionResponse', body);
    expect(body).toEqual({
      id: 'chatcmpl-abc123',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'client-model',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking the weather and the stock.',
            refusal: null,
            reasoning_content: 'The user wants two things.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2', type: 'function', function: { name: 'get_stock_price', arguments: '{"ticker":"AAPL"}' } },
            ],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
        { index: 1, message: { role: 'assistant', content: 'Trunc', refusal: null }, finish_reason: 'length', logprobs: null },
        { index: 2, message: { role: 'assistant', content: null, refusal: "I can't help with that." }, finish_reason: 'stop', logprobs: null },
        { index: 3, message: { role: 'assistant', content: 'Filtered.', refusal: null }, finish_reason: 'content_filter', logprobs: null },
      ],
      usage: {
        prompt_tokens: 120,
        completion_tokens: 45,
        total_tokens: 165,
        prompt_tokens_details: { cached_tokens: 100 },
        completion_tokens_details: { reasoning_tokens: 20 },
      },
    });
  });

  it('round-trips through decodeChatResponse (the client model replaces the upstream one)', () => {
    const decoded = decodeChatResponse(JSON.parse(JSON.stringify(encodeChatResponse(RESPONSE, CONTEXT))));
    expect(decoded).toEqual({ ...RESPONSE, model: CONTEXT.model });
  });

  it('joins text and reasoning parts, drops signatures, prefixes a foreign id, maps error to stop, and has no usage when none', () => {
    const response: CanonicalResponse = {
      id: 'msg_01',
      model: 'claude',
      created: 1,
      choices: [
        {
          index: 0,
          content: [
            { type: 'reasoning', text: 'a', signature: { protocol: 'anthropic', value: 'sig' } },
            { type: 'reasoning', text: 'b', redacted: 'opaque' },
            { type: 'text', text: 'Hello ' },
            { type: 'text', text: 'there' },
          ],
          finishReason: 'error',
          stopSequence: '###',
        },
      ],
    };
    const body = encodeChatResponse(response, CONTEXT);
    expectValid('CreateChatCompletionResponse', body);
    expect(body.id).toBe('chatcmpl-msg_01');
    expect(body.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: 'Hello there', refusal: null, reasoning_content: 'ab' },
      finish_reason: 'stop',
      logprobs: null,
    });
    expect(body).not.toHaveProperty('usage');
    expect(JSON.stringify(body)).not.toContain('sig');
    expect(decodeChatResponse(body)).toEqual({
      id: 'chatcmpl-msg_01',
      model: CONTEXT.model,
      created: 1,
      choices: [{ index: 0, content: [{ type: 'reasoning', text: 'ab' }, { type: 'text', text: 'Hello there' }], finishReason: 'stop' }],
    });
  });

  it('is read by the openai SDK as it was written', async () => {
    const body = encodeChatResponse(RESPONSE, CONTEXT);
    const completion = await withOpenAI({ body: JSON.stringify(body), contentType: 'application/json' }, (client) =>
      client.chat.completions.create({ model: CONTEXT.model, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(completion).toEqual(body);
  });
});

describe('decodeChatResponse', () => {
  it('reads OpenRouter’s `reasoning`, keeps missing ids and finish reasons sensible', () => {
    const decoded = decodeChatResponse({
      id: '',
      object: 'chat.completion',
      created: 5,
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '', reasoning: 'hmm', tool_calls: [{ id: '', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          finish_reason: 'stop',
        },
        { index: 1, message: { role: 'assistant', content: 'x' }, finish_reason: null },
      ],
    });
    expect(decoded.id).toMatch(/^chatcmpl-/);
    expect(decoded.choices[0]!.content).toEqual([
      { type: 'reasoning', text: 'hmm' },
      { type: 'tool_call', id: expect.stringMatching(/^call_/), name: 'f', arguments: '{}' },
    ]);
    // "stop" with tool calls is a tool-calling turn.
    expect(decoded.choices[0]!.finishReason).toBe('tool_calls');
    expect(decoded.choices[1]!.finishReason).toBe('stop');
    expect(decoded).not.toHaveProperty('usage');
  });

  it('refuses a body without choices with an upstream error', () => {
    for (const body of [null, {}, { choices: 'no' }]) {
      expect(() => decodeChatResponse(body)).toThrow(expect.objectContaining({ kind: 'upstream', code: 'malformed_response' }));
    }
  });
});

async function* messagesOf(body: Buffer) {
  yield* sseEvents(body);
}

describe('foldChatStream on each recording', () => {
  it.each(STREAM_FIXTURES.map((fixture) => [fixtureFile(fixture), fixture] as const))('%s', async (_file, fixture) => {
    const oracle = transcriptOf(fixture.body);
    const folded = await chatOutbound.foldStream!(messagesOf(fixture.body));
    expect(folded.usage).toEqual(oracle.usage ? expectedUsage(oracle.usage) : undefined);
    if (oracle.error) {
      expect('error' in folded && folded.error).toMatchObject({ message: oracle.error.message });
      return;
    }
    if (!('body' in folded)) throw new Error('expected a body');
    const body = folded.body as { id: string; model: string; choices: Array<{ message: { content: string | null } }> };
    expect(body).toMatchObject({ object: 'chat.completion', id: oracle.id, model: oracle.model, created: oracle.created });
    // The folded body and the canonical stream agree: decoding one is aggregating the other.
    const aggregator = new ResponseAggregator();
    for (const event of decodeStream(fixture.body)) aggregator.add(event);
    expect(decodeChatResponse(body)).toEqual(aggregator.result());
    // What llm-mux hands clients from it is a valid chat.completion.
    expectValid('CreateChatCompletionResponse', encodeChatResponse(decodeChatResponse(body), CONTEXT));
  });
});

describe('upstream HTTP errors', () => {
  it('decodes the recorded 400 body with its status, message, code and param', () => {
    const fixture = loadFixture('openai-chat/error-400-unsupported-parameter.json');
    const error = chatOutbound.decodeError(fixture.status, fixture.body.toString('utf8'));
    const recorded = (JSON.parse(fixture.body.toString('utf8')) as { error: { message: string } }).error;
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ kind: 'invalid_request', status: 400, message: recorded.message, code: 'unsupported_parameter' });
    expect(error.options.param).toBe('max_tokens');
  });

  it('keeps a non-JSON body as the message', () => {
    const error = chatOutbound.decodeError(503, 'upstream overloaded\n');
    expect(error).toMatchObject({ kind: 'unavailable', status: 503, message: 'The upstream answered HTTP 503: upstream overloaded' });
  });

  it('answers clients with the OpenAI error object, which the SDK reads', async () => {
    const response = chatInbound.errorResponse(new ProxyError('invalid_request', 'Bad tool_choice.', { param: 'tool_choice', code: 'invalid_request' }));
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ error: { message: 'Bad tool_choice.', type: 'invalid_request_error', param: 'tool_choice', code: 'invalid_request' } });
    const error = await withOpenAI({ body, status: 400, contentType: 'application/json' }, (client) =>
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).then(
        () => undefined,
        (caught: unknown) => caught,
      ),
    );
    expect(error).toMatchObject({ status: 400, message: '400 Bad tool_choice.', param: 'tool_choice', type: 'invalid_request_error' });
  });
});
