// Requests both ways: a Gemini body with every feature → canonical (field by field) →
// Gemini again, and histories from other protocols → Gemini.
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalRequest, Message, ToolCallPart, ToolResultPart } from '../../../src/core/request.ts';
import { anthropicOutbound } from '../../../src/protocols/anthropic/index.ts';
import { geminiInbound, geminiOutbound } from '../../../src/protocols/gemini/index.ts';
import { unknownFields } from './proto.ts';

const context = { model: 'gemini-2.5-pro' };
const decode = (body: unknown, model = context.model) => geminiInbound.decodeRequest(body, { model });
/** Encodes, checking every field against the official proto definitions on the way. */
function encode(request: CanonicalRequest): Record<string, any> {
  const body = geminiOutbound.encodeRequest(request);
  expect(unknownFields('GenerateContentRequest', body)).toEqual([]);
  return body;
}

// Signatures as Gemini sends them: base64 with `+`, `/` and padding, kept byte for byte.
const SIG_THOUGHT = 'CiIB0e2Kb6Syj1a961EfbWv4W5C8RgAA/hGleV9V+YJt==';
const SIG_CALL = 'EpwICpkIAXLI2nxlU6gsWZaZHRYkX1orzuM8vSUF/+a=';
const SIG_TEXT = 'Eo0HCooHAb4+9vutXdtKMt+r7Z3gLh52ZQ3RKYDz';
const SIG_END = 'Eq0JCqoJARFNMg+W/PqAbyHOY74CxXndQK8mFmjn';

/** A multi-turn function-calling conversation as a Gemini client resends it. */
const history = [
  {
    role: 'user',
    parts: [{ text: 'Weather in Paris and Rome? Compare with this chart.' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }],
  },
  {
    role: 'model',
    parts: [
      { text: 'I should call the tool twice.', thought: true, thoughtSignature: SIG_THOUGHT },
      { functionCall: { name: 'get_weather', args: { city: 'Paris', units: { temp: 'C' } } }, thoughtSignature: SIG_CALL },
      { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
    ],
  },
  {
    role: 'user',
    parts: [
      { functionResponse: { name: 'get_weather', response: { temp: 21, sky: 'clear' } } },
      { functionResponse: { name: 'get_weather', response: { output: 'sunny, 25' } } },
    ],
  },
  { role: 'model', parts: [{ text: 'Paris 21°C, Rome 25°C.', thoughtSignature: SIG_TEXT }, { text: '', thoughtSignature: SIG_END }] },
  { role: 'user', parts: [{ text: 'Thanks! And tomorrow?' }] },
];

const weatherSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { city: { type: 'string' }, units: { type: 'object', additionalProperties: { type: 'string' } } },
  required: ['city'],
  additionalProperties: false,
};
const answerSchema = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };

const everything = {
  systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Use tools.' }] },
  contents: history,
  tools: [
    {
      functionDeclarations: [
        { name: 'get_weather', description: 'Current weather', parametersJsonSchema: weatherSchema },
        {
          name: 'legacy_search',
          parameters: { type: 'OBJECT', properties: { q: { type: 'STRING', nullable: true }, n: { type: 'ARRAY', items: { type: 'INTEGER' } } }, required: ['q'], propertyOrdering: ['q', 'n'] },
        },
      ],
    },
  ],
  toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
  generationConfig: {
    temperature: 0.4,
    topP: 0.9,
    topK: 32,
    maxOutputTokens: 1024,
    stopSequences: ['END'],
    candidateCount: 2,
    seed: 7,
    presencePenalty: 0.1,
    frequencyPenalty: 0.2,
    responseMimeType: 'application/json',
    responseJsonSchema: answerSchema,
    thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
  },
  safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
};

describe('decodeRequest: every feature, field by field', () => {
  const request = decode(everything);

  it('takes the model from the URL; streaming is the route’s to set', () => {
    expect(request.model).toBe('gemini-2.5-pro');
    expect(request.stream).toBe(false);
  });

  it('systemInstruction → system', () => {
    expect(request.system).toEqual([
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Use tools.' },
    ]);
  });

  it('generationConfig → sampling, stop, n, format and reasoning', () => {
    expect({
      temperature: request.temperature,
      topP: request.topP,
      topK: request.topK,
      maxTokens: request.maxTokens,
      stop: request.stop,
      n: request.n,
      seed: request.seed,
      presencePenalty: request.presencePenalty,
      frequencyPenalty: request.frequencyPenalty,
      responseFormat: request.responseFormat,
      reasoning: request.reasoning,
    }).toEqual({
      temperature: 0.4,
      topP: 0.9,
      topK: 32,
      maxTokens: 1024,
      stop: ['END'],
      n: 2,
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      responseFormat: { type: 'json_schema', name: 'response', schema: answerSchema },
      reasoning: { budgetTokens: 2048, includeThoughts: true },
    });
  });

  it('tools: JSON Schema as given, the OpenAPI form converted; ANY with one name forces it', () => {
    expect(request.tools).toEqual([
      { name: 'get_weather', description: 'Current weather', parameters: weatherSchema },
      {
        name: 'legacy_search',
        parameters: { type: 'object', properties: { q: { type: ['string', 'null'] }, n: { type: 'array', items: { type: 'integer' } } }, required: ['q'] },
      },
    ]);
    expect(request.toolChoice).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it('contents → turns, with signatures on what they sign and calls paired with results', () => {
    const [ask, calls, results, answer, thanks] = request.messages as [Message, Message, Message, Message, Message];
    expect(ask).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Weather in Paris and Rome? Compare with this chart.' },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
      ],
    });
    expect(calls.role).toBe('assistant');
    expect(calls.content).toEqual([
      { type: 'reasoning', text: 'I should call the tool twice.', signature: { protocol: 'gemini', value: SIG_THOUGHT } },
      { type: 'tool_call', id: 'call_gemini_1_1', name: 'get_weather', arguments: '{"city":"Paris","units":{"temp":"C"}}', signature: { protocol: 'gemini', value: SIG_CALL } },
      { type: 'tool_call', id: 'call_gemini_1_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ]);
    expect(results.content).toEqual([
      { type: 'tool_result', toolCallId: 'call_gemini_1_1', name: 'get_weather', content: [{ type: 'text', text: '{"temp":21,"sky":"clear"}' }] },
      { type: 'tool_result', toolCallId: 'call_gemini_1_2', name: 'get_weather', content: [{ type: 'text', text: 'sunny, 25' }] },
    ]);
    // A signature on answer text is an empty signed ReasoningPart just before that text.
    expect(answer.content).toEqual([
      { type: 'reasoning', text: '', signature: { protocol: 'gemini', value: SIG_TEXT } },
      { type: 'text', text: 'Paris 21°C, Rome 25°C.' },
      { type: 'reasoning', text: '', signature: { protocol: 'gemini', value: SIG_END } },
    ]);
    expect(thanks).toEqual({ role: 'user', content: [{ type: 'text', text: 'Thanks! And tomorrow?' }] });
  });

  it('ids are the same each time the history is sent, and stay the same as it grows', () => {
    const again = decode({ ...everything, contents: [...history, { role: 'model', parts: [{ text: 'Tomorrow: rain.' }] }] });
    expect(again.messages.slice(0, 4)).toEqual(request.messages.slice(0, 4));
  });
});

describe('encodeRequest', () => {
  it('round-trips a Gemini conversation byte-exact: signatures stay on the parts they came on', () => {
    const body = encode(decode(everything));
    expect(JSON.stringify(body.contents)).toBe(JSON.stringify(history));
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Use tools.' }] });
    expect(body.toolConfig).toEqual(everything.toolConfig);
    expect(body.generationConfig).toEqual({ ...everything.generationConfig, responseJsonSchema: answerSchema });
    expect(body.tools[0].functionDeclarations[0]).toEqual(everything.tools[0]!.functionDeclarations[0]);
    expect(body.tools[0].functionDeclarations[1].parametersJsonSchema.properties.q).toEqual({ type: ['string', 'null'] });
    expect(body).not.toHaveProperty('model');
    expect(body).not.toHaveProperty('safetySettings');
  });

  it('every functionResponse follows its functionCall, with the function name', () => {
    const body = encode(decode(everything));
    const calls = body.contents[1].parts.filter((part: any) => part.functionCall).map((part: any) => part.functionCall.name);
    const results = body.contents[2].parts.map((part: any) => part.functionResponse.name);
    expect(results).toEqual(calls);
    expect(body.contents[2].role).toBe('user');
  });

  const foreign: CanonicalRequest = {
    model: 'gemini-3-pro-preview',
    system: [],
    stream: true,
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'List files' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Claude thinking', signature: { protocol: 'anthropic', value: 'EqQBCkYI' } },
          { type: 'reasoning', text: '', redacted: 'opaque', signature: { protocol: 'anthropic', value: 'x' } },
          { type: 'reasoning', text: 'unsigned summary' },
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_call', id: 'toolu_01', name: 'ls', arguments: '{"path":"."}' },
          { type: 'tool_call', id: 'toolu_02', name: 'cat', arguments: 'not json' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'toolu_01', name: 'ls', content: [{ type: 'text', text: 'a.txt\nb.txt' }] },
          { type: 'tool_result', toolCallId: 'toolu_02', name: 'cat', content: [{ type: 'text', text: 'denied' }], isError: true },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Go on' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/' } }] },
    ],
  };

  it('history from another protocol: foreign and unsigned reasoning dropped, results as objects, turns merged', () => {
    const body = encode(foreign);
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'List files' }] },
      {
        role: 'model',
        parts: [
          { text: 'Let me look.' },
          // Gemini 3 wants a signature on a turn's first call: Google's stand-in for foreign history.
          { functionCall: { id: 'toolu_01', name: 'ls', args: { path: '.' } }, thoughtSignature: 'skip_thought_signature_validator' },
          { functionCall: { id: 'toolu_02', name: 'cat', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'toolu_01', name: 'ls', response: { output: 'a.txt\nb.txt' } } },
          { functionResponse: { id: 'toolu_02', name: 'cat', response: { error: 'denied' } } },
          { text: 'Go on' },
          { inlineData: { mimeType: 'image/jpeg', data: '/9j/' } },
        ],
      },
    ]);
  });

  it('no stand-in signature before Gemini 3', () => {
    const body = encode({ ...foreign, model: 'gemini-2.5-flash' });
    expect(JSON.stringify(body)).not.toContain('skip_thought_signature_validator');
  });

  it('tool results: objects as they are, images as parts, errors under `error`', () => {
    const result = (content: ToolResultPart['content'], isError?: boolean): CanonicalRequest => ({
      model: 'gemini-2.5-pro',
      system: [],
      stream: false,
      messages: [{ role: 'user', content: [{ type: 'tool_result', toolCallId: 'c', name: 'f', content, ...(isError ? { isError } : {}) }] }],
    });
    const response = (request: CanonicalRequest) => encode(request).contents[0].parts[0].functionResponse;
    expect(response(result([{ type: 'text', text: '{"rows":[1,2]}' }]))).toEqual({ id: 'c', name: 'f', response: { rows: [1, 2] } });
    expect(response(result([{ type: 'text', text: '[1,2]' }]))).toEqual({ id: 'c', name: 'f', response: { output: '[1,2]' } });
    expect(response(result([{ type: 'text', text: '{"code":7}' }], true))).toEqual({ id: 'c', name: 'f', response: { error: { code: 7 } } });
    expect(
      response(result([{ type: 'text', text: 'see image' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }])),
    ).toEqual({ id: 'c', name: 'f', response: { output: 'see image' }, parts: [{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }] });
  });

  it.each([
    ['gemini-3-pro-preview', { effort: 'low' }, { thinkingLevel: 'low', includeThoughts: true }],
    ['gemini-3-pro-preview', { effort: 'minimal' }, { thinkingLevel: 'low', includeThoughts: true }],
    ['gemini-3-flash-preview', { effort: 'medium' }, { thinkingLevel: 'high', includeThoughts: true }],
    ['gemini-3-pro-preview', { budgetTokens: 32768 }, { thinkingLevel: 'high', includeThoughts: true }],
    ['gemini-2.5-pro', { effort: 'high' }, { thinkingBudget: 32768, includeThoughts: true }],
    ['gemini-2.5-flash', { effort: 'none' }, { thinkingBudget: 0, includeThoughts: false }],
    ['gemini-2.5-flash', { budgetTokens: 5000, includeThoughts: false }, { thinkingBudget: 5000, includeThoughts: false }],
    ['gemini-2.5-flash', { includeThoughts: true }, { includeThoughts: true }],
  ] as const)('%s with reasoning %j → thinkingConfig %j', (model, reasoning, thinkingConfig) => {
    const body = encode({ model, system: [], stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], reasoning });
    expect(body.generationConfig.thinkingConfig).toEqual(thinkingConfig);
  });

  it.each([
    [{ type: 'auto' }, { mode: 'AUTO' }],
    [{ type: 'none' }, { mode: 'NONE' }],
    [{ type: 'required' }, { mode: 'ANY' }],
    [{ type: 'tool', name: 'f' }, { mode: 'ANY', allowedFunctionNames: ['f'] }],
  ] as const)('tool choice %j → %j', (toolChoice, functionCallingConfig) => {
    const body = encode({ model: 'm', system: [], stream: false, messages: [], toolChoice });
    expect(body.toolConfig).toEqual({ functionCallingConfig });
  });

  it.each([
    [{ type: 'text' }, { responseMimeType: 'text/plain' }],
    [{ type: 'json_object' }, { responseMimeType: 'application/json' }],
    [{ type: 'json_schema', name: 'x', schema: answerSchema, strict: true }, { responseMimeType: 'application/json', responseJsonSchema: answerSchema }],
  ] as const)('response format %j → %j', (responseFormat, config) => {
    expect(encode({ model: 'm', system: [], stream: false, messages: [], responseFormat }).generationConfig).toEqual(config);
  });
});

describe('signatures other protocols issued, tagged for Gemini clients', () => {
  const model = (parts: unknown[]) => decode({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }, { role: 'model', parts }, { role: 'user', parts: [{ text: 'More' }] }] });

  it('come back as the original signatures: on thoughts, on answer parts, and on calls (as reasoning before the call)', () => {
    const request = model([
      { text: 'Whole thought.', thought: true, thoughtSignature: 'llm-mux:anthropic:EuYD+/==' },
      { text: 'Answer.', thoughtSignature: 'llm-mux:openai-responses:{"id":"rs_1","encrypted_content":"gAAAA"}' },
      { functionCall: { name: 'ls', args: {} }, thoughtSignature: 'llm-mux:anthropic:EqQB' },
      { functionCall: { name: 'pwd', args: {} }, thoughtSignature: SIG_CALL },
    ]);
    expect(request.messages[1]!.content).toEqual([
      { type: 'reasoning', text: 'Whole thought.', signature: { protocol: 'anthropic', value: 'EuYD+/==' } },
      { type: 'reasoning', text: '', signature: { protocol: 'openai-responses', value: '{"id":"rs_1","encrypted_content":"gAAAA"}' } },
      { type: 'text', text: 'Answer.' },
      { type: 'reasoning', text: '', signature: { protocol: 'anthropic', value: 'EqQB' } },
      { type: 'tool_call', id: 'call_gemini_1_2', name: 'ls', arguments: '{}' },
      { type: 'tool_call', id: 'call_gemini_1_3', name: 'pwd', arguments: '{}', signature: { protocol: 'gemini', value: SIG_CALL } },
    ]);
  });

  it('streamed thinking (many thought parts, the signature on the next part) is whole again with its signature', () => {
    const request = model([
      { text: 'Let me ', thought: true },
      { text: 'think.', thought: true },
      { functionCall: { name: 'ls', args: {} }, thoughtSignature: 'llm-mux:anthropic:EqQB' },
      { text: 'Then ', thought: true },
      { text: 'answer.', thought: true },
      { text: 'Done.', thoughtSignature: 'llm-mux:anthropic:EuYD' },
    ]);
    expect(request.messages[1]!.content).toEqual([
      { type: 'reasoning', text: 'Let me think.', signature: { protocol: 'anthropic', value: 'EqQB' } },
      { type: 'tool_call', id: 'call_gemini_1_2', name: 'ls', arguments: '{}' },
      { type: 'reasoning', text: 'Then answer.', signature: { protocol: 'anthropic', value: 'EuYD' } },
      { type: 'text', text: 'Done.' },
    ]);
  });

  it("Gemini's own thoughts are not joined, and a tag naming Gemini is a Gemini signature", () => {
    const request = model([
      { text: 'a', thought: true },
      { text: 'b.', thoughtSignature: SIG_TEXT },
      { text: 'c', thought: true, thoughtSignature: 'llm-mux:gemini:x' },
    ]);
    expect(request.messages[1]!.content).toEqual([
      { type: 'reasoning', text: 'a' },
      { type: 'reasoning', text: '', signature: { protocol: 'gemini', value: SIG_TEXT } },
      { type: 'text', text: 'b.' },
      { type: 'reasoning', text: 'c', signature: { protocol: 'gemini', value: 'llm-mux:gemini:x' } },
    ]);
  });

  it('the Gemini upstream never gets them; their own upstream does', () => {
    const request = model([
      { text: 'Let me think.', thought: true },
      { functionCall: { name: 'ls', args: {} }, thoughtSignature: 'llm-mux:anthropic:EqQB' },
    ]);
    const gemini = encode({ ...request, model: 'gemini-2.5-pro' });
    expect(gemini.contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'ls', args: {} } }] });
    expect(JSON.stringify(gemini)).not.toContain('EqQB');
    const anthropic = anthropicOutbound.encodeRequest({ ...request, model: 'claude-haiku-4-5' }) as { messages: Array<{ content: unknown[] }> };
    expect(anthropic.messages[1]!.content).toEqual([
      { type: 'thinking', thinking: 'Let me think.', signature: 'EqQB' },
      { type: 'tool_use', id: 'call_gemini_1_1', name: 'ls', input: {} },
    ]);
  });
});

describe('decodeRequest details', () => {
  const user = (parts: unknown[]) => ({ contents: [{ role: 'user', parts }] });

  it('reads snake_case field names, as Google’s parser does, but leaves argument and schema keys alone', () => {
    const request = decode({
      system_instruction: { parts: [{ text: 'sys' }] },
      contents: [
        { role: 'user', parts: [{ inline_data: { mime_type: 'image/webp', data: 'UklG' } }] },
        { role: 'model', parts: [{ function_call: { name: 'f', args: { snake_key: 1 } }, thought_signature: 'S' }] },
      ],
      tools: [{ function_declarations: [{ name: 'f', parameters_json_schema: { type: 'object', properties: { snake_key: { type: 'number' } } } }] }],
      generation_config: { max_output_tokens: 5, thinking_config: { thinking_budget: 0 }, response_mime_type: 'application/json' },
    });
    expect(request.system).toEqual([{ type: 'text', text: 'sys' }]);
    expect(request.messages[0]!.content).toEqual([{ type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'UklG' } }]);
    expect(request.messages[1]!.content).toEqual([{ type: 'tool_call', id: 'call_gemini_1_0', name: 'f', arguments: '{"snake_key":1}', signature: { protocol: 'gemini', value: 'S' } }]);
    expect(request.tools![0]!.parameters).toEqual({ type: 'object', properties: { snake_key: { type: 'number' } } });
    expect([request.maxTokens, request.reasoning, request.responseFormat]).toEqual([5, { budgetTokens: 0, effort: 'none' }, { type: 'json_object' }]);
  });

  it.each([
    [{ thinkingBudget: -1 }, { effort: 'medium' }],
    [{ thinkingBudget: 0 }, { budgetTokens: 0, effort: 'none' }],
    [{ thinkingLevel: 'LOW', includeThoughts: false }, { effort: 'low', includeThoughts: false }],
    [{ thinkingLevel: 'high' }, { effort: 'high' }],
    [{ includeThoughts: true }, { includeThoughts: true }],
  ])('thinkingConfig %j → %j', (thinkingConfig, reasoning) => {
    expect(decode({ ...user([{ text: 'hi' }]), generationConfig: { thinkingConfig } }).reasoning).toEqual(reasoning);
  });

  it('responseSchema (OpenAPI form) is converted; a fileData URL is an image URL', () => {
    const request = decode({
      ...user([{ fileData: { mimeType: 'image/png', fileUri: 'https://example.com/a.png' } }]),
      generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } },
    });
    expect(request.responseFormat).toEqual({ type: 'json_schema', name: 'response', schema: { type: 'object', properties: { a: { type: 'string' } } } });
    expect(request.messages[0]!.content).toEqual([{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }]);
  });

  it.each([
    [{ mode: 'AUTO' }, { type: 'auto' }],
    [{ mode: 'VALIDATED' }, { type: 'auto' }],
    [{ mode: 'NONE' }, { type: 'none' }],
    [{ mode: 'ANY' }, { type: 'required' }],
    [{ mode: 'ANY', allowedFunctionNames: ['a', 'b'] }, { type: 'required' }],
  ])('functionCallingConfig %j → %j', (functionCallingConfig, toolChoice) => {
    expect(decode({ ...user([{ text: 'hi' }]), toolConfig: { functionCallingConfig } }).toolChoice).toEqual(toolChoice);
  });

  it('pairs results with calls by id, else by name in order (Gemini CLI sends ids of its own)', () => {
    const request = decode({
      contents: [
        { role: 'user', parts: [{ text: 'go' }] },
        {
          role: 'model',
          parts: [{ functionCall: { name: 'a', args: {} } }, { functionCall: { id: 'real-id', name: 'b', args: {} } }, { functionCall: { name: 'a', args: { n: 2 } } }],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'real-id', name: 'b', response: { output: 'B' } } },
            { functionResponse: { id: 'a-1712345-cli', name: 'a', response: { output: 'A1' } } },
            { functionResponse: { name: 'a', response: { error: 'A2 failed' } } },
          ],
        },
      ],
    });
    const calls = request.messages[1]!.content as ToolCallPart[];
    const results = request.messages[2]!.content as ToolResultPart[];
    expect(calls.map((call) => call.id)).toEqual(['call_gemini_1_0', 'real-id', 'call_gemini_1_2']);
    expect(results.map((result) => [result.toolCallId, result.name, result.content, result.isError])).toEqual([
      ['real-id', 'b', [{ type: 'text', text: 'B' }], undefined],
      ['call_gemini_1_0', 'a', [{ type: 'text', text: 'A1' }], undefined],
      ['call_gemini_1_2', 'a', [{ type: 'text', text: 'A2 failed' }], true],
    ]);
    // Back to Gemini: ids llm-mux made up are left out, the real one stays.
    const parts = encode(request).contents[2].parts.map((part: any) => part.functionResponse);
    expect(parts.map((part: any) => part.id)).toEqual(['real-id', undefined, undefined]);
  });

  it.each([
    ['not an object', 'x', 'request body'],
    ['no contents', {}, 'contents'],
    ['empty contents', { contents: [] }, 'contents'],
    ['a bad role', { contents: [{ role: 'system', parts: [{ text: 'x' }] }] }, 'contents[0].role'],
    ['parts not an array', { contents: [{ role: 'user', parts: 'x' }] }, 'contents[0].parts'],
    ['an empty part', { contents: [{ role: 'user', parts: [{}] }] }, 'contents[0].parts[0]'],
    ['audio', { contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'audio/wav', data: 'UklG' } }] }] }, 'audio/wav'],
    ['a gs:// file', { contents: [{ role: 'user', parts: [{ fileData: { fileUri: 'gs://bucket/a.png' } }] }] }, 'fileUri'],
    ['a nameless call', { contents: [{ role: 'model', parts: [{ functionCall: { args: {} } }] }] }, 'functionCall.name'],
    ['a built-in tool', { ...user([{ text: 'x' }]), tools: [{ googleSearch: {} }] }, 'googleSearch'],
    ['a bad number', { ...user([{ text: 'x' }]), generationConfig: { temperature: 'hot' } }, 'temperature'],
    ['bad stop sequences', { ...user([{ text: 'x' }]), generationConfig: { stopSequences: 'END' } }, 'stopSequences'],
    ['an unknown thinking level', { ...user([{ text: 'x' }]), generationConfig: { thinkingConfig: { thinkingLevel: 'max' } } }, 'thinkingLevel'],
    ['a fractional thinking budget', { ...user([{ text: 'x' }]), generationConfig: { thinkingConfig: { thinkingBudget: 1.5 } } }, 'thinkingBudget'],
    ['a function response that is not an object', { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: 'ok' } }] }] }, 'functionResponse.response'],
  ])('refuses %s with a 400 naming it', (_case, body, mention) => {
    let error: unknown;
    try {
      decode(body);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProxyError);
    expect((error as ProxyError).status).toBe(400);
    expect((error as ProxyError).message).toContain(mention);
  });
});
