// Reasoning signatures across a multi-turn tool loop. A signature goes back byte-exact to
// an upstream of the family that issued it (Anthropic thinking signatures, Gemini
// thoughtSignature on the part that carried it, Responses encrypted_content with its item
// id), also through a client of another protocol that can carry it (Anthropic clients get
// foreign signatures as `llm-mux:<protocol>:<value>`). Reasoning an upstream cannot verify
// (another provider's, or unsigned) is not sent to Anthropic or Gemini at all. Every tool
// result stays paired with its call.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type Content } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_TIMEOUT_MS, expectToolsPaired, post, sse, startRig, type Json, type Protocol, type Rig } from './support.ts';

const CLAUDE = 'claude-test-model';
const GEMINI = 'gemini-2.5-pro';
const GEMINI_3 = 'gemini-3-pro-preview';
const RESPONSES = 'gpt-5';
const CHAT = 'gpt-4o';
const OLLAMA = 'qwen3:8b';

const QUESTION = 'What is the weather in Paris?';
const RESULT = '18C and sunny';
const TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const ANTHROPIC_TOOLS = [{ name: TOOL.name, description: TOOL.description, input_schema: TOOL.parameters as Anthropic.Tool.InputSchema }];

// Signatures as providers issue them: opaque, base64-ish, with characters JSON and URLs care about.
const ANTHROPIC_SIGNATURE = 'EqQBCkYIBxgCKkBx/+Anthropic==';
const REDACTED = 'EmwKAhgBEgy3vRedacted+/==';
const GEMINI_SIGNATURE = 'CiQB0e2Kb+Gemini/Thought==';
const RESPONSES_ID = 'rs_68af0c1d2e3f';
const RESPONSES_ENCRYPTED = 'gAAAAABo_encrypted+/content==';

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({
    anthropic: [CLAUDE],
    gemini: [GEMINI, GEMINI_3],
    'openai-responses': [RESPONSES],
    'openai-chat': [CHAT],
    ollama: [OLLAMA],
  });
});
afterAll(() => rig.close());
beforeEach(() => {
  for (const key of Object.keys(rig.answers)) delete rig.answers[key as Protocol];
});

function anthropicClient(): Anthropic {
  return new Anthropic({ baseURL: rig.proxy.url, apiKey: 'sk-client', maxRetries: 0, timeout: CLIENT_TIMEOUT_MS });
}

function geminiClient(): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: rig.proxy.url, timeout: CLIENT_TIMEOUT_MS } });
}

function openAIClient(): OpenAI {
  return new OpenAI({ baseURL: `${rig.proxy.url}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: CLIENT_TIMEOUT_MS });
}

const geminiAnswer = (parts: Json[]) => ({
  candidates: [{ index: 0, content: { role: 'model', parts }, finishReason: 'STOP' }],
  usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
});

const parisCall = { functionCall: { name: 'get_weather', args: { city: 'Paris' } } };

/** Anthropic client, turn 2: the history with the assistant's answer as received and the tool result. */
function anthropicTurn2(turn1: Anthropic.Message): Anthropic.MessageParam[] {
  const call = turn1.content.find((block) => block.type === 'tool_use');
  expect(call, 'the first answer calls a tool').toBeDefined();
  return [
    { role: 'user', content: QUESTION },
    { role: 'assistant', content: turn1.content as Anthropic.ContentBlockParam[] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.id, content: RESULT }] },
  ];
}

// ---------------------------------------------------------------------------------------

describe('a signature goes back to the family that issued it', () => {
  it('Anthropic thinking and redacted thinking → Anthropic client → Anthropic upstream, through translation', async () => {
    rig.answers.anthropic = () => ({
      id: 'msg_01',
      type: 'message',
      role: 'assistant',
      model: CLAUDE,
      content: [
        { type: 'thinking', thinking: 'I should look it up.', signature: ANTHROPIC_SIGNATURE },
        { type: 'redacted_thinking', data: REDACTED },
        { type: 'tool_use', id: 'toolu_01Paris', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5 },
    });
    // A reasoning suffix makes llm-mux translate even Anthropic → Anthropic.
    const model = `${CLAUDE}-thinking-2048`;
    const client = anthropicClient();
    let turn1!: Anthropic.Message;
    const first = await rig.one(async () => {
      turn1 = await client.messages.create({ model, max_tokens: 4096, tools: ANTHROPIC_TOOLS, messages: [{ role: 'user', content: QUESTION }] });
    });
    expect(first.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    // Anthropic's own signature reaches the Anthropic client untagged.
    expect(turn1.content).toEqual([
      { type: 'thinking', thinking: 'I should look it up.', signature: ANTHROPIC_SIGNATURE },
      { type: 'redacted_thinking', data: REDACTED },
      { type: 'tool_use', id: 'toolu_01Paris', name: 'get_weather', input: { city: 'Paris' } },
    ]);

    rig.answers.anthropic = undefined;
    const second = await rig.one(() => client.messages.create({ model, max_tokens: 4096, tools: ANTHROPIC_TOOLS, messages: anthropicTurn2(turn1) }));
    expect(second.body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should look it up.', signature: ANTHROPIC_SIGNATURE },
        { type: 'redacted_thinking', data: REDACTED },
        { type: 'tool_use', id: 'toolu_01Paris', name: 'get_weather', input: { city: 'Paris' } },
      ],
    });
    expect(second.body.messages[2]).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_01Paris', content: [{ type: 'text', text: RESULT }] }],
    });
    // The last tool turn carries Anthropic thinking, so thinking stays on.
    expect(second.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expectToolsPaired('anthropic', second.body);
  });

  it('Gemini thoughtSignature on a thought part → Anthropic client (llm-mux:gemini:…) → Gemini upstream', async () => {
    rig.answers.gemini = () => geminiAnswer([{ text: 'I should look it up.', thought: true, thoughtSignature: GEMINI_SIGNATURE }, parisCall]);
    const client = anthropicClient();
    const turn1 = await client.messages.create({
      model: GEMINI,
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tools: ANTHROPIC_TOOLS,
      messages: [{ role: 'user', content: QUESTION }],
    });
    expect(turn1.content[0]).toEqual({ type: 'thinking', thinking: 'I should look it up.', signature: `llm-mux:gemini:${GEMINI_SIGNATURE}` });
    expect(turn1.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });

    rig.answers.gemini = undefined;
    const { body } = await rig.one(() =>
      client.messages.create({ model: GEMINI, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, tools: ANTHROPIC_TOOLS, messages: anthropicTurn2(turn1) }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: QUESTION }] },
      // The original signature on the part that carried it; the call id llm-mux made up stays out.
      { role: 'model', parts: [{ text: 'I should look it up.', thought: true, thoughtSignature: GEMINI_SIGNATURE }, parisCall] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: RESULT } } }] },
    ]);
    expectToolsPaired('gemini', body);
  });

  it('Gemini thoughtSignature on a text part, streamed → Anthropic client → Gemini upstream gets the value back', async () => {
    rig.answers.gemini = () =>
      sse([
        { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Thinking it over.', thought: true }] } }] },
        { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'It is sunny', thoughtSignature: GEMINI_SIGNATURE }] } }] },
        { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: ' in Paris.' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 } },
      ]);
    const client = anthropicClient();
    const stream = client.messages.stream({ model: GEMINI, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: QUESTION }] });
    const turn1 = await stream.finalMessage();
    // The signature that arrived after the thought signs that thought (docs/codecs.md).
    expect(turn1.content).toEqual([
      { type: 'thinking', thinking: 'Thinking it over.', signature: `llm-mux:gemini:${GEMINI_SIGNATURE}` },
      { type: 'text', text: 'It is sunny in Paris.' },
    ]);

    rig.answers.gemini = undefined;
    const { body } = await rig.one(() =>
      client.messages.create({
        model: GEMINI,
        max_tokens: 4096,
        messages: [
          { role: 'user', content: QUESTION },
          { role: 'assistant', content: turn1.content as Anthropic.ContentBlockParam[] },
          { role: 'user', content: 'And tomorrow?' },
        ],
      }),
    );
    // Gemini gets its signature back byte-exact; llm-mux keeps it with the thought it signs
    // (Gemini had put it on the first answer part after that thought).
    expect(body.contents[1]).toEqual({
      role: 'model',
      parts: [
        { text: 'Thinking it over.', thought: true, thoughtSignature: GEMINI_SIGNATURE },
        { text: 'It is sunny in Paris.' },
      ],
    });
  });

  // Gemini 2.5 and 3 sign the functionCall part itself; tool_use has no signature field, so
  // an empty signed thinking block in front of it carries the signature to the client and back.
  it('Gemini thoughtSignature on a functionCall part → Anthropic client → Gemini upstream, on that functionCall', async () => {
    rig.answers.gemini = () => geminiAnswer([{ text: 'I should look it up.', thought: true }, { ...parisCall, thoughtSignature: GEMINI_SIGNATURE }]);
    const client = anthropicClient();
    const params = { model: GEMINI, max_tokens: 4096, thinking: { type: 'enabled' as const, budget_tokens: 2048 }, tools: ANTHROPIC_TOOLS };
    const turn1 = await client.messages.create({ ...params, messages: [{ role: 'user', content: QUESTION }] });
    // The client must receive the signature somewhere to be able to send it back.
    expect(JSON.stringify(turn1.content)).toContain(`llm-mux:gemini:${GEMINI_SIGNATURE}`);

    rig.answers.gemini = undefined;
    const { body } = await rig.one(() => client.messages.create({ ...params, messages: anthropicTurn2(turn1) }));
    const call = (body.contents[1].parts as Json[]).find((part) => part.functionCall);
    expect(call).toEqual({ ...parisCall, thoughtSignature: GEMINI_SIGNATURE });
  });

  it('Gemini thoughtSignature on a streamed functionCall part → streaming Anthropic client keeps it', async () => {
    rig.answers.gemini = () =>
      sse([
        { candidates: [{ index: 0, content: { role: 'model', parts: [{ ...parisCall, thoughtSignature: GEMINI_SIGNATURE }] }, finishReason: 'STOP' }] },
      ]);
    const stream = anthropicClient().messages.stream({ model: GEMINI, max_tokens: 4096, tools: ANTHROPIC_TOOLS, messages: [{ role: 'user', content: QUESTION }] });
    const turn1 = await stream.finalMessage();
    expect(JSON.stringify(turn1.content)).toContain(`llm-mux:gemini:${GEMINI_SIGNATURE}`);
  });

  it('an empty thinking block tagged llm-mux:gemini right before a tool_use puts the signature on that functionCall', async () => {
    // The inbound half of carrying a functionCall signature through an Anthropic client.
    const { body } = await rig.one(() =>
      post(`${rig.proxy.url}/v1/messages`, {
        model: GEMINI,
        max_tokens: 4096,
        tools: ANTHROPIC_TOOLS,
        messages: [
          { role: 'user', content: QUESTION },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: '', signature: `llm-mux:gemini:${GEMINI_SIGNATURE}` },
              { type: 'tool_use', id: 'call_gemini_x1', name: 'get_weather', input: { city: 'Paris' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_gemini_x1', content: RESULT }] },
        ],
      }),
    );
    expect(body.contents[1]).toEqual({ role: 'model', parts: [{ ...parisCall, thoughtSignature: GEMINI_SIGNATURE }] });
    expectToolsPaired('gemini', body);
  });

  it('Gemini thoughtSignature on a functionCall part → Gemini client → Gemini upstream, through translation', async () => {
    rig.answers.gemini = () => geminiAnswer([{ text: 'I should look it up.', thought: true }, { ...parisCall, thoughtSignature: GEMINI_SIGNATURE }]);
    const ai = geminiClient();
    // A reasoning suffix makes llm-mux translate even Gemini → Gemini.
    const model = `${GEMINI}-high`;
    const config = { tools: [{ functionDeclarations: [{ name: TOOL.name, description: TOOL.description, parametersJsonSchema: TOOL.parameters }] }] };
    const question: Content = { role: 'user', parts: [{ text: QUESTION }] };
    const turn1 = await ai.models.generateContent({ model, contents: [question], config });
    const answer = turn1.candidates![0]!.content!;
    expect(answer.parts).toEqual([{ text: 'I should look it up.', thought: true }, { ...parisCall, thoughtSignature: GEMINI_SIGNATURE }]);

    rig.answers.gemini = undefined;
    const { request, body } = await rig.one(() =>
      ai.models.generateContent({
        model,
        contents: [question, answer, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: RESULT } } }] }],
        config,
      }),
    );
    expect(request.url).toContain(`/models/${GEMINI}:generateContent`);
    // The unsigned thought text is left out; the signature stays on its functionCall.
    expect(body.contents[1]).toEqual({ role: 'model', parts: [{ ...parisCall, thoughtSignature: GEMINI_SIGNATURE }] });
    expect(body.contents[2]).toEqual({ role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: RESULT } } }] });
    expect(body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 32768, includeThoughts: true });
    expectToolsPaired('gemini', body);
  });

  it('Responses encrypted_content → Anthropic client (llm-mux:openai-responses:…) → Responses upstream, with its item id', async () => {
    rig.answers['openai-responses'] = () => ({
      id: 'resp_01',
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      model: RESPONSES,
      output: [
        { type: 'reasoning', id: RESPONSES_ID, summary: [{ type: 'summary_text', text: 'Look it up.' }], encrypted_content: RESPONSES_ENCRYPTED },
        { type: 'function_call', id: 'fc_01', call_id: 'call_Paris01', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      ],
      usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
    });
    const client = anthropicClient();
    const params = { model: RESPONSES, max_tokens: 4096, thinking: { type: 'enabled' as const, budget_tokens: 2048 }, tools: ANTHROPIC_TOOLS };
    const turn1 = await client.messages.create({ ...params, messages: [{ role: 'user', content: QUESTION }] });
    expect(turn1.content).toEqual([
      {
        type: 'thinking',
        thinking: 'Look it up.',
        signature: `llm-mux:openai-responses:${JSON.stringify({ id: RESPONSES_ID, encrypted_content: RESPONSES_ENCRYPTED })}`,
      },
      { type: 'tool_use', id: 'call_Paris01', name: 'get_weather', input: { city: 'Paris' } },
    ]);

    rig.answers['openai-responses'] = undefined;
    const { body } = await rig.one(() => client.messages.create({ ...params, messages: anthropicTurn2(turn1) }));
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: QUESTION }] },
      { type: 'reasoning', id: RESPONSES_ID, summary: [{ type: 'summary_text', text: 'Look it up.' }], encrypted_content: RESPONSES_ENCRYPTED },
      { type: 'function_call', call_id: 'call_Paris01', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_Paris01', output: RESULT },
    ]);
    expect(body.include).toEqual(['reasoning.encrypted_content']);
    expect(body.store).toBe(false);
    expectToolsPaired('openai-responses', body);
  });

  it('Responses encrypted_content, streamed → streaming Anthropic client → Responses upstream', async () => {
    const reasoning = { type: 'reasoning', id: RESPONSES_ID, summary: [{ type: 'summary_text', text: 'Look it up.' }], encrypted_content: RESPONSES_ENCRYPTED };
    const call = { type: 'function_call', id: 'fc_03', call_id: 'call_Paris03', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' };
    const response = { id: 'resp_03', object: 'response', created_at: 1_700_000_000, model: RESPONSES };
    rig.answers['openai-responses'] = () =>
      sse(
        [
          { type: 'response.created', sequence_number: 0, response: { ...response, status: 'in_progress', output: [] } },
          { type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { ...reasoning, summary: [] } },
          { type: 'response.reasoning_summary_text.delta', sequence_number: 2, item_id: RESPONSES_ID, output_index: 0, summary_index: 0, delta: 'Look it up.' },
          { type: 'response.output_item.done', sequence_number: 3, output_index: 0, item: reasoning },
          { type: 'response.output_item.added', sequence_number: 4, output_index: 1, item: { ...call, arguments: '', status: 'in_progress' } },
          { type: 'response.function_call_arguments.delta', sequence_number: 5, item_id: 'fc_03', output_index: 1, delta: '{"city":"Paris"}' },
          { type: 'response.output_item.done', sequence_number: 6, output_index: 1, item: call },
          {
            type: 'response.completed',
            sequence_number: 7,
            response: { ...response, status: 'completed', output: [reasoning, call], usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } },
          },
        ],
        true,
      );
    const client = anthropicClient();
    const params = { model: RESPONSES, max_tokens: 4096, thinking: { type: 'enabled' as const, budget_tokens: 2048 }, tools: ANTHROPIC_TOOLS };
    const turn1 = await client.messages.stream({ ...params, messages: [{ role: 'user', content: QUESTION }] }).finalMessage();
    expect(turn1.content).toEqual([
      { type: 'thinking', thinking: 'Look it up.', signature: `llm-mux:openai-responses:${JSON.stringify({ id: RESPONSES_ID, encrypted_content: RESPONSES_ENCRYPTED })}` },
      { type: 'tool_use', id: 'call_Paris03', name: 'get_weather', input: { city: 'Paris' } },
    ]);

    rig.answers['openai-responses'] = undefined;
    const { body } = await rig.one(() => client.messages.create({ ...params, messages: anthropicTurn2(turn1) }));
    expect(body.input[1]).toEqual(reasoning);
    expectToolsPaired('openai-responses', body);
  });

  it('Responses encrypted_content → Responses client → Responses upstream, through translation', async () => {
    rig.answers['openai-responses'] = () => ({
      id: 'resp_02',
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      model: RESPONSES,
      output: [
        { type: 'reasoning', id: RESPONSES_ID, summary: [], encrypted_content: RESPONSES_ENCRYPTED },
        { type: 'function_call', id: 'fc_02', call_id: 'call_Paris02', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      ],
      usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
    });
    const client = openAIClient();
    const model = `${RESPONSES}-low`;
    const tools = [{ type: 'function' as const, ...TOOL, strict: false }];
    const turn1 = await client.responses.create({ model, input: QUESTION, tools, store: false, include: ['reasoning.encrypted_content'] });
    expect(turn1.output[0]).toMatchObject({ type: 'reasoning', id: RESPONSES_ID, encrypted_content: RESPONSES_ENCRYPTED });

    rig.answers['openai-responses'] = undefined;
    const { body } = await rig.one(() =>
      client.responses.create({
        model,
        tools,
        store: false,
        input: [
          { role: 'user', content: QUESTION },
          ...(turn1.output as OpenAI.Responses.ResponseInputItem[]),
          { type: 'function_call_output', call_id: 'call_Paris02', output: RESULT },
        ],
      }),
    );
    expect(body.model).toBe(RESPONSES);
    expect(body.reasoning).toEqual({ effort: 'low' });
    expect(body.input.slice(1)).toEqual([
      { type: 'reasoning', id: RESPONSES_ID, summary: [], encrypted_content: RESPONSES_ENCRYPTED },
      { type: 'function_call', call_id: 'call_Paris02', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_Paris02', output: RESULT },
    ]);
    expectToolsPaired('openai-responses', body);
  });
});

// ---------------------------------------------------------------------------------------

/**
 * One client turn-2 request whose history holds reasoning an Anthropic or Gemini upstream
 * cannot verify: another provider's signature, or none. `model` is the client-facing name.
 */
interface ForeignHistory {
  name: string;
  /** The upstream families this history's reasoning must not reach. */
  upstreams: Array<'anthropic' | 'gemini'>;
  send(model: string): Promise<unknown>;
}

const anthropicHistory = (thinking: Json): ForeignHistory['send'] => (model) =>
  post(`${rig.proxy.url}/v1/messages`, {
    model,
    max_tokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 2048 },
    tools: ANTHROPIC_TOOLS,
    messages: [
      { role: 'user', content: QUESTION },
      { role: 'assistant', content: [thinking, { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: RESULT }] },
    ],
  });

const FOREIGN: ForeignHistory[] = [
  {
    name: 'Anthropic client, thinking tagged llm-mux:gemini',
    upstreams: ['anthropic'],
    send: anthropicHistory({ type: 'thinking', thinking: 'Gemini thought.', signature: `llm-mux:gemini:${GEMINI_SIGNATURE}` }),
  },
  {
    name: 'Anthropic client, thinking tagged llm-mux:openai-responses',
    upstreams: ['anthropic', 'gemini'],
    send: anthropicHistory({
      type: 'thinking',
      thinking: 'OpenAI summary.',
      signature: `llm-mux:openai-responses:${JSON.stringify({ id: RESPONSES_ID, encrypted_content: RESPONSES_ENCRYPTED })}`,
    }),
  },
  {
    name: 'Anthropic client, unsigned thinking',
    upstreams: ['anthropic', 'gemini'],
    send: anthropicHistory({ type: 'thinking', thinking: 'Unsigned thought.', signature: '' }),
  },
  {
    name: 'Anthropic client, Anthropic-signed thinking',
    upstreams: ['gemini'],
    send: anthropicHistory({ type: 'thinking', thinking: 'Claude thought.', signature: ANTHROPIC_SIGNATURE }),
  },
  {
    name: 'Anthropic client, redacted thinking',
    upstreams: ['gemini'],
    send: anthropicHistory({ type: 'redacted_thinking', data: REDACTED }),
  },
  {
    name: 'Chat client, reasoning_content',
    upstreams: ['anthropic', 'gemini'],
    send: (model) =>
      post(`${rig.proxy.url}/v1/chat/completions`, {
        model,
        reasoning_effort: 'low',
        tools: [{ type: 'function', function: TOOL }],
        messages: [
          { role: 'user', content: QUESTION },
          {
            role: 'assistant',
            reasoning_content: 'Chat reasoning.',
            content: null,
            tool_calls: [{ id: 'call_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_01', content: RESULT },
        ],
      }),
  },
  {
    name: 'Responses client, encrypted reasoning item',
    upstreams: ['anthropic', 'gemini'],
    send: (model) =>
      post(`${rig.proxy.url}/v1/responses`, {
        model,
        reasoning: { effort: 'low' },
        tools: [{ type: 'function', ...TOOL }],
        input: [
          { role: 'user', content: QUESTION },
          { type: 'reasoning', id: RESPONSES_ID, summary: [{ type: 'summary_text', text: 'OpenAI summary.' }], encrypted_content: RESPONSES_ENCRYPTED },
          { type: 'function_call', call_id: 'call_01', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call_output', call_id: 'call_01', output: RESULT },
        ],
      }),
  },
  {
    name: 'Gemini client, signed thought and functionCall',
    upstreams: ['anthropic'],
    send: (model) =>
      post(`${rig.proxy.url}/v1beta/models/${model}:generateContent`, {
        generationConfig: { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } },
        tools: [{ functionDeclarations: [{ name: TOOL.name, parametersJsonSchema: TOOL.parameters }] }],
        contents: [
          { role: 'user', parts: [{ text: QUESTION }] },
          { role: 'model', parts: [{ text: 'Gemini thought.', thought: true, thoughtSignature: 'sig-on-thought' }, { ...parisCall, thoughtSignature: GEMINI_SIGNATURE }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: RESULT } } }] },
        ],
      }),
  },
  {
    name: 'Ollama client, thinking',
    upstreams: ['anthropic', 'gemini'],
    send: (model) =>
      post(`${rig.proxy.url}/api/chat`, {
        model,
        stream: false,
        think: true,
        tools: [{ type: 'function', function: TOOL }],
        messages: [
          { role: 'user', content: QUESTION },
          { role: 'assistant', content: '', thinking: 'Ollama thinking.', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
          { role: 'tool', content: RESULT, tool_name: 'get_weather' },
        ],
      }),
  },
];

describe('reasoning an upstream cannot verify is not sent to it', () => {
  const cases = FOREIGN.flatMap((history) => history.upstreams.map((upstream) => ({ ...history, upstream, label: `${history.name} → ${upstream}` })));

  it.each(cases)('$label', async ({ upstream, send }) => {
    // Suffixed names force translation even when client and upstream share a protocol.
    const model = upstream === 'anthropic' ? `${CLAUDE}-thinking-2048` : `${GEMINI}-thinking-2048`;
    const { body } = await rig.one(async () => {
      const answer = (await send(model)) as { status: number };
      expect(answer.status).toBe(200);
    });
    expectToolsPaired(upstream, body);
    if (upstream === 'anthropic') {
      const blocks = (body.messages as Json[]).flatMap((message) => message.content as Json[]);
      expect(blocks.filter((block) => block.type === 'thinking' || block.type === 'redacted_thinking')).toEqual([]);
      // Anthropic refuses thinking when the last tool-calling turn has none: it is switched off.
      expect(body.thinking).toBeUndefined();
      expect(blocks.filter((block) => block.type === 'tool_use')).toHaveLength(1);
    } else {
      const parts = (body.contents as Json[]).flatMap((content) => content.parts as Json[]);
      expect(parts.filter((part) => part.thought !== undefined || part.thoughtSignature !== undefined)).toEqual([]);
      expect(parts.filter((part) => part.functionCall)).toHaveLength(1);
      expect(body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 2048, includeThoughts: true });
    }
  });

  it('Gemini 3 gets Google’s documented stand-in signature on the first call of a foreign history', async () => {
    const { body } = await rig.one(() =>
      anthropicHistory({ type: 'thinking', thinking: 'Claude thought.', signature: ANTHROPIC_SIGNATURE })(GEMINI_3),
    );
    expect(body.contents[1]).toEqual({
      role: 'model',
      parts: [{ functionCall: { id: 'toolu_01', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' }],
    });
    expectToolsPaired('gemini', body);
  });
});
