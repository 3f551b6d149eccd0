// Requests: an Ollama client's /api/chat and /api/generate bodies decoded field by field,
// and canonical requests encoded for an Ollama upstream (checked against the official schema).
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalRequest } from '../../../src/core/request.ts';
import { ollamaGenerateInbound, ollamaInbound, ollamaOutbound } from '../../../src/protocols/ollama/index.ts';
import { ollamaSchema } from './support.ts';

const CONTEXT = { model: 'qwen3:8b' };

// The first bytes of real files of each format, base64 (Ollama sends images bare).
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAG0AAABmCAYAAADBPx+V';
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD';
const GIF = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';
const WEBP = 'UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAwA0JaQAA3AA/vuUAAA=';
const UNKNOWN = 'AAAAAAAAAAAAAAAA';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** Every feature an Ollama chat client can send. */
const CHAT_BODY = {
  model: 'qwen3:8b',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is this, and the weather in Paris and Rome?', images: [PNG, JPEG] },
    {
      role: 'assistant',
      content: '',
      thinking: 'I need the weather twice and the time.',
      tool_calls: [
        { function: { name: 'get_weather', arguments: { city: 'Paris' } } },
        { function: { name: 'get_weather', arguments: { city: 'Rome' } } },
        { id: 'call_given', function: { index: 2, name: 'get_time' } },
      ],
    },
    // Out of order: by tool_name, by nothing (the first unanswered call), by id.
    { role: 'tool', content: '21C', tool_name: 'get_weather' },
    { role: 'tool', content: '18C' },
    { role: 'tool', content: '12:00', tool_call_id: 'call_given', tool_name: 'get_time' },
    { role: 'assistant', content: 'Paris 21C, Rome 18C, noon.' },
    { role: 'SYSTEM', content: 'Answer in French.' },
    { role: 'user', content: 'Merci' },
  ],
  tools: [WEATHER_TOOL, { type: 'function', function: { name: 'get_time' } }],
  format: { type: 'object', properties: { answer: { type: 'string' } } },
  options: { temperature: 0.2, top_p: 0.9, top_k: 40, num_predict: 256, stop: ['\n\n'], seed: 7, presence_penalty: 0.1, frequency_penalty: 0.2, num_ctx: 8192 },
  think: 'high',
  keep_alive: '5m',
};

const CHAT_CANONICAL: CanonicalRequest = {
  model: 'qwen3:8b',
  system: [
    { type: 'text', text: 'Be brief.' },
    { type: 'text', text: 'Answer in French.' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: JPEG } },
        { type: 'text', text: 'What is this, and the weather in Paris and Rome?' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'I need the weather twice and the time.' },
        { type: 'tool_call', id: 'call_2_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'call_2_1', name: 'get_weather', arguments: '{"city":"Rome"}' },
        { type: 'tool_call', id: 'call_given', name: 'get_time', arguments: '{}' },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'call_2_0', name: 'get_weather', content: [{ type: 'text', text: '21C' }] },
        { type: 'tool_result', toolCallId: 'call_2_1', name: 'get_weather', content: [{ type: 'text', text: '18C' }] },
        { type: 'tool_result', toolCallId: 'call_given', name: 'get_time', content: [{ type: 'text', text: '12:00' }] },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'Paris 21C, Rome 18C, noon.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Merci' }] },
  ],
  stream: true,
  maxTokens: 256,
  temperature: 0.2,
  topP: 0.9,
  topK: 40,
  stop: ['\n\n'],
  seed: 7,
  presencePenalty: 0.1,
  frequencyPenalty: 0.2,
  tools: [
    { name: 'get_weather', description: 'Get the weather in a city', parameters: WEATHER_TOOL.function.parameters },
    { name: 'get_time', description: undefined, parameters: { type: 'object', properties: {} } },
  ],
  responseFormat: { type: 'json_schema', name: 'response', schema: CHAT_BODY.format },
  reasoning: { effort: 'high', includeThoughts: true },
};

function decodeChat(body: unknown): CanonicalRequest {
  return ollamaInbound.decodeRequest(body, CONTEXT);
}

/** What goes on the wire (undefined fields dropped), validated against the official ChatRequest schema. */
function encodeChat(request: CanonicalRequest): Record<string, unknown> {
  const body = JSON.parse(JSON.stringify(ollamaOutbound.encodeRequest(request))) as Record<string, unknown>;
  const validate = ollamaSchema('ChatRequest');
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  return body;
}

function expectInvalid(run: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProxyError);
  expect(caught).toMatchObject({ kind: 'invalid_request', status: 400, message: expect.stringMatching(message) });
}

describe('Ollama /api/chat request decoding', () => {
  it('decodes every field, pairing each tool result with its call', () => {
    expect(decodeChat(CHAT_BODY)).toEqual(CHAT_CANONICAL);
  });

  it('streams unless told not to', () => {
    expect(decodeChat({ model: 'm' })).toEqual({ model: CONTEXT.model, system: [], messages: [], stream: true });
    expect(decodeChat({ model: 'm', messages: [], stream: false }).stream).toBe(false);
  });

  it('maps think to reasoning', () => {
    const think = (value: unknown) => decodeChat({ model: 'm', messages: [], think: value }).reasoning;
    expect(think(undefined)).toBeUndefined();
    expect(think(true)).toEqual({ effort: 'medium', includeThoughts: true });
    expect(think(false)).toEqual({ effort: 'none' });
    expect(think('low')).toEqual({ effort: 'low', includeThoughts: true });
    expect(think('medium')).toEqual({ effort: 'medium', includeThoughts: true });
    expect(think('max')).toEqual({ effort: 'high', includeThoughts: true });
  });

  it('maps format "json" to JSON mode, and "" to none', () => {
    expect(decodeChat({ model: 'm', messages: [], format: 'json' }).responseFormat).toEqual({ type: 'json_object' });
    expect(decodeChat({ model: 'm', messages: [], format: '' }).responseFormat).toBeUndefined();
  });

  it('reads a single stop string, and drops num_predict ≤ 0 (no limit)', () => {
    const request = decodeChat({ model: 'm', messages: [], options: { stop: 'END', num_predict: -1 } });
    expect(request.stop).toEqual(['END']);
    expect(request).not.toHaveProperty('maxTokens');
  });

  it('sniffs the media type of bare base64 images', () => {
    const request = decodeChat({ model: 'm', messages: [{ role: 'user', content: '', images: [PNG, JPEG, GIF, WEBP, UNKNOWN] }] });
    const types = request.messages[0]!.content.map((part) => (part.type === 'image' && part.source.kind === 'base64' ? part.source.mediaType : part.type));
    expect(types).toEqual(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/jpeg']);
  });

  it('pairs by tool_call_id with the ids Ollama ≥ 0.12 gives, and keeps images of tool results', () => {
    const request = decodeChat({
      model: 'm',
      messages: [
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_a', function: { name: 'look', arguments: {} } }, { id: 'call_b', function: { name: 'look', arguments: {} } }] },
        { role: 'tool', content: 'second', tool_call_id: 'call_b' },
        { role: 'tool', content: 'first', images: [PNG] },
      ],
    });
    expect(request.messages[1]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'call_b', name: 'look', content: [{ type: 'text', text: 'second' }] },
        {
          type: 'tool_result',
          toolCallId: 'call_a',
          name: 'look',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
            { type: 'text', text: 'first' },
          ],
        },
      ],
    });
  });

  it('passes a result that answers no call on as user text, and drops empty turns', () => {
    const request = decodeChat({
      model: 'm',
      messages: [
        { role: 'user', content: '' },
        { role: 'tool', content: 'orphan result', tool_name: 'gone' },
        { role: 'tool', content: '' },
        { role: 'assistant', content: '' },
      ],
    });
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'orphan result' }] }]);
  });

  it('gives the same ids to the same history, every time', () => {
    expect(decodeChat(CHAT_BODY).messages).toEqual(decodeChat(structuredClone(CHAT_BODY)).messages);
  });

  it('rejects malformed bodies with a 400 naming the field', () => {
    expectInvalid(() => decodeChat('nope'), /^body must be an object$/);
    expectInvalid(() => decodeChat({ model: 'm', messages: {} }), /^messages must be an array$/);
    expectInvalid(() => decodeChat({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }), /^messages\[0\]\.role must be/);
    expectInvalid(() => decodeChat({ model: 'm', messages: [{ role: 'user', content: 3 }] }), /^messages\[0\]\.content must be a string$/);
    expectInvalid(() => decodeChat({ model: 'm', messages: [{ role: 'user', content: '', images: [1] }] }), /^messages\[0\]\.images\[0\] must be a string$/);
    expectInvalid(
      () => decodeChat({ model: 'm', messages: [{ role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: '{}' } }] }] }),
      /^messages\[0\]\.tool_calls\[0\]\.function\.arguments must be an object$/,
    );
    expectInvalid(() => decodeChat({ model: 'm', messages: [], think: 'extreme' }), /^think must be/);
    expectInvalid(() => decodeChat({ model: 'm', messages: [], format: 'yaml' }), /^format must be "json" or a JSON schema object$/);
    expectInvalid(() => decodeChat({ model: 'm', messages: [], options: { temperature: 'hot' } }), /^options\.temperature must be a number$/);
    expectInvalid(() => decodeChat({ model: 'm', messages: [], tools: [{ type: 'function', function: {} }] }), /^tools\[0\]\.function\.name must be a string$/);
    expectInvalid(() => decodeChat({ model: 'm', messages: [], stream: 'yes' }), /^stream must be a boolean$/);
  });
});

describe('Ollama /api/generate request decoding', () => {
  function decodeGenerate(body: unknown): CanonicalRequest {
    return ollamaGenerateInbound.decodeRequest(body, { model: 'gpt-oss:20b' });
  }

  it('decodes prompt, system, images, think, format and options', () => {
    expect(
      decodeGenerate({ model: 'gpt-oss:20b', prompt: 'Describe it.', system: 'Be poetic.', images: [JPEG], think: 'low', format: 'json', options: { temperature: 0 }, context: [1, 2] }),
    ).toEqual({
      model: 'gpt-oss:20b',
      system: [{ type: 'text', text: 'Be poetic.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: JPEG } },
            { type: 'text', text: 'Describe it.' },
          ],
        },
      ],
      stream: true,
      temperature: 0,
      responseFormat: { type: 'json_object' },
      reasoning: { effort: 'low', includeThoughts: true },
    });
  });

  it('decodes an empty prompt (a "load the model" request) to no turns', () => {
    expect(decodeGenerate({ model: 'gpt-oss:20b', stream: false })).toMatchObject({ system: [], messages: [], stream: false });
  });

  it('refuses what only an Ollama server can do', () => {
    expectInvalid(() => decodeGenerate({ model: 'm', prompt: 'def f(', suffix: '    return x' }), /^suffix/);
    expectInvalid(() => decodeGenerate({ model: 'm', prompt: '[INST] hi [/INST]', raw: true }), /^raw/);
    expectInvalid(() => decodeGenerate({ model: 'm', prompt: 'hi', template: '{{ .Prompt }}' }), /^template/);
    // Their empty values are what clients send by default.
    expect(decodeGenerate({ model: 'm', prompt: 'hi', suffix: '', raw: false, template: '' }).messages).toHaveLength(1);
  });
});

describe('Ollama /api/chat request encoding', () => {
  it('encodes every field of the decoded chat back', () => {
    expect(encodeChat(CHAT_CANONICAL)).toEqual({
      model: 'qwen3:8b',
      messages: [
        { role: 'system', content: 'Be brief.\n\nAnswer in French.' },
        { role: 'user', content: 'What is this, and the weather in Paris and Rome?', images: [PNG, JPEG] },
        {
          role: 'assistant',
          content: '',
          thinking: 'I need the weather twice and the time.',
          tool_calls: [
            { id: 'call_2_0', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } },
            { id: 'call_2_1', function: { index: 1, name: 'get_weather', arguments: { city: 'Rome' } } },
            { id: 'call_given', function: { index: 2, name: 'get_time', arguments: {} } },
          ],
        },
        { role: 'tool', content: '21C', tool_name: 'get_weather', tool_call_id: 'call_2_0' },
        { role: 'tool', content: '18C', tool_name: 'get_weather', tool_call_id: 'call_2_1' },
        { role: 'tool', content: '12:00', tool_name: 'get_time', tool_call_id: 'call_given' },
        { role: 'assistant', content: 'Paris 21C, Rome 18C, noon.' },
        { role: 'user', content: 'Merci' },
      ],
      stream: true,
      tools: [WEATHER_TOOL, { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
      format: CHAT_BODY.format,
      options: { num_predict: 256, temperature: 0.2, top_p: 0.9, top_k: 40, seed: 7, presence_penalty: 0.1, frequency_penalty: 0.2, stop: ['\n\n'] },
      // qwen3 takes a boolean.
      think: true,
    });
  });

  it('decodes what it encodes to the same canonical request, but for the joined system prompt and the level qwen3 cannot take', () => {
    const again = decodeChat(encodeChat(CHAT_CANONICAL));
    expect(again).toEqual({
      ...CHAT_CANONICAL,
      system: [{ type: 'text', text: 'Be brief.\n\nAnswer in French.' }],
      reasoning: { effort: 'medium', includeThoughts: true },
    });
  });

  const base: CanonicalRequest = { model: 'llama3.2', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false };

  it('sends stream explicitly, and nothing it was not given', () => {
    expect(encodeChat(base)).toEqual({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: false });
  });

  it('puts tool results (from a protocol that mixes them with text) ahead of the rest of their turn', () => {
    const body = encodeChat({
      ...base,
      messages: [
        { role: 'assistant', content: [{ type: 'tool_call', id: 'toolu_1', name: 'read', arguments: '{"path":"a"}' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Here it is:' },
            { type: 'tool_result', toolCallId: 'toolu_1', name: 'read', content: [{ type: 'text', text: 'line 1' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } }], isError: false },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'assistant', content: '', tool_calls: [{ id: 'toolu_1', function: { index: 0, name: 'read', arguments: { path: 'a' } } }] },
      { role: 'tool', content: 'line 1', images: [PNG], tool_name: 'read', tool_call_id: 'toolu_1' },
      { role: 'user', content: 'Here it is:' },
    ]);
  });

  it('sends unsigned reasoning back as thinking, and drops signed or redacted reasoning', () => {
    const body = encodeChat({
      ...base,
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'mine' },
            { type: 'reasoning', text: 'theirs', signature: { protocol: 'anthropic', value: 'sig' } },
            { type: 'reasoning', text: '', redacted: 'opaque' },
            { type: 'text', text: 'ok' },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([{ role: 'assistant', content: 'ok', thinking: 'mine' }]);
  });

  it('maps reasoning to think: levels for gpt-oss, a boolean for the others', () => {
    const think = (model: string, reasoning: CanonicalRequest['reasoning']) => encodeChat({ ...base, model, reasoning }).think;
    expect(think('qwen3', undefined)).toBeUndefined();
    expect(think('qwen3', { effort: 'none' })).toBe(false);
    expect(think('qwen3', { budgetTokens: 0 })).toBe(false);
    expect(think('qwen3', { effort: 'low' })).toBe(true);
    expect(think('qwen3', { budgetTokens: 20000 })).toBe(true);
    expect(think('qwen3', { includeThoughts: true })).toBe(true);
    expect(think('qwen3', { includeThoughts: false })).toBeUndefined();
    expect(think('gpt-oss:120b', { effort: 'high' })).toBe('high');
    expect(think('gpt-oss:20b', { budgetTokens: 2000 })).toBe('low');
    expect(think('gpt-oss:20b', { effort: 'minimal' })).toBe('low');
    // gpt-oss cannot stop thinking: its lowest level is the closest.
    expect(think('gpt-oss:20b', { effort: 'none' })).toBe('low');
  });

  it('maps responseFormat to format', () => {
    expect(encodeChat({ ...base, responseFormat: { type: 'json_object' } }).format).toBe('json');
    expect(encodeChat({ ...base, responseFormat: { type: 'text' } })).not.toHaveProperty('format');
  });

  it('withholds the tools when tool choice is none', () => {
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    expect(encodeChat({ ...base, tools, toolChoice: { type: 'none' } })).not.toHaveProperty('tools');
    expect(encodeChat({ ...base, tools, toolChoice: { type: 'required' } }).tools).toHaveLength(1);
  });

  it('refuses an image URL, which the gateway inlines before calling the encoder', () => {
    const request: CanonicalRequest = { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }] }] };
    expect(() => ollamaOutbound.encodeRequest(request)).toThrow(expect.objectContaining({ kind: 'internal' }));
  });

  it('rejects n > 1 with a 400', () => {
    expectInvalid(() => ollamaOutbound.encodeRequest({ ...base, n: 2 }), /^Ollama does not support n>1$/);
    expect(() => encodeChat({ ...base, n: 1 })).not.toThrow();
  });

  it('declares NDJSON framing and inline images only', () => {
    expect(ollamaOutbound).toMatchObject({ protocol: 'ollama', streamFraming: 'ndjson', inlineImagesOnly: true });
  });
});
