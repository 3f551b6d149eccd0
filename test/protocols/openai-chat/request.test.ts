// Requests: a Chat Completions client's body decoded field by field (and refused with a clear
// 400 when malformed), canonical requests encoded for a Chat upstream and checked against the
// official schema, and a multi-turn tool loop taken through both.
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import { EFFORT_BUDGET, effortForBudget } from '../../../src/core/reasoning.ts';
import type { CanonicalRequest, ReasoningEffort } from '../../../src/core/request.ts';
import { chatInbound, chatOutbound } from '../../../src/protocols/openai-chat/index.ts';
import { expectValid } from './support.ts';

const CONTEXT = { model: 'gpt-4o' };
/** A 1×1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const WEATHER_PARAMETERS = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const ANSWER_SCHEMA = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };

/** Every feature a Chat Completions client can send that llm-mux carries. */
const BODY = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these pictures, and the weather in Paris and Rome?' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      reasoning_content: 'Two cities, one tool.',
      tool_calls: [
        { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      ],
    },
    // Answered out of order: pairing is by id.
    { role: 'tool', tool_call_id: 'call_rome', content: '18C' },
    { role: 'tool', tool_call_id: 'call_paris', content: [{ type: 'text', text: '21C' }] },
    { role: 'assistant', content: 'A cat. Paris 21C, Rome 18C.' },
    { role: 'user', content: 'Thanks!', name: 'alice' },
  ],
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 100,
  max_completion_tokens: 300,
  temperature: 0.3,
  top_p: 0.9,
  n: 2,
  seed: 42,
  presence_penalty: 0.5,
  frequency_penalty: -0.5,
  stop: ['\n\n', 'END'],
  tools: [
    { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: WEATHER_PARAMETERS, strict: true } },
    { type: 'function', function: { name: 'get_time' } },
  ],
  tool_choice: 'required',
  parallel_tool_calls: false,
  response_format: { type: 'json_schema', json_schema: { name: 'answer', description: 'The answer', schema: ANSWER_SCHEMA, strict: true } },
  reasoning_effort: 'low',
  user: 'user-1234',
};

const CANONICAL: CanonicalRequest = {
  model: 'gpt-4o',
  system: [
    { type: 'text', text: 'You are terse.' },
    { type: 'text', text: 'Use metric units.' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these pictures, and the weather in Paris and Rome?' },
        { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'Two cities, one tool.' },
        { type: 'tool_call', id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'call_rome', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'call_rome', name: 'get_weather', content: [{ type: 'text', text: '18C' }] },
        { type: 'tool_result', toolCallId: 'call_paris', name: 'get_weather', content: [{ type: 'text', text: '21C' }] },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'A cat. Paris 21C, Rome 18C.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Thanks!' }] },
  ],
  stream: true,
  // max_completion_tokens wins over the deprecated max_tokens.
  maxTokens: 300,
  temperature: 0.3,
  topP: 0.9,
  stop: ['\n\n', 'END'],
  n: 2,
  seed: 42,
  presencePenalty: 0.5,
  frequencyPenalty: -0.5,
  tools: [
    { name: 'get_weather', description: 'Weather in a city', parameters: WEATHER_PARAMETERS, strict: true },
    { name: 'get_time', parameters: { type: 'object', properties: {} } },
  ],
  toolChoice: { type: 'required' },
  parallelToolCalls: false,
  responseFormat: { type: 'json_schema', name: 'answer', description: 'The answer', schema: ANSWER_SCHEMA, strict: true },
  reasoning: { effort: 'low' },
  user: 'user-1234',
};

function decode(body: unknown): CanonicalRequest {
  return chatInbound.decodeRequest(body, CONTEXT);
}

/** A minimal valid body with `extra` merged in. */
function decodeWith(extra: Record<string, unknown>): CanonicalRequest {
  return decode({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra });
}

/** What goes on the wire (undefined fields dropped), validated against the official request schema. */
function encode(request: CanonicalRequest): Record<string, unknown> {
  const body = JSON.parse(JSON.stringify(chatOutbound.encodeRequest(request))) as Record<string, unknown>;
  expectValid('CreateChatCompletionRequest', body);
  return body;
}

function expectInvalid(run: () => unknown, message: RegExp, param?: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProxyError);
  expect(caught).toMatchObject({ kind: 'invalid_request', status: 400, message: expect.stringMatching(message) });
  if (param !== undefined) expect((caught as ProxyError).options.param).toBe(param);
  // Rendered for the client as an OpenAI error object.
  const response = chatInbound.errorResponse(caught as ProxyError);
  expect(response.status).toBe(400);
}

describe('Chat request decoding', () => {
  it('the test body is a valid Chat Completions request (reasoning_content aside)', () => {
    const messages = BODY.messages.map(({ reasoning_content: _, ...message }: Record<string, unknown>) => message);
    expectValid('CreateChatCompletionRequest', { ...BODY, messages });
  });

  it('decodes every field, pairing each tool result with its call by id and naming it', () => {
    expect(decode(BODY)).toEqual(CANONICAL);
  });

  it('defaults: not streaming, no options', () => {
    expect(decodeWith({})).toEqual({ model: 'gpt-4o', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false });
  });

  it('max_tokens alone, a single stop string, and nulls ignored', () => {
    expect(decodeWith({ max_tokens: 64 }).maxTokens).toBe(64);
    expect(decodeWith({ max_completion_tokens: 32 }).maxTokens).toBe(32);
    expect(decodeWith({ stop: 'END' }).stop).toEqual(['END']);
    const nulls = decodeWith({ max_tokens: null, temperature: null, top_p: null, stop: null, n: null, seed: null, reasoning_effort: null });
    expect(Object.keys(nulls).sort()).toEqual(['messages', 'model', 'stream', 'system']);
  });

  it('each tool_choice form', () => {
    expect(decodeWith({ tool_choice: 'auto' }).toolChoice).toEqual({ type: 'auto' });
    expect(decodeWith({ tool_choice: 'none' }).toolChoice).toEqual({ type: 'none' });
    expect(decodeWith({ tool_choice: 'required' }).toolChoice).toEqual({ type: 'required' });
    expect(decodeWith({ tool_choice: { type: 'function', function: { name: 'get_weather' } } }).toolChoice).toEqual({ type: 'tool', name: 'get_weather' });
    expect(decodeWith({ parallel_tool_calls: true }).parallelToolCalls).toBe(true);
  });

  it('each response_format', () => {
    expect(decodeWith({ response_format: { type: 'json_object' } }).responseFormat).toEqual({ type: 'json_object' });
    expect(decodeWith({ response_format: { type: 'text' } }).responseFormat).toEqual({ type: 'text' });
    expect(decodeWith({ response_format: { type: 'json_schema', json_schema: { name: 'x', strict: null } } }).responseFormat).toEqual({ type: 'json_schema', name: 'x', schema: {} });
  });

  it('reasoning: reasoning_effort, or the Anthropic-style `thinking` budget', () => {
    for (const effort of ['none', 'minimal', 'low', 'medium', 'high']) expect(decodeWith({ reasoning_effort: effort }).reasoning).toEqual({ effort });
    expect(decodeWith({ thinking: { type: 'enabled', budget_tokens: 2048 } }).reasoning).toEqual({ budgetTokens: 2048, includeThoughts: true });
    expect(decodeWith({ thinking: { type: 'disabled' } }).reasoning).toEqual({ effort: 'none', budgetTokens: 0 });
    // reasoning_effort is OpenAI's own field: it wins.
    expect(decodeWith({ reasoning_effort: 'high', thinking: { type: 'enabled', budget_tokens: 2048 } }).reasoning).toEqual({ effort: 'high' });
  });

  it('a user message after tool messages joins the tool results’ turn', () => {
    const request = decode({
      model: 'm',
      messages: [
        { role: 'assistant', content: 'Looking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
        { role: 'user', content: 'And?' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'assistant', content: [{ type: 'text', text: 'Looking.' }, { type: 'tool_call', id: 'call_1', name: 'look', arguments: '{}' }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'call_1', name: 'look', content: [{ type: 'text', text: 'a cat' }] },
          { type: 'text', text: 'And?' },
        ],
      },
    ]);
  });

  describe('refuses malformed input with a 400 that says what is wrong', () => {
    const message = (extra: Record<string, unknown>) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra });
    it('not a JSON object, no model, no messages', () => {
      for (const body of [null, [], 'text']) expectInvalid(() => decode(body), /must be a JSON object/);
      expectInvalid(() => decode({ messages: [{ role: 'user', content: 'hi' }] }), /model/, 'model');
      expectInvalid(() => decode({ model: 'gpt-4o', messages: [] }), /`messages` must be a non-empty array/, 'messages');
    });

    it('an unknown role', () => {
      expectInvalid(() => decode({ model: 'm', messages: [{ role: 'bot', content: 'hi' }] }), /messages\[0\]\.role must be system, developer, user, assistant or tool/, 'messages[0].role');
    });

    it('a tool message answering a call no assistant made, or none at all', () => {
      expectInvalid(
        () => decode({ model: 'm', messages: [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'call_ghost', content: 'x' }] }),
        /messages\[1\] answers tool call "call_ghost", which no earlier assistant message made/,
        'messages[1]',
      );
      expectInvalid(() => decode({ model: 'm', messages: [{ role: 'tool', content: 'x' }] }), /messages\[0\]\.tool_call_id is required/);
    });

    it('a bad tool_choice', () => {
      for (const choice of ['any', { type: 'function' }, { type: 'tool', name: 'f' }, 3]) {
        expectInvalid(() => decode(message({ tool_choice: choice })), /tool_choice must be "auto", "none", "required"/, 'tool_choice');
      }
    });

    it('a content part of an unsupported type, an image without a url, an image in a system message', () => {
      expectInvalid(
        () => decode({ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }] }] }),
        /messages\[0\]\.content\[0\]: content parts of type "input_audio" are not supported/,
      );
      expectInvalid(() => decode({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }), /image_url\.url must be a string/);
      expectInvalid(() => decode({ model: 'm', messages: [{ role: 'user', content: 42 }] }), /content must be a string or an array of parts/);
      expectInvalid(
        () => decode({ model: 'm', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }, { role: 'user', content: 'hi' }] }),
        /messages\[0\] may only contain text/,
      );
    });

    it('a bad reasoning_effort, tool or response_format', () => {
      expectInvalid(() => decode(message({ reasoning_effort: 'extreme' })), /reasoning_effort must be none, minimal, low, medium or high/, 'reasoning_effort');
      expectInvalid(() => decode(message({ tools: [{ type: 'code_interpreter' }] })), /tools\[0\] must be a function tool with a name/, 'tools[0]');
      expectInvalid(() => decode(message({ response_format: { type: 'json_schema', json_schema: {} } })), /response_format must be/, 'response_format');
    });
  });
});

/** A canonical request as another protocol's client might produce it. */
const TO_ENCODE: CanonicalRequest = {
  model: 'gpt-4o',
  system: [
    { type: 'text', text: 'You are terse.' },
    { type: 'text', text: 'Use metric units.' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is this, and the weather in Paris? And AAPL?' },
        { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'Anthropic thinking', signature: { protocol: 'anthropic', value: 'EqQBCkYI' } },
        { type: 'reasoning', text: 'unsigned thoughts' },
        { type: 'text', text: 'A cat. ' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'toolu_2', name: 'get_stock_price', arguments: '' },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'toolu_1', name: 'get_weather', content: [{ type: 'text', text: '21C' }, { type: 'text', text: 'sunny' }] },
        {
          type: 'tool_result',
          toolCallId: 'toolu_2',
          name: 'get_stock_price',
          isError: true,
          content: [
            { type: 'text', text: 'market closed' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
          ],
        },
        { type: 'text', text: 'What now?' },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'Paris: 21C.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Thanks!' }] },
  ],
  stream: true,
  maxTokens: 300,
  temperature: 0.3,
  topP: 0.9,
  topK: 40,
  stop: ['END'],
  n: 2,
  seed: 42,
  presencePenalty: 0.5,
  frequencyPenalty: -0.5,
  tools: [
    { name: 'get_weather', description: 'Weather in a city', parameters: WEATHER_PARAMETERS, strict: true },
    { name: 'get_stock_price', parameters: { type: 'object', properties: { ticker: { type: 'string' } } } },
  ],
  toolChoice: { type: 'tool', name: 'get_weather' },
  parallelToolCalls: true,
  responseFormat: { type: 'json_object' },
  reasoning: { budgetTokens: 2048, includeThoughts: true },
  user: 'user-1234',
};

describe('Chat request encoding', () => {
  it('encodes every field: system joined, tool results right after the assistant turn, images as URLs, reasoning left out', () => {
    expect(encode(TO_ENCODE)).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.\n\nUse metric units.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this, and the weather in Paris? And AAPL?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
        {
          role: 'assistant',
          content: 'A cat. Checking.',
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            // Chat wants arguments to be JSON text: none becomes {}.
            { id: 'toolu_2', type: 'function', function: { name: 'get_stock_price', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '21C\nsunny' },
        { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: market closed' },
        // Tool messages carry text only: the result's image follows in a user message.
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'text', text: 'What now?' },
          ],
        },
        { role: 'assistant', content: 'Paris: 21C.' },
        { role: 'user', content: 'Thanks!' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 300,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
      n: 2,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: WEATHER_PARAMETERS, strict: true } },
        { type: 'function', function: { name: 'get_stock_price', parameters: { type: 'object', properties: { ticker: { type: 'string' } } } } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: true,
      response_format: { type: 'json_object' },
      reasoning_effort: 'low',
      user: 'user-1234',
    });
  });

  it('a plain request: no stream fields, no options', () => {
    const body = encode({ model: 'gpt-4o', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false });
    expect(body).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
  });

  it.each([
    ['gpt-4o', 'max_tokens'],
    ['gpt-4.1-mini', 'max_tokens'],
    ['deepseek-chat', 'max_tokens'],
    ['o1', 'max_completion_tokens'],
    ['o3-mini', 'max_completion_tokens'],
    ['o4-mini-2025-04-16', 'max_completion_tokens'],
    ['gpt-5', 'max_completion_tokens'],
    ['gpt-5-nano', 'max_completion_tokens'],
  ])('%s gets %s', (model, field) => {
    const body = encode({ model, system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, maxTokens: 500 });
    expect(body[field]).toBe(500);
    expect(body).not.toHaveProperty(field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens');
  });

  it('reasoning effort: as given, or from a budget through src/core/reasoning.ts; none is not sent', () => {
    const effortOf = (reasoning: CanonicalRequest['reasoning']) =>
      encode({ model: 'gpt-5', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, reasoning }).reasoning_effort;
    for (const [effort, budget] of Object.entries(EFFORT_BUDGET)) {
      expect(effortOf({ effort: effort as ReasoningEffort })).toBe(effort);
      expect(effortOf({ budgetTokens: budget })).toBe(effort);
    }
    for (const budget of [1, 500, 2048, 10_000, 64_000]) expect(effortOf({ budgetTokens: budget })).toBe(effortForBudget(budget));
    expect(effortOf({ budgetTokens: 2048 })).toBe('low');
    expect(effortOf({ effort: 'none' })).toBeUndefined();
    expect(effortOf({ budgetTokens: 0 })).toBeUndefined();
    // An explicit effort wins over a budget.
    expect(effortOf({ effort: 'high', budgetTokens: 128 })).toBe('high');
  });

  it('json_schema response format, and parallel_tool_calls only with tools', () => {
    const body = encode({
      model: 'gpt-4o',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: false,
      responseFormat: { type: 'json_schema', name: 'answer', schema: ANSWER_SCHEMA, strict: true, description: 'The answer' },
      parallelToolCalls: false,
      toolChoice: { type: 'none' },
    });
    expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema: ANSWER_SCHEMA, strict: true, description: 'The answer' } });
    expect(body).not.toHaveProperty('parallel_tool_calls');
    expect(body.tool_choice).toBe('none');
  });
});

/** A tool loop as a Chat client sends it on its fourth turn. */
const TOOL_LOOP = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'Book the warmer city.' },
    { role: 'user', content: 'Paris or Rome?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_2', content: '18C' },
    { role: 'tool', tool_call_id: 'call_1', content: '21C' },
    {
      role: 'assistant',
      content: 'Paris is warmer; booking.',
      tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'book', arguments: '{"city":"Paris"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_3', content: 'booked' },
    { role: 'user', content: 'Also tell me the price.' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_4', type: 'function', function: { name: 'price', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'call_4', content: '120 EUR' },
  ],
  tools: ['get_weather', 'book', 'price'].map((name) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } })),
};

type WireMessage = { role: string; content?: unknown; tool_calls?: Array<{ id: string; function: { name: string } }>; tool_call_id?: string };

/** Every tool message sits in the run of tool messages right after the assistant message that made its call. */
function expectPaired(messages: WireMessage[]): void {
  let calls = new Set<string>();
  let answered = 0;
  messages.forEach((message, index) => {
    if (message.role === 'tool') {
      expect(calls.has(message.tool_call_id!), `messages[${index}] answers ${message.tool_call_id} right after its call`).toBe(true);
      calls.delete(message.tool_call_id!);
      answered += 1;
      return;
    }
    expect([...calls], `calls left unanswered before messages[${index}]`).toEqual([]);
    calls = new Set((message.tool_calls ?? []).map((call) => call.id));
  });
  expect(answered).toBe(4);
}

describe('a multi-turn tool loop, decoded then encoded', () => {
  it('keeps every tool result paired with its call, and the messages as the client sent them', () => {
    const canonical = decode(TOOL_LOOP);
    const names = canonical.messages.flatMap((message) => message.content.flatMap((part) => (part.type === 'tool_result' ? [[part.toolCallId, part.name]] : [])));
    expect(names).toEqual([
      ['call_2', 'get_weather'],
      ['call_1', 'get_weather'],
      ['call_3', 'book'],
      ['call_4', 'price'],
    ]);
    const body = encode(canonical);
    expectPaired(body.messages as WireMessage[]);
    expect(body.messages).toEqual(TOOL_LOOP.messages);
    expect(decode(body)).toEqual(canonical);
  });
});
