import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalRequest, Message } from '../../../src/core/request.ts';
import { anthropicInbound, anthropicOutbound } from '../../../src/protocols/anthropic/index.ts';
import { loadFixture, sseEvents } from '../../support/fixtures.ts';
import { anthropicSchema } from './support.ts';

const context = { model: 'claude-sonnet-4-5' };
const decode = (body: unknown) => anthropicInbound.decodeRequest(body, context);
const encode = (request: CanonicalRequest) => anthropicOutbound.encodeRequest(request) as Record<string, any>;

/** Real signatures, byte for byte, from the recorded streams. */
const signatureOf = (name: string) =>
  sseEvents(loadFixture(`anthropic/${name}`).body)
    .map(({ data }) => JSON.parse(data) as Record<string, any>)
    .find((event) => event.delta?.type === 'signature_delta')!.delta.signature as string;
const SIGNATURE_1 = signatureOf('haiku-4.5-thinking-then-tool-use.sse');
const SIGNATURE_2 = signatureOf('haiku-4.5-thinking-signature-text.sse');
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function expectValidRequest(body: Record<string, unknown>): void {
  const validate = anthropicSchema('CreateMessageParams');
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

function expectInvalid(body: unknown, message: RegExp | string): void {
  let error: unknown;
  try {
    decode(body);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ProxyError);
  expect(error).toMatchObject({ kind: 'invalid_request', status: 400, message: expect.stringMatching(message) });
}

/** A request using every feature the codec translates. */
const fullRequest = {
  model: 'claude-sonnet-4-5',
  max_tokens: 4096,
  system: [
    { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Use the tools.' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather in Paris? See the photos.' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I need the weather.', signature: SIGNATURE_1 },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '18°C' }] },
    {
      role: 'assistant',
      content: [
        { type: 'redacted_thinking', data: 'EqkECkYIBxgCKkA8redacted' },
        { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_02',
          content: [
            { type: 'text', text: 'clock broken' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/clock.png' } },
          ],
          is_error: true,
        },
        { type: 'text', text: 'Thanks.' },
      ],
    },
  ],
  stop_sequences: ['END'],
  temperature: 0.5,
  top_p: 0.9,
  top_k: 40,
  tools: [
    {
      name: 'get_weather',
      description: 'Current weather',
      input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      cache_control: { type: 'ephemeral' },
    },
    { type: 'custom', name: 'get_time', input_schema: { type: 'object', properties: {} }, strict: true },
  ],
  tool_choice: { type: 'auto', disable_parallel_tool_use: true },
  thinking: { type: 'enabled', budget_tokens: 2048 },
  metadata: { user_id: 'user-42' },
  stream: true,
};

describe('Anthropic request decoding', () => {
  it('decodes every feature field by field', () => {
    expect(decode(fullRequest)).toEqual({
      model: 'claude-sonnet-4-5',
      system: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Use the tools.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Paris? See the photos.' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
            { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'I need the weather.', signature: { protocol: 'anthropic', value: SIGNATURE_1 } },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_call', id: 'toolu_01', name: 'get_weather', arguments: '{"city":"Paris"}' },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', toolCallId: 'toolu_01', name: 'get_weather', content: [{ type: 'text', text: '18°C' }] }],
        },
        {
          role: 'assistant',
          content: [
            {
              type: 'reasoning',
              text: '',
              redacted: 'EqkECkYIBxgCKkA8redacted',
              signature: { protocol: 'anthropic', value: 'EqkECkYIBxgCKkA8redacted' },
            },
            { type: 'tool_call', id: 'toolu_02', name: 'get_time', arguments: '{}' },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              toolCallId: 'toolu_02',
              name: 'get_time',
              content: [
                { type: 'text', text: 'clock broken' },
                { type: 'image', source: { kind: 'url', url: 'https://example.com/clock.png' } },
              ],
              isError: true,
            },
            { type: 'text', text: 'Thanks.' },
          ],
        },
      ],
      stream: true,
      maxTokens: 4096,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      stop: ['END'],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
        { name: 'get_time', parameters: { type: 'object', properties: {} }, strict: true },
      ],
      toolChoice: { type: 'auto' },
      parallelToolCalls: false,
      reasoning: { budgetTokens: 2048, includeThoughts: true },
      user: 'user-42',
    } satisfies CanonicalRequest);
  });

  it('string system and string content are one text block', () => {
    const request = decode({ model: 'm', max_tokens: 10, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] });
    expect(request.system).toEqual([{ type: 'text', text: 'Be brief.' }]);
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
    expect(request.stream).toBe(false);
  });

  it.each([
    [{ type: 'auto' }, { toolChoice: { type: 'auto' } }],
    [{ type: 'any' }, { toolChoice: { type: 'required' } }],
    [{ type: 'any', disable_parallel_tool_use: false }, { toolChoice: { type: 'required' }, parallelToolCalls: true }],
    [
      { type: 'tool', name: 'get_time', disable_parallel_tool_use: true },
      { toolChoice: { type: 'tool', name: 'get_time' }, parallelToolCalls: false },
    ],
    [{ type: 'none' }, { toolChoice: { type: 'none' } }],
  ])('tool_choice %j', (toolChoice, expected) => {
    const request = decode({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }], tool_choice: toolChoice });
    expect({ toolChoice: request.toolChoice, parallelToolCalls: request.parallelToolCalls }).toEqual({ parallelToolCalls: undefined, ...expected });
  });

  it.each([
    [{ thinking: { type: 'disabled' } }, { effort: 'none', budgetTokens: 0 }],
    [{ thinking: { type: 'enabled', budget_tokens: 1024, display: 'omitted' } }, { budgetTokens: 1024, includeThoughts: false }],
    [{ thinking: { type: 'adaptive' } }, { includeThoughts: true }],
    [{ thinking: { type: 'adaptive' }, output_config: { effort: 'max' } }, { effort: 'high', includeThoughts: true }],
    [{ output_config: { effort: 'low' } }, { effort: 'low' }],
    [{}, undefined],
  ])('reasoning from %j', (fields, expected) => {
    expect(decode({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }], ...fields }).reasoning).toEqual(expected);
  });

  it('output_config.format → json_schema response format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    const request = decode({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'Hi' }],
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect(request.responseFormat).toEqual({ type: 'json_schema', name: 'response', schema, strict: true });
  });

  it('signatures llm-mux tagged for another upstream come back as that upstream’s; empty ones as unsigned', () => {
    const request = decode({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'a', signature: 'llm-mux:gemini:CiQB+abc==' },
            { type: 'thinking', thinking: 'b', signature: '' },
            { type: 'thinking', thinking: 'c' },
            { type: 'text', text: 'Hello' },
          ],
        },
      ],
    });
    expect(request.messages[1]?.content.slice(0, 3)).toEqual([
      { type: 'reasoning', text: 'a', signature: { protocol: 'gemini', value: 'CiQB+abc==' } },
      { type: 'reasoning', text: 'b' },
      { type: 'reasoning', text: 'c' },
    ]);
  });

  it('server tool blocks in the history are left out', () => {
    const request = decode({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'weather' } },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
            { type: 'text', text: 'Sunny.', citations: [] },
          ],
        },
      ],
    });
    expect(request.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Sunny.' }] });
  });

  describe('rejects malformed requests with a 400 that names the field', () => {
    const valid = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] };
    const userBlock = (block: unknown) => ({ ...valid, messages: [{ role: 'user', content: [block] }] });
    it.each([
      ['a body that is not an object', [1, 2], /JSON object/],
      ['no model', { ...valid, model: undefined }, /^model: required$/],
      ['no max_tokens', { ...valid, max_tokens: undefined }, /^max_tokens: required: the Anthropic Messages API has no default maximum$/],
      ['a fractional max_tokens', { ...valid, max_tokens: 1.5 }, /^max_tokens: /],
      ['no messages', { ...valid, messages: [] }, /^messages: at least one message is required$/],
      ['an unknown role', { ...valid, messages: [{ role: 'system', content: 'x' }] }, /^messages\.0\.role: /],
      ['a document block', userBlock({ type: 'document', source: {} }), /^messages\.0\.content\.0\.type: unsupported content block/],
      ['a file image', userBlock({ type: 'image', source: { type: 'file', file_id: 'f' } }), /file sources cannot be translated/],
      [
        'tool_use in a user turn',
        userBlock({ type: 'tool_use', id: 't', name: 'f', input: {} }),
        /^messages\.0\.content\.0: tool_use blocks belong in assistant messages$/,
      ],
      [
        'a tool_result without its tool_use',
        userBlock({ type: 'tool_result', tool_use_id: 'toolu_x' }),
        /^messages\.0\.content\.0\.tool_use_id: no earlier tool_use block has the id "toolu_x"$/,
      ],
      ['a server tool', { ...valid, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /^tools\.0\.type: only custom tools/],
      ['a temperature above 1', { ...valid, temperature: 1.5 }, /^temperature: /],
      ['an unknown tool_choice', { ...valid, tool_choice: { type: 'sometimes' } }, /^tool_choice\.type: /],
    ])('%s', (_, body, message) => expectInvalid(body, message));
  });
});

describe('Anthropic request encoding', () => {
  const base: CanonicalRequest = {
    model: 'claude-haiku-4-5',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    stream: false,
  };

  it('round-trips a multi-turn tool loop with thinking: signatures byte-exact, every tool_result with its tool_use', () => {
    const { temperature: _t, top_k: _k, top_p: _p, ...withoutSampling } = fullRequest;
    const body = encode(decode(withoutSampling));
    expectValidRequest(body);
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Use the tools.' },
      ],
      messages: [
        fullRequest.messages[0],
        fullRequest.messages[1],
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: '18°C' }] }] },
        fullRequest.messages[3],
        fullRequest.messages[4],
      ],
      stop_sequences: ['END'],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
        { name: 'get_time', input_schema: { type: 'object', properties: {} }, strict: true },
      ],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      metadata: { user_id: 'user-42' },
      stream: true,
    });
    expect(body.messages[1].content[0].signature).toBe(SIGNATURE_1);
  });

  it('drops reasoning Anthropic did not sign; keeps redacted thinking; puts thinking first', () => {
    const messages: Message[] = [
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me see.' },
          { type: 'reasoning', text: 'gemini thought', signature: { protocol: 'gemini', value: 'CiQB' } },
          { type: 'reasoning', text: 'unsigned thought' },
          { type: 'reasoning', text: 'claude thought', signature: { protocol: 'anthropic', value: SIGNATURE_2 } },
          { type: 'reasoning', text: '', redacted: 'REDACTED==' },
          { type: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{"x":1}' },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', toolCallId: 'toolu_1', name: 'f', content: [{ type: 'text', text: 'ok' }] }] },
    ];
    const body = encode({ ...base, messages });
    expectValidRequest(body);
    expect(body.messages[1].content).toEqual([
      { type: 'thinking', thinking: 'claude thought', signature: SIGNATURE_2 },
      { type: 'redacted_thinking', data: 'REDACTED==' },
      { type: 'text', text: 'Let me see.' },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: { x: 1 } },
    ]);
  });

  it('a thinking block a client got from another upstream (tagged) is dropped on the way to Anthropic', () => {
    const request = decode({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'x', signature: 'llm-mux:openai-responses:gAAAA' },
            { type: 'text', text: 'Hello' },
          ],
        },
        { role: 'user', content: 'Again' },
      ],
    });
    expect(encode(request).messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Hello' }] });
  });

  it('merges consecutive turns of one role, tool results first; empty turns and text vanish', () => {
    const body = encode({
      ...base,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Do two things.' }] },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'call_a', name: 'f', arguments: '{}' }] },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'call_b', name: 'g', arguments: '' }] },
        { role: 'user', content: [{ type: 'text', text: 'Here:' }, { type: 'tool_result', toolCallId: 'call_a', name: 'f', content: [] }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'unsigned' }, { type: 'text', text: '' }] },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'call_b', name: 'g', content: [{ type: 'text', text: '2' }], isError: true }] },
      ],
    });
    expectValidRequest(body);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Do two things.' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_a', name: 'f', input: {} },
          { type: 'tool_use', id: 'call_b', name: 'g', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_a' },
          { type: 'tool_result', tool_use_id: 'call_b', content: [{ type: 'text', text: '2' }], is_error: true },
          { type: 'text', text: 'Here:' },
        ],
      },
    ]);
  });

  it('tool ids Anthropic would reject are mapped the same way on both sides of the pair', () => {
    const body = encode({
      ...base,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Go' }] },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'fc_1|call.2', name: 'f', arguments: '{}' }] },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'fc_1|call.2', name: 'f', content: [{ type: 'text', text: 'ok' }] }] },
      ],
    });
    expect(body.messages[1].content[0].id).toBe('fc_1_call_2');
    expect(body.messages[2].content[0].tool_use_id).toBe('fc_1_call_2');
  });

  it('images: base64 and url sources', () => {
    const body = encode({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
            { type: 'image', source: { kind: 'url', url: 'https://example.com/a.jpg' } },
          ],
        },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
    ]);
  });

  describe('thinking', () => {
    it('effort → budget from the shared table; max_tokens above it; temperature and top_k dropped, top_p raised', () => {
      const body = encode({ ...base, reasoning: { effort: 'medium' }, maxTokens: 1000, temperature: 0.2, topK: 5, topP: 0.5 });
      expectValidRequest(body);
      expect(body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 8192 }, max_tokens: 9192, top_p: 0.95 });
      expect(body).not.toHaveProperty('temperature');
      expect(body).not.toHaveProperty('top_k');
    });

    it('budgets below Anthropic’s minimum are raised to 1024; the default max_tokens sits on top', () => {
      expect(encode({ ...base, reasoning: { effort: 'minimal' } })).toMatchObject({ thinking: { budget_tokens: 1024 }, max_tokens: 1024 + 8192 });
    });

    it('a max_tokens above the budget is kept', () => {
      const body = encode({ ...base, reasoning: { budgetTokens: 4000 }, maxTokens: 16000 });
      expect(body).toMatchObject({ thinking: { budget_tokens: 4000 }, max_tokens: 16000 });
    });

    it.each([
      ['effort none', { reasoning: { effort: 'none', budgetTokens: 0 } }],
      ['only includeThoughts', { reasoning: { includeThoughts: true } }],
      ['a forced tool', { reasoning: { effort: 'high' }, tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'required' } }],
    ] as Array<[string, Partial<CanonicalRequest>]>)('is off for %s', (_, fields) => {
      const body = encode({ ...base, ...fields });
      expect(body).not.toHaveProperty('thinking');
      expect(body.max_tokens).toBe(8192);
    });

    it('is off when the last tool-calling turn has no Anthropic thinking (history from another upstream)', () => {
      const messages: Message[] = [
        { role: 'user', content: [{ type: 'text', text: 'Go' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'o3 summary', signature: { protocol: 'openai-responses', value: 'gAAAA' } },
            { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{}' },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'call_1', name: 'f', content: [{ type: 'text', text: 'ok' }] }] },
      ];
      expect(encode({ ...base, messages, reasoning: { effort: 'high' }, temperature: 0.3 })).toMatchObject({ temperature: 0.3 });
      expect(encode({ ...base, messages, reasoning: { effort: 'high' } })).not.toHaveProperty('thinking');
    });
  });

  it('tools and tool choices', () => {
    const tools = [{ name: 'f', description: 'does f', parameters: {} }];
    const choiceFor = (fields: Partial<CanonicalRequest>) => encode({ ...base, tools, ...fields }).tool_choice;
    expect(encode({ ...base, tools }).tools).toEqual([{ name: 'f', description: 'does f', input_schema: { type: 'object' } }]);
    expect(choiceFor({})).toBeUndefined();
    expect(choiceFor({ parallelToolCalls: false })).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choiceFor({ toolChoice: { type: 'required' } })).toEqual({ type: 'any' });
    expect(choiceFor({ toolChoice: { type: 'tool', name: 'f' }, parallelToolCalls: false })).toEqual({
      type: 'tool',
      name: 'f',
      disable_parallel_tool_use: true,
    });
    expect(choiceFor({ toolChoice: { type: 'none' } })).toEqual({ type: 'none' });
    expect(encode({ ...base, toolChoice: { type: 'required' } })).not.toHaveProperty('tool_choice');
  });

  it('sampling, stop sequences, user, response formats', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const body = encode({
      ...base,
      system: [{ type: 'text', text: 'Sys' }],
      temperature: 1.7,
      topP: 0.8,
      topK: 3,
      stop: ['\n', 'STOP'],
      seed: 7,
      presencePenalty: 1,
      user: 'u1',
      responseFormat: { type: 'json_schema', name: 'answer', schema },
    });
    expectValidRequest(body);
    expect(body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 8192,
      system: [{ type: 'text', text: 'Sys' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      temperature: 1,
      top_p: 0.8,
      top_k: 3,
      stop_sequences: ['STOP'],
      output_config: { format: { type: 'json_schema', schema } },
      metadata: { user_id: 'u1' },
      stream: false,
    });
    expect(encode({ ...base, responseFormat: { type: 'json_object' } }).system).toEqual([
      { type: 'text', text: 'Respond with a single JSON object and nothing else.' },
    ]);
  });

  it('n > 1 is a 400 that says so', () => {
    expect(() => encode({ ...base, n: 2 })).toThrow(ProxyError);
    expect(() => encode({ ...base, n: 2 })).toThrow('Anthropic does not support n>1');
  });
});
