// Non-streamed answers and errors for Ollama clients: schema-checked, then read by the
// official `ollama` client.
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalResponse } from '../../../src/core/response.ts';
import { ollamaGenerateInbound, ollamaInbound, ollamaOutbound } from '../../../src/protocols/ollama/index.ts';
import { ANSWER_FIXTURES, fixtureFile, ollamaSchema, transcriptOf, wireLines, withOllamaClient } from './support.ts';

const CONTEXT = { model: 'client-model:latest' };

function expectValid(component: string, value: unknown): void {
  const validate = ollamaSchema(component);
  expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
}

/** The encoded body as it travels: JSON text. */
function wire(value: unknown): string {
  return JSON.stringify(value);
}

const RESPONSE: CanonicalResponse = {
  id: 'msg_1',
  model: 'claude-sonnet',
  created: 1_700_000_000,
  choices: [
    {
      index: 0,
      content: [
        { type: 'reasoning', text: 'The user wants weather.', signature: { protocol: 'anthropic', value: 'sig' } },
        { type: 'text', text: 'Checking ' },
        { type: 'text', text: 'now.' },
        { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris","days":2}' },
        { type: 'tool_call', id: 'toolu_2', name: 'get_time', arguments: '' },
      ],
      finishReason: 'tool_calls',
    },
  ],
  usage: { input: 120, output: 45, cached: 100, reasoning: 20 },
};

describe('Ollama encodeResponse', () => {
  it('writes a /api/chat answer the official client reads', async () => {
    const body = ollamaInbound.encodeResponse(RESPONSE, CONTEXT);
    expectValid('ChatResponse', body);
    expect(body).toEqual({
      model: CONTEXT.model,
      created_at: '2023-11-14T22:13:20.000Z',
      message: {
        role: 'assistant',
        content: 'Checking now.',
        thinking: 'The user wants weather.',
        tool_calls: [
          { id: 'toolu_1', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris', days: 2 } } },
          { id: 'toolu_2', function: { index: 1, name: 'get_time', arguments: {} } },
        ],
      },
      done: true,
      done_reason: 'stop',
      total_duration: 0,
      load_duration: 0,
      prompt_eval_count: 120,
      prompt_eval_duration: 0,
      eval_count: 45,
      eval_duration: 0,
    });
    const read = await withOllamaClient({ body: wire(body), contentType: 'application/json' }, (client) =>
      client.chat({ model: CONTEXT.model, messages: [{ role: 'user', content: 'hi' }], stream: false }),
    );
    expect(read.message.content).toBe('Checking now.');
    expect(read.message.thinking).toBe('The user wants weather.');
    expect(read.message.tool_calls?.map((call) => call.function)).toEqual([
      { index: 0, name: 'get_weather', arguments: { city: 'Paris', days: 2 } },
      { index: 1, name: 'get_time', arguments: {} },
    ]);
    expect(read.done_reason).toBe('stop');
  });

  it('writes a /api/generate answer: response and thinking, no tool calls, no context', async () => {
    const body = ollamaGenerateInbound.encodeResponse({ ...RESPONSE, choices: [{ ...RESPONSE.choices[0]!, finishReason: 'length' }] }, CONTEXT);
    expectValid('GenerateResponse', body);
    expect(body).toMatchObject({ response: 'Checking now.', thinking: 'The user wants weather.', done: true, done_reason: 'length' });
    expect(body).not.toHaveProperty('message');
    expect(body).not.toHaveProperty('context');
    const read = await withOllamaClient({ body: wire(body), contentType: 'application/json' }, (client) =>
      client.generate({ model: CONTEXT.model, prompt: 'hi', stream: false }),
    );
    expect(read).toMatchObject({ response: 'Checking now.', thinking: 'The user wants weather.', done_reason: 'length', eval_count: 45 });
  });

  it('renders a refusal as content, and zero counts without usage', () => {
    const body = ollamaInbound.encodeResponse(
      { id: 'x', model: 'gpt', created: 0, choices: [{ index: 0, content: [], finishReason: 'content_filter', refusal: 'I cannot help.' }] },
      CONTEXT,
    );
    expectValid('ChatResponse', body);
    expect(body).toMatchObject({ message: { role: 'assistant', content: 'I cannot help.' }, done_reason: 'stop', prompt_eval_count: 0, eval_count: 0 });
    expect((body as { message: object }).message).not.toHaveProperty('thinking');
    expect((body as { message: object }).message).not.toHaveProperty('tool_calls');
  });

  it.each(ANSWER_FIXTURES.map((fixture) => [fixtureFile(fixture), fixture] as const))('round-trips %s through decodeResponse', async (_name, fixture) => {
    const oracle = transcriptOf(wireLines(fixture.body));
    const body = ollamaInbound.encodeResponse(ollamaOutbound.decodeResponse(JSON.parse(fixture.body.toString())), CONTEXT);
    expectValid('ChatResponse', body);
    const read = await withOllamaClient({ body: wire(body), contentType: 'application/json' }, (client) =>
      client.chat({ model: CONTEXT.model, messages: [{ role: 'user', content: 'hi' }], stream: false }),
    );
    expect(read.message.content).toBe(oracle.text);
    expect(read.message.thinking ?? '').toBe(oracle.thinking);
    expect(read.message.tool_calls?.map((call) => ({ name: call.function.name, arguments: call.function.arguments }))).toEqual(
      oracle.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })),
    );
    expect(read).toMatchObject({ done: true, done_reason: oracle.doneReason, prompt_eval_count: oracle.promptEvalCount, eval_count: oracle.evalCount });
  });
});

describe('Ollama errorResponse', () => {
  const error = new ProxyError('not_found', 'model "nope" not found', { headers: { 'x-request-id': 'r1' } });

  it('is {"error": message} with the status', async () => {
    const response = ollamaInbound.errorResponse(error);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toBe('r1');
    const body = (await response.json()) as unknown;
    expectValid('ErrorResponse', body);
    expect(body).toEqual({ error: 'model "nope" not found' });
  });

  it.each([true, false])('is what the official client reports (stream: %s)', async (stream) => {
    const response = ollamaInbound.errorResponse(error);
    const thrown = await withOllamaClient({ body: await response.text(), status: response.status, contentType: 'application/json' }, async (client) => {
      try {
        const answer = await client.chat({ model: 'nope', messages: [{ role: 'user', content: 'hi' }], stream: stream as false });
        return answer;
      } catch (caught) {
        return caught;
      }
    });
    expect(thrown).toMatchObject({ name: 'ResponseError', error: 'model "nope" not found', status_code: 404 });
  });
});
