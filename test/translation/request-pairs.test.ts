// Request translation, client protocol × upstream protocol (5×5, plus legacy Completions ×5).
// Each client protocol sends one request using everything it can express (system prompt,
// multi-turn history with a parallel tool loop and signed reasoning, images, stop, limits,
// sampling, JSON output, tools, reasoning config) through the real proxy with its official
// SDK; a fake upstream of each protocol answers a tiny canned success and records the body it
// received, which is then checked field by field in the upstream protocol's vocabulary.
// Same-protocol pairs must pass the client's bytes through untouched.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_TIMEOUT_MS,
  DATA_PNG_B64,
  DATA_URL,
  IMAGE_PATHS,
  PROTOCOLS,
  URL_PNG_B64,
  capturingFetch,
  expectToolsPaired,
  post,
  startRig,
  upstreamModel,
  type ClientProtocol,
  type Json,
  type ModelEntry,
  type Protocol,
  type Rig,
} from './support.ts';

// ---------------------------------------------------------------------------------------
// One conversation, said in every protocol.

const SYSTEM = ['You are a weather assistant.', 'Answer briefly.'];
const Q1 = 'What do these pictures show, and what is the weather in Paris and Tokyo?';
const THOUGHT = 'Two cities: call get_weather for each, in parallel.';
const A1 = 'Let me check both cities.';
const RESULT_PARIS = '18C and sunny';
const RESULT_TOKYO = '{"temp_c":25,"sky":"rain"}';
const A2 = 'Paris: 18C and sunny. Tokyo: 25C with rain.';
const Q2 = 'Now give me that as JSON.';
const STOP = ['END', '###'];
const MAX_TOKENS = 3000;
const TEMPERATURE = 0.4;
const TOP_P = 0.9;

const TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};
const SCHEMA = {
  type: 'object',
  properties: { paris: { type: 'string' }, tokyo: { type: 'string' } },
  required: ['paris', 'tokyo'],
  additionalProperties: false,
};

const ANTHROPIC_SIGNATURE = 'EqQBCkYIBxgCKkAnthropicSignature+/==';
const GEMINI_SIGNATURE = 'CiQBGeminiThoughtSignature/+==';
const RESPONSES_ENCRYPTED = 'gAAAAABoResponsesEncryptedContent==';

// Every client and upstream model name, exact and aliased. Upstream names matter to the
// encoders: gemini-2.5 takes thinking budgets, gpt-4o takes max_tokens.
const UPSTREAM: Record<Protocol, string> = {
  'openai-chat': 'gpt-4o',
  'openai-responses': 'gpt-4.1',
  anthropic: 'claude-test-model',
  gemini: 'gemini-2.5-flash',
  ollama: 'qwen3:8b',
};
const alias = (protocol: Protocol) => `alias-${protocol}`;

// ---------------------------------------------------------------------------------------
// What a client request means, independent of protocol. The upstream checks below derive the
// expected wire fields from it.

type Effort = 'none' | 'minimal' | 'low' | 'medium' | 'high';
type ImageKind = 'url' | 'data';

interface Semantics {
  system: string[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  format?: 'json_object' | { name: string; schema: Json; strict?: boolean };
  tools: boolean;
  toolParameters?: Json;
  toolStrict?: boolean;
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  parallel?: boolean;
  /** Canonical reasoning: effort and budget both (the codecs convert through one table). */
  reasoning?: { effort: Effort; budget: number; includeThoughts?: boolean };
  /** 'prompt': one user turn with Q1 (legacy Completions). 'tool-loop': the whole conversation. */
  conversation: 'prompt' | 'tool-loop';
  /** Parts of the first user turn, in order. */
  firstTurn: Array<'text' | ImageKind>;
  /** The canonical ids of the Paris and Tokyo calls. */
  callIds: [string, string];
  /** False when the ids are llm-mux's own (Gemini gave none): the Gemini encoder leaves them out. */
  geminiWireIds: boolean;
  /** Reasoning in the assistant's tool-call turn, and which protocol signed it. */
  historyReasoning?: { signedBy?: Protocol };
}

interface Variant {
  name: string;
  semantics: Semantics;
  /** The client's wire body (for Gemini without the model, which is in the URL). */
  body(model: string, imageUrl: string): Json;
}

interface Inbound {
  client: ClientProtocol;
  /** The upstream protocol this client passes through to untouched (none for Completions). */
  sameAs?: Protocol;
  /** The proxy path for a raw request (Gemini: with the model). */
  path(model: string): string;
  variants: Variant[];
  /** Sends `body` with the protocol's official SDK; resolves to the assistant text the client got. */
  send(proxyUrl: string, model: string, body: Json, sent: string[]): Promise<string>;
}

const TOOL_LOOP = { conversation: 'tool-loop', tools: true, geminiWireIds: true } as const;

// ---------------------------------------------------------------------------------------
// OpenAI Chat Completions.

const openAI = (proxyUrl: string, sent: string[]) =>
  new OpenAI({ baseURL: `${proxyUrl}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: CLIENT_TIMEOUT_MS, fetch: capturingFetch(sent) });

const chat: Inbound = {
  client: 'openai-chat',
  sameAs: 'openai-chat',
  path: () => '/v1/chat/completions',
  async send(proxyUrl, _model, body, sent) {
    const completion = await openAI(proxyUrl, sent).chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    return completion.choices[0]!.message.content ?? '';
  },
  variants: [
    {
      name: 'full',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        maxTokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        topP: TOP_P,
        stop: STOP,
        format: { name: 'weather_report', schema: SCHEMA, strict: true },
        toolChoice: 'auto',
        parallel: true,
        reasoning: { effort: 'low', budget: 1024 },
        firstTurn: ['text', 'url', 'data'],
        callIds: ['call_paris', 'call_tokyo'],
        historyReasoning: {},
      },
      body: (model, imageUrl) => ({
        model,
        messages: [
          { role: 'system', content: SYSTEM[0] },
          { role: 'developer', content: [{ type: 'text', text: SYSTEM[1] }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: Q1 },
              { type: 'image_url', image_url: { url: imageUrl } },
              { type: 'image_url', image_url: { url: DATA_URL } },
            ],
          },
          {
            role: 'assistant',
            reasoning_content: THOUGHT,
            content: A1,
            tool_calls: [
              { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_tokyo', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_paris', content: RESULT_PARIS },
          { role: 'tool', tool_call_id: 'call_tokyo', content: [{ type: 'text', text: RESULT_TOKYO }] },
          { role: 'assistant', content: A2 },
          { role: 'user', content: Q2 },
        ],
        max_tokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        top_p: TOP_P,
        stop: STOP,
        tools: [{ type: 'function', function: TOOL }],
        tool_choice: 'auto',
        parallel_tool_calls: true,
        response_format: { type: 'json_schema', json_schema: { name: 'weather_report', schema: SCHEMA, strict: true } },
        reasoning_effort: 'low',
      }),
    },
    {
      // JSON mode, a forced tool, no parallel calls, max_completion_tokens, a string stop,
      // and llm-mux's Anthropic-style `thinking` budget extension.
      name: 'json-mode+forced-tool',
      semantics: {
        ...TOOL_LOOP,
        system: [SYSTEM[0]!],
        maxTokens: MAX_TOKENS,
        stop: ['END'],
        format: 'json_object',
        toolChoice: { name: 'get_weather' },
        parallel: false,
        reasoning: { effort: 'low', budget: 2048, includeThoughts: true },
        firstTurn: ['text', 'data'],
        callIds: ['call_paris', 'call_tokyo'],
      },
      body: (model) => ({
        model,
        messages: [
          { role: 'system', content: SYSTEM[0] },
          { role: 'user', content: [{ type: 'text', text: Q1 }, { type: 'image_url', image_url: { url: DATA_URL } }] },
          {
            role: 'assistant',
            content: A1,
            tool_calls: [
              { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_tokyo', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_paris', content: RESULT_PARIS },
          { role: 'tool', tool_call_id: 'call_tokyo', content: RESULT_TOKYO },
          { role: 'assistant', content: A2 },
          { role: 'user', content: Q2 },
        ],
        max_completion_tokens: MAX_TOKENS,
        stop: 'END',
        tools: [{ type: 'function', function: TOOL }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
        response_format: { type: 'json_object' },
        thinking: { type: 'enabled', budget_tokens: 2048 },
      }),
    },
  ],
};

// ---------------------------------------------------------------------------------------
// OpenAI Responses.

const responses: Inbound = {
  client: 'openai-responses',
  sameAs: 'openai-responses',
  path: () => '/v1/responses',
  async send(proxyUrl, _model, body, sent) {
    const response = await openAI(proxyUrl, sent).responses.create(body as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    return response.output_text;
  },
  variants: [
    {
      name: 'full',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        maxTokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        topP: TOP_P,
        format: { name: 'weather_report', schema: SCHEMA, strict: true },
        toolStrict: false,
        toolChoice: 'auto',
        parallel: true,
        reasoning: { effort: 'low', budget: 1024, includeThoughts: true },
        firstTurn: ['text', 'url', 'data'],
        callIds: ['call_paris', 'call_tokyo'],
        historyReasoning: { signedBy: 'openai-responses' },
      },
      body: (model, imageUrl) => ({
        model,
        instructions: SYSTEM[0],
        input: [
          { role: 'developer', content: SYSTEM[1] },
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: Q1 },
              { type: 'input_image', image_url: imageUrl, detail: 'auto' },
              { type: 'input_image', image_url: DATA_URL, detail: 'auto' },
            ],
          },
          { type: 'reasoning', id: 'rs_0123', summary: [{ type: 'summary_text', text: THOUGHT }], encrypted_content: RESPONSES_ENCRYPTED },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: A1, annotations: [] }] },
          { type: 'function_call', call_id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call', call_id: 'call_tokyo', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
          { type: 'function_call_output', call_id: 'call_paris', output: RESULT_PARIS },
          { type: 'function_call_output', call_id: 'call_tokyo', output: RESULT_TOKYO },
          { type: 'message', role: 'assistant', content: A2 },
          { role: 'user', content: Q2 },
        ],
        max_output_tokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        top_p: TOP_P,
        tools: [{ type: 'function', ...TOOL, strict: false }],
        tool_choice: 'auto',
        parallel_tool_calls: true,
        text: { format: { type: 'json_schema', name: 'weather_report', schema: SCHEMA, strict: true } },
        reasoning: { effort: 'low', summary: 'auto' },
        store: false,
        include: ['reasoning.encrypted_content'],
      }),
    },
    {
      // JSON mode, a forced function, a system message in `input`, effort without summary.
      name: 'json-mode+forced-tool',
      semantics: {
        ...TOOL_LOOP,
        system: [SYSTEM[0]!],
        format: 'json_object',
        toolStrict: true,
        toolChoice: { name: 'get_weather' },
        reasoning: { effort: 'high', budget: 32768 },
        firstTurn: ['text'],
        callIds: ['call_paris', 'call_tokyo'],
      },
      body: (model) => ({
        model,
        input: [
          { role: 'system', content: [{ type: 'input_text', text: SYSTEM[0] }] },
          { role: 'user', content: Q1 },
          { role: 'assistant', content: A1 },
          { type: 'function_call', call_id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call', call_id: 'call_tokyo', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
          { type: 'function_call_output', call_id: 'call_paris', output: RESULT_PARIS },
          { type: 'function_call_output', call_id: 'call_tokyo', output: RESULT_TOKYO },
          { role: 'assistant', content: A2 },
          { role: 'user', content: Q2 },
        ],
        tools: [{ type: 'function', ...TOOL, strict: true }],
        tool_choice: { type: 'function', name: 'get_weather' },
        text: { format: { type: 'json_object' } },
        reasoning: { effort: 'high' },
      }),
    },
  ],
};

// ---------------------------------------------------------------------------------------
// Anthropic Messages.

const anthropicTools = [{ name: TOOL.name, description: TOOL.description, input_schema: TOOL.parameters }];

function anthropicHistory(thinking: Json | undefined): Json[] {
  return [
    {
      role: 'assistant',
      content: [
        ...(thinking ? [thinking] : []),
        { type: 'text', text: A1 },
        { type: 'tool_use', id: 'toolu_paris', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_tokyo', name: 'get_weather', input: { city: 'Tokyo' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_paris', content: RESULT_PARIS },
        { type: 'tool_result', tool_use_id: 'toolu_tokyo', content: [{ type: 'text', text: RESULT_TOKYO }] },
      ],
    },
    { role: 'assistant', content: A2 },
    { role: 'user', content: Q2 },
  ];
}

const anthropic: Inbound = {
  client: 'anthropic',
  sameAs: 'anthropic',
  path: () => '/v1/messages',
  async send(proxyUrl, _model, body, sent) {
    const client = new Anthropic({ baseURL: proxyUrl, apiKey: 'sk-client', maxRetries: 0, timeout: CLIENT_TIMEOUT_MS, fetch: capturingFetch(sent) });
    const message = await client.messages.create(body as unknown as Anthropic.MessageCreateParamsNonStreaming);
    return message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  },
  variants: [
    {
      name: 'full',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        maxTokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        topP: TOP_P,
        stop: STOP,
        format: { name: 'response', schema: SCHEMA, strict: true },
        toolChoice: 'auto',
        reasoning: { effort: 'low', budget: 2048, includeThoughts: true },
        firstTurn: ['text', 'url', 'data'],
        callIds: ['toolu_paris', 'toolu_tokyo'],
        historyReasoning: { signedBy: 'anthropic' },
      },
      body: (model, imageUrl) => ({
        model,
        max_tokens: MAX_TOKENS,
        system: SYSTEM.map((text) => ({ type: 'text', text })),
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: Q1 },
              { type: 'image', source: { type: 'url', url: imageUrl } },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: DATA_PNG_B64 } },
            ],
          },
          ...anthropicHistory({ type: 'thinking', thinking: THOUGHT, signature: ANTHROPIC_SIGNATURE }),
        ],
        stop_sequences: STOP,
        temperature: TEMPERATURE,
        top_p: TOP_P,
        tools: anthropicTools,
        tool_choice: { type: 'auto' },
        thinking: { type: 'enabled', budget_tokens: 2048 },
        output_config: { format: { type: 'json_schema', schema: SCHEMA } },
      }),
    },
    {
      // String system prompt, any tool with parallel use disabled, thinking disabled.
      name: 'any-tool+thinking-disabled',
      semantics: {
        ...TOOL_LOOP,
        system: [SYSTEM[0]!],
        maxTokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        toolChoice: 'required',
        parallel: false,
        reasoning: { effort: 'none', budget: 0 },
        firstTurn: ['text'],
        callIds: ['toolu_paris', 'toolu_tokyo'],
        historyReasoning: { signedBy: 'anthropic' },
      },
      body: (model) => ({
        model,
        max_tokens: MAX_TOKENS,
        system: SYSTEM[0],
        messages: [
          { role: 'user', content: Q1 },
          ...anthropicHistory({ type: 'redacted_thinking', data: 'RedactedThinkingData==' }),
        ],
        temperature: TEMPERATURE,
        tools: anthropicTools,
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        thinking: { type: 'disabled' },
      }),
    },
    {
      // Adaptive thinking with an effort, tools withheld by tool_choice none.
      name: 'adaptive-effort+tool-choice-none',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        maxTokens: MAX_TOKENS,
        toolChoice: 'none',
        reasoning: { effort: 'high', budget: 32768, includeThoughts: true },
        firstTurn: ['text'],
        callIds: ['toolu_paris', 'toolu_tokyo'],
      },
      body: (model) => ({
        model,
        max_tokens: MAX_TOKENS,
        system: SYSTEM.map((text) => ({ type: 'text', text })),
        messages: [{ role: 'user', content: Q1 }, ...anthropicHistory(undefined)],
        tools: anthropicTools,
        tool_choice: { type: 'none' },
        thinking: { type: 'adaptive' },
        output_config: { effort: 'high' },
      }),
    },
  ],
};

// ---------------------------------------------------------------------------------------
// Gemini generateContent (the model is in the URL).

const geminiTools = [{ functionDeclarations: [{ name: TOOL.name, description: TOOL.description, parametersJsonSchema: TOOL.parameters }] }];

function geminiContents(userParts: Json[]): Json[] {
  return [
    { role: 'user', parts: userParts },
    {
      role: 'model',
      parts: [
        { text: THOUGHT, thought: true },
        { text: A1 },
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: GEMINI_SIGNATURE },
        { functionCall: { name: 'get_weather', args: { city: 'Tokyo' } } },
      ],
    },
    {
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_weather', response: { output: RESULT_PARIS } } },
        { functionResponse: { name: 'get_weather', response: JSON.parse(RESULT_TOKYO) as Json } },
      ],
    },
    { role: 'model', parts: [{ text: A2 }] },
    { role: 'user', parts: [{ text: Q2 }] },
  ];
}

/** Gemini gave the calls no ids: llm-mux names them by position (contents[1].parts[2] and [3]). */
const GEMINI_CALL_IDS: [string, string] = ['call_gemini_1_2', 'call_gemini_1_3'];

const gemini: Inbound = {
  client: 'gemini',
  sameAs: 'gemini',
  path: (model) => `/v1beta/models/${model}:generateContent`,
  async send(proxyUrl, model, body, sent) {
    const ai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: proxyUrl, timeout: CLIENT_TIMEOUT_MS, fetch: capturingFetch(sent) } });
    const { contents, systemInstruction, tools, toolConfig, generationConfig } = body;
    const response = await ai.models.generateContent({ model, contents, config: { systemInstruction, tools, toolConfig, ...generationConfig } });
    return response.text ?? '';
  },
  variants: [
    {
      name: 'full',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        maxTokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        topP: TOP_P,
        stop: STOP,
        format: { name: 'response', schema: SCHEMA },
        toolChoice: 'auto',
        reasoning: { effort: 'low', budget: 2048, includeThoughts: true },
        firstTurn: ['text', 'url', 'data'],
        callIds: GEMINI_CALL_IDS,
        geminiWireIds: false,
        historyReasoning: {},
      },
      body: (_model, imageUrl) => ({
        contents: geminiContents([
          { text: Q1 },
          { fileData: { mimeType: 'image/png', fileUri: imageUrl } },
          { inlineData: { mimeType: 'image/png', data: DATA_PNG_B64 } },
        ]),
        systemInstruction: { parts: SYSTEM.map((text) => ({ text })) },
        tools: geminiTools,
        toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
        generationConfig: {
          maxOutputTokens: MAX_TOKENS,
          temperature: TEMPERATURE,
          topP: TOP_P,
          stopSequences: STOP,
          responseMimeType: 'application/json',
          responseJsonSchema: SCHEMA,
          thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
        },
      }),
    },
    {
      // JSON mode, one allowed function (forced), OpenAPI-style parameters, a thinking level.
      name: 'json-mode+forced-tool',
      semantics: {
        ...TOOL_LOOP,
        system: [SYSTEM[0]!],
        format: 'json_object',
        toolParameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        toolChoice: { name: 'get_weather' },
        reasoning: { effort: 'high', budget: 32768 },
        firstTurn: ['text'],
        callIds: GEMINI_CALL_IDS,
        geminiWireIds: false,
        historyReasoning: {},
      },
      body: () => ({
        contents: geminiContents([{ text: Q1 }]),
        systemInstruction: { parts: [{ text: SYSTEM[0] }] },
        tools: [
          {
            functionDeclarations: [
              {
                name: TOOL.name,
                description: TOOL.description,
                parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
              },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
        generationConfig: { responseMimeType: 'application/json', thinkingConfig: { thinkingLevel: 'HIGH' } },
      }),
    },
    {
      // An OpenAPI-style responseSchema, calling switched off, thinking budget 0.
      name: 'response-schema+mode-none+budget-0',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        format: {
          name: 'response',
          schema: { type: 'object', properties: { paris: { type: 'string' }, tokyo: { type: 'string' } }, required: ['paris', 'tokyo'] },
        },
        toolChoice: 'none',
        reasoning: { effort: 'none', budget: 0, includeThoughts: false },
        firstTurn: ['text'],
        callIds: GEMINI_CALL_IDS,
        geminiWireIds: false,
        historyReasoning: {},
      },
      body: () => ({
        contents: geminiContents([{ text: Q1 }]),
        systemInstruction: { parts: SYSTEM.map((text) => ({ text })) },
        tools: geminiTools,
        toolConfig: { functionCallingConfig: { mode: 'NONE' } },
        generationConfig: {
          responseMimeType: 'application/json',
          responseSchema: { type: 'OBJECT', properties: { paris: { type: 'STRING' }, tokyo: { type: 'STRING' } }, required: ['paris', 'tokyo'] },
          thinkingConfig: { thinkingBudget: 0, includeThoughts: false },
        },
      }),
    },
  ],
};

// ---------------------------------------------------------------------------------------
// Ollama /api/chat.

const ollamaTools = [{ type: 'function', function: TOOL }];

function ollamaMessages(ids: boolean): Json[] {
  return [
    { role: 'system', content: SYSTEM[0] },
    { role: 'system', content: SYSTEM[1] },
    { role: 'user', content: Q1, images: [DATA_PNG_B64] },
    {
      role: 'assistant',
      content: A1,
      thinking: THOUGHT,
      tool_calls: [
        { ...(ids ? { id: 'call_abc' } : {}), function: { name: 'get_weather', arguments: { city: 'Paris' } } },
        { ...(ids ? { id: 'call_def' } : {}), function: { name: 'get_weather', arguments: { city: 'Tokyo' } } },
      ],
    },
    { role: 'tool', content: RESULT_PARIS, tool_name: 'get_weather', ...(ids ? { tool_call_id: 'call_abc' } : {}) },
    { role: 'tool', content: RESULT_TOKYO, tool_name: 'get_weather', ...(ids ? { tool_call_id: 'call_def' } : {}) },
    { role: 'assistant', content: A2 },
    { role: 'user', content: Q2 },
  ];
}

const ollama: Inbound = {
  client: 'ollama',
  sameAs: 'ollama',
  path: () => '/api/chat',
  async send(proxyUrl, _model, body, sent) {
    const client = new Ollama({ host: proxyUrl, fetch: capturingFetch(sent) });
    const answer = await client.chat(body as unknown as Parameters<Ollama['chat']>[0] & { stream: false });
    return answer.message.content;
  },
  variants: [
    {
      name: 'full',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        maxTokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        topP: TOP_P,
        stop: STOP,
        format: { name: 'response', schema: SCHEMA },
        reasoning: { effort: 'low', budget: 1024, includeThoughts: true },
        // Ollama puts a message's images before its text.
        firstTurn: ['data', 'text'],
        // Calls without ids are named after their position: messages[3], calls 0 and 1.
        callIds: ['call_3_0', 'call_3_1'],
        historyReasoning: {},
      },
      body: (model) => ({
        model,
        stream: false,
        messages: ollamaMessages(false),
        tools: ollamaTools,
        format: SCHEMA,
        options: { num_predict: MAX_TOKENS, temperature: TEMPERATURE, top_p: TOP_P, stop: STOP },
        think: 'low',
      }),
    },
    {
      name: 'json-mode+think-true+call-ids',
      semantics: {
        ...TOOL_LOOP,
        system: SYSTEM,
        maxTokens: MAX_TOKENS,
        format: 'json_object',
        reasoning: { effort: 'medium', budget: 8192, includeThoughts: true },
        firstTurn: ['data', 'text'],
        callIds: ['call_abc', 'call_def'],
        historyReasoning: {},
      },
      body: (model) => ({
        model,
        stream: false,
        messages: ollamaMessages(true),
        tools: ollamaTools,
        format: 'json',
        options: { num_predict: MAX_TOKENS },
        think: true,
      }),
    },
  ],
};

// ---------------------------------------------------------------------------------------
// Legacy Completions: a prompt, limits, sampling and stop; always translated.

const completions: Inbound = {
  client: 'completions',
  path: () => '/v1/completions',
  async send(proxyUrl, _model, body, sent) {
    const completion = await openAI(proxyUrl, sent).completions.create(body as unknown as OpenAI.CompletionCreateParamsNonStreaming);
    return completion.choices[0]!.text;
  },
  variants: [
    {
      name: 'full',
      semantics: {
        conversation: 'prompt',
        tools: false,
        system: [],
        maxTokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        topP: TOP_P,
        stop: STOP,
        firstTurn: ['text'],
        callIds: ['', ''],
        geminiWireIds: true,
      },
      body: (model) => ({ model, prompt: Q1, max_tokens: MAX_TOKENS, temperature: TEMPERATURE, top_p: TOP_P, stop: STOP }),
    },
  ],
};

const INBOUND: Inbound[] = [chat, responses, anthropic, gemini, ollama, completions];

// ---------------------------------------------------------------------------------------
// The upstream checks: what each protocol's API must receive for a request that means `s`.

interface Context {
  model: string;
  imageUrl: string;
}

const paris = { city: 'Paris' };
const tokyo = { city: 'Tokyo' };

function checkAnthropic(body: Json, s: Semantics, { model, imageUrl }: Context): void {
  const forced = s.toolChoice === 'required' || typeof s.toolChoice === 'object';
  const requested = s.reasoning?.budget;
  const budget = requested && !forced ? Math.max(requested, 1024) : undefined;
  // Thinking counts toward max_tokens: a smaller cap becomes the answer's share on top.
  const maxTokens = budget === undefined ? (s.maxTokens ?? 8192) : s.maxTokens !== undefined && s.maxTokens > budget ? s.maxTokens : budget + (s.maxTokens || 8192);
  const system = [...s.system, ...(s.format === 'json_object' ? ['Respond with a single JSON object and nothing else.'] : [])];
  const expected: Json = {
    model,
    max_tokens: maxTokens,
    messages: anthropicMessages(s, imageUrl),
    stream: false,
    ...(system.length > 0 && { system: system.map((text) => ({ type: 'text', text })) }),
    ...(budget !== undefined && { thinking: { type: 'enabled', budget_tokens: budget } }),
    // With thinking on Anthropic takes no temperature and top_p only from 0.95 up.
    ...(budget === undefined && s.temperature !== undefined && { temperature: s.temperature }),
    ...(s.topP !== undefined && { top_p: budget === undefined ? s.topP : Math.max(s.topP, 0.95) }),
    ...(s.stop && { stop_sequences: s.stop }),
    ...(s.tools && {
      tools: [
        {
          name: TOOL.name,
          description: TOOL.description,
          input_schema: s.toolParameters ?? TOOL.parameters,
          ...(s.toolStrict && { strict: true }),
        },
      ],
    }),
    ...(anthropicToolChoice(s) && { tool_choice: anthropicToolChoice(s) }),
    ...(typeof s.format === 'object' && { output_config: { format: { type: 'json_schema', schema: s.format.schema } } }),
  };
  expect(body).toEqual(expected);
}

function anthropicToolChoice(s: Semantics): Json | undefined {
  const parallel = s.parallel === false ? { disable_parallel_tool_use: true } : {};
  if (s.toolChoice === undefined) return s.parallel === false ? { type: 'auto', ...parallel } : undefined;
  if (s.toolChoice === 'none') return { type: 'none' };
  if (s.toolChoice === 'auto') return { type: 'auto', ...parallel };
  if (s.toolChoice === 'required') return { type: 'any', ...parallel };
  return { type: 'tool', name: s.toolChoice.name, ...parallel };
}

function anthropicMessages(s: Semantics, imageUrl: string): Json[] {
  const image = (kind: ImageKind) =>
    kind === 'url'
      ? { type: 'image', source: { type: 'url', url: imageUrl } }
      : { type: 'image', source: { type: 'base64', media_type: 'image/png', data: DATA_PNG_B64 } };
  const first = { role: 'user', content: s.firstTurn.map((part) => (part === 'text' ? { type: 'text', text: Q1 } : image(part))) };
  if (s.conversation === 'prompt') return [first];
  // Tool ids from other protocols are mapped into Anthropic's alphabet, the same way in both places.
  const [parisId, tokyoId] = s.callIds.map((id) => id.replace(/[^a-zA-Z0-9_-]/g, '_'));
  return [
    first,
    {
      role: 'assistant',
      content: [
        // Only reasoning Anthropic signed goes back to Anthropic (Anthropic→Anthropic passes through).
        { type: 'text', text: A1 },
        { type: 'tool_use', id: parisId, name: 'get_weather', input: paris },
        { type: 'tool_use', id: tokyoId, name: 'get_weather', input: tokyo },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: parisId, content: [{ type: 'text', text: RESULT_PARIS }] },
        { type: 'tool_result', tool_use_id: tokyoId, content: [{ type: 'text', text: RESULT_TOKYO }] },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: A2 }] },
    { role: 'user', content: [{ type: 'text', text: Q2 }] },
  ];
}

function checkGemini(body: Json, s: Semantics): void {
  // URL images arrive fetched by llm-mux and inline: Gemini takes nothing else.
  const image = (kind: ImageKind) => ({ inlineData: { mimeType: 'image/png', data: kind === 'url' ? URL_PNG_B64 : DATA_PNG_B64 } });
  const first = { role: 'user', parts: s.firstTurn.map((part) => (part === 'text' ? { text: Q1 } : image(part))) };
  const id = (index: 0 | 1) => (s.geminiWireIds ? { id: s.callIds[index] } : {});
  const contents =
    s.conversation === 'prompt'
      ? [first]
      : [
          first,
          {
            role: 'model',
            parts: [
              // Reasoning Gemini did not sign is left out; so are other providers' signatures.
              { text: A1 },
              { functionCall: { ...id(0), name: 'get_weather', args: paris } },
              { functionCall: { ...id(1), name: 'get_weather', args: tokyo } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { ...id(0), name: 'get_weather', response: { output: RESULT_PARIS } } },
              { functionResponse: { ...id(1), name: 'get_weather', response: JSON.parse(RESULT_TOKYO) as Json } },
            ],
          },
          { role: 'model', parts: [{ text: A2 }] },
          { role: 'user', parts: [{ text: Q2 }] },
        ];
  const generationConfig: Json = {
    ...(s.stop && { stopSequences: s.stop }),
    ...(s.maxTokens !== undefined && { maxOutputTokens: s.maxTokens }),
    ...(s.temperature !== undefined && { temperature: s.temperature }),
    ...(s.topP !== undefined && { topP: s.topP }),
    ...(s.format && { responseMimeType: 'application/json' }),
    ...(typeof s.format === 'object' && { responseJsonSchema: s.format.schema }),
    ...(s.reasoning && {
      // gemini-2.5-flash takes a budget of at most 24576; thoughts are shown whenever it thinks, unless the client said.
      thinkingConfig: {
        thinkingBudget: Math.min(s.reasoning.budget, 24576),
        includeThoughts: s.reasoning.includeThoughts ?? s.reasoning.effort !== 'none',
      },
    }),
  };
  const expected: Json = {
    contents,
    ...(s.system.length > 0 && { systemInstruction: { parts: s.system.map((text) => ({ text })) } }),
    ...(s.tools && { tools: [{ functionDeclarations: [{ name: TOOL.name, description: TOOL.description, parametersJsonSchema: s.toolParameters ?? TOOL.parameters }] }] }),
    ...(s.toolChoice && { toolConfig: { functionCallingConfig: geminiCalling(s.toolChoice) } }),
    ...(Object.keys(generationConfig).length > 0 && { generationConfig }),
  };
  expect(body).toEqual(expected);
}

function geminiCalling(choice: NonNullable<Semantics['toolChoice']>): Json {
  if (choice === 'auto') return { mode: 'AUTO' };
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  return { mode: 'ANY', allowedFunctionNames: [choice.name] };
}

function checkChat(body: Json, s: Semantics, { model, imageUrl }: Context): void {
  const image = (kind: ImageKind) => ({ type: 'image_url', image_url: { url: kind === 'url' ? imageUrl : DATA_URL } });
  const firstContent = s.firstTurn.map((part) => (part === 'text' ? { type: 'text', text: Q1 } : image(part)));
  const first = { role: 'user', content: firstContent.length === 1 ? Q1 : firstContent };
  const call = (index: 0 | 1, args: string) => ({ id: s.callIds[index], type: 'function', function: { name: 'get_weather', arguments: args } });
  const conversation =
    s.conversation === 'prompt'
      ? [first]
      : [
          first,
          // Chat has no field for reasoning: it is not sent back.
          { role: 'assistant', content: A1, tool_calls: [call(0, '{"city":"Paris"}'), call(1, '{"city":"Tokyo"}')] },
          { role: 'tool', tool_call_id: s.callIds[0], content: RESULT_PARIS },
          { role: 'tool', tool_call_id: s.callIds[1], content: RESULT_TOKYO },
          { role: 'assistant', content: A2 },
          { role: 'user', content: Q2 },
        ];
  const effort = s.reasoning?.effort;
  const expected: Json = {
    model,
    messages: [...(s.system.length > 0 ? [{ role: 'system', content: s.system.join('\n\n') }] : []), ...conversation],
    ...(s.maxTokens !== undefined && { max_tokens: s.maxTokens }),
    ...(s.temperature !== undefined && { temperature: s.temperature }),
    ...(s.topP !== undefined && { top_p: s.topP }),
    ...(s.stop && { stop: s.stop }),
    ...(s.tools && {
      tools: [
        {
          type: 'function',
          function: { name: TOOL.name, description: TOOL.description, parameters: s.toolParameters ?? TOOL.parameters, ...(s.toolStrict !== undefined && { strict: s.toolStrict }) },
        },
      ],
    }),
    ...(s.toolChoice && { tool_choice: typeof s.toolChoice === 'object' ? { type: 'function', function: { name: s.toolChoice.name } } : s.toolChoice }),
    ...(s.parallel !== undefined && { parallel_tool_calls: s.parallel }),
    ...(s.format === 'json_object' && { response_format: { type: 'json_object' } }),
    ...(typeof s.format === 'object' && {
      response_format: {
        type: 'json_schema',
        json_schema: { name: s.format.name, schema: s.format.schema, ...(s.format.strict !== undefined && { strict: s.format.strict }) },
      },
    }),
    ...(effort && effort !== 'none' && { reasoning_effort: effort }),
  };
  expect(body).toEqual(expected);
}

function checkResponses(body: Json, s: Semantics, { model, imageUrl }: Context): void {
  const image = (kind: ImageKind) => ({ type: 'input_image', image_url: kind === 'url' ? imageUrl : DATA_URL, detail: 'auto' });
  const userMessage = (content: Json[]) => ({ type: 'message', role: 'user', content });
  const assistantMessage = (text: string) => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] });
  const first = userMessage(s.firstTurn.map((part) => (part === 'text' ? { type: 'input_text', text: Q1 } : image(part))));
  const replayed = s.historyReasoning?.signedBy === 'openai-responses';
  const input =
    s.conversation === 'prompt'
      ? [first]
      : [
          first,
          // Only reasoning the Responses API encrypted can be replayed (Responses→Responses passes through).
          ...(replayed ? [{ type: 'reasoning', id: 'rs_0123', summary: [{ type: 'summary_text', text: THOUGHT }], encrypted_content: RESPONSES_ENCRYPTED }] : []),
          assistantMessage(A1),
          { type: 'function_call', call_id: s.callIds[0], name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call', call_id: s.callIds[1], name: 'get_weather', arguments: '{"city":"Tokyo"}' },
          { type: 'function_call_output', call_id: s.callIds[0], output: RESULT_PARIS },
          { type: 'function_call_output', call_id: s.callIds[1], output: RESULT_TOKYO },
          assistantMessage(A2),
          userMessage([{ type: 'input_text', text: Q2 }]),
        ];
  const reasoning = s.reasoning && { effort: s.reasoning.effort, ...(s.reasoning.includeThoughts && { summary: 'auto' }) };
  const reasons = (s.reasoning !== undefined && s.reasoning.effort !== 'none') || replayed;
  const expected: Json = {
    model,
    ...(s.system.length > 0 && { instructions: s.system.join('\n\n') }),
    input,
    stream: false,
    store: false,
    ...(reasons && { include: ['reasoning.encrypted_content'] }),
    ...(s.maxTokens !== undefined && { max_output_tokens: s.maxTokens }),
    ...(s.temperature !== undefined && { temperature: s.temperature }),
    ...(s.topP !== undefined && { top_p: s.topP }),
    // The Responses API has no stop sequences.
    ...(s.tools && {
      tools: [{ type: 'function', name: TOOL.name, description: TOOL.description, parameters: s.toolParameters ?? TOOL.parameters, strict: s.toolStrict ?? false }],
    }),
    ...(s.toolChoice && { tool_choice: typeof s.toolChoice === 'object' ? { type: 'function', name: s.toolChoice.name } : s.toolChoice }),
    ...(s.parallel !== undefined && { parallel_tool_calls: s.parallel }),
    ...(s.format === 'json_object' && { text: { format: { type: 'json_object' } } }),
    ...(typeof s.format === 'object' && {
      text: { format: { type: 'json_schema', name: s.format.name, schema: s.format.schema, ...(s.format.strict !== undefined && { strict: s.format.strict }) } },
    }),
    ...(reasoning && { reasoning }),
  };
  expect(body).toEqual(expected);
}

function checkOllama(body: Json, s: Semantics, { model }: Context): void {
  const images = s.firstTurn.filter((part): part is ImageKind => part !== 'text').map((kind) => (kind === 'url' ? URL_PNG_B64 : DATA_PNG_B64));
  const first = { role: 'user', content: Q1, ...(images.length > 0 && { images }) };
  // Unsigned reasoning goes back as `thinking`; another provider's signed reasoning does not.
  const thinking = s.historyReasoning && !s.historyReasoning.signedBy ? { thinking: THOUGHT } : {};
  const call = (index: 0 | 1, args: Json) => ({ id: s.callIds[index], function: { index, name: 'get_weather', arguments: args } });
  const conversation =
    s.conversation === 'prompt'
      ? [first]
      : [
          first,
          { role: 'assistant', content: A1, ...thinking, tool_calls: [call(0, paris), call(1, tokyo)] },
          { role: 'tool', content: RESULT_PARIS, tool_name: 'get_weather', tool_call_id: s.callIds[0] },
          { role: 'tool', content: RESULT_TOKYO, tool_name: 'get_weather', tool_call_id: s.callIds[1] },
          { role: 'assistant', content: A2 },
          { role: 'user', content: Q2 },
        ];
  const options: Json = {
    ...(s.maxTokens !== undefined && { num_predict: s.maxTokens }),
    ...(s.temperature !== undefined && { temperature: s.temperature }),
    ...(s.topP !== undefined && { top_p: s.topP }),
    ...(s.stop && { stop: s.stop }),
  };
  const expected: Json = {
    model,
    messages: [...(s.system.length > 0 ? [{ role: 'system', content: s.system.join('\n\n') }] : []), ...conversation],
    stream: false,
    // Ollama has no tool_choice: "none" withholds the tools.
    ...(s.tools && s.toolChoice !== 'none' && { tools: [{ type: 'function', function: { name: TOOL.name, description: TOOL.description, parameters: s.toolParameters ?? TOOL.parameters } }] }),
    ...(s.format === 'json_object' && { format: 'json' }),
    ...(typeof s.format === 'object' && { format: s.format.schema }),
    ...(Object.keys(options).length > 0 && { options }),
    ...(s.reasoning && { think: s.reasoning.effort !== 'none' }),
  };
  expect(body).toEqual(expected);
}

const CHECKS: Record<Protocol, (body: Json, s: Semantics, context: Context) => void> = {
  anthropic: checkAnthropic,
  gemini: checkGemini,
  'openai-chat': checkChat,
  'openai-responses': checkResponses,
  ollama: checkOllama,
};

/** The URL path a request of `protocol` reaches on the fake upstream, for `model`. */
function upstreamPath(protocol: Protocol, model: string): RegExp {
  switch (protocol) {
    case 'openai-chat':
      return /^\/chat\/v1\/chat\/completions$/;
    case 'openai-responses':
      return /^\/responses\/v1\/responses$/;
    case 'anthropic':
      return /^\/anthropic\/v1\/messages$/;
    case 'gemini':
      return new RegExp(`^/gemini/v1beta/models/${model.replace(/[.:]/g, '\\$&')}:generateContent$`);
    case 'ollama':
      return /^\/ollama\/api\/chat$/;
  }
}

// ---------------------------------------------------------------------------------------
// The table.

describe('request translation: every client protocol × every upstream protocol', () => {
  let rig: Rig;
  let imageUrl: string;

  beforeAll(async () => {
    const models: Record<Protocol, ModelEntry[]> = Object.fromEntries(
      PROTOCOLS.map((protocol) => [protocol, [UPSTREAM[protocol], { name: UPSTREAM[protocol], alias: alias(protocol) }]]),
    ) as Record<Protocol, ModelEntry[]>;
    // URL images are served by the fake upstream on loopback, which llm-mux must be allowed to fetch.
    rig = await startRig(models, { allowPrivateUrls: true });
    imageUrl = `${rig.upstream.url}${IMAGE_PATHS.png}`;
  });
  afterAll(() => rig.close());

  // The table: 6 client protocols × 5 upstream protocols.
  for (const inbound of INBOUND) {
    for (const outbound of PROTOCOLS) {
      if (inbound.sameAs === outbound) {
        describe(`${inbound.client} → ${outbound} (same protocol: passthrough)`, () => samePair(inbound, outbound));
      } else {
        describe(`${inbound.client} → ${outbound} (translated)`, () => translatedPair(inbound, outbound));
      }
    }
  }

  function translatedPair(inbound: Inbound, outbound: Protocol): void {
    it.each(inbound.variants.map((variant) => [variant.name, variant] as const))('%s: the upstream receives it in its own vocabulary', async (_name, variant) => {
      const model = UPSTREAM[outbound];
      const body = variant.body(model, imageUrl);
      let answer = '';
      const { posts, gets } = await rig.capture(async () => {
        answer = await inbound.send(rig.proxy.url, model, body, []);
      });
      expect(posts).toHaveLength(1);
      const request = posts[0]!;
      expect(request.url).toMatch(upstreamPath(outbound, model));
      expect(upstreamModel(request)).toBe(model);
      const received = JSON.parse(request.body) as Json;
      CHECKS[outbound](received, variant.semantics, { model, imageUrl });
      if (variant.semantics.conversation === 'tool-loop') expectToolsPaired(outbound, received);
      // Only upstreams that take inline images only make llm-mux fetch URL images, once each.
      const fetches = outbound === 'gemini' || outbound === 'ollama' ? variant.semantics.firstTurn.filter((part) => part === 'url').length : 0;
      expect(gets.map((get) => get.url)).toEqual(Array(fetches).fill(IMAGE_PATHS.png));
      // The canned answer reaches the client through its own protocol and SDK.
      expect(answer).toBe('ok');
    });
  }

  function samePair(inbound: Inbound, outbound: Protocol): void {
    const full = inbound.variants[0]!;

    it('passes the SDK request through byte for byte', async () => {
      const model = UPSTREAM[outbound];
      const sent: string[] = [];
      let answer = '';
      const { request } = await rig.one(async () => {
        answer = await inbound.send(rig.proxy.url, model, full.body(model, imageUrl), sent);
      });
      expect(sent).toHaveLength(1);
      expect(request.body).toBe(sent[0]);
      expect(request.url).toMatch(upstreamPath(outbound, model));
      expect(answer).toBe('ok');
    });

    it('passes hand-formatted bytes through untouched (whitespace, escapes, trailing newlines)', async () => {
      const model = UPSTREAM[outbound];
      const bytes = `${JSON.stringify(full.body(model, imageUrl), null, 3)
        .replace(/"text": "/g, '"text":   "')
        .replace('Answer briefly.', 'Answer \\u0062riefly.')}\n\n`;
      expect(bytes).toContain('\\u0062');
      const { request } = await rig.one(() => post(`${rig.proxy.url}${inbound.path(model)}`, bytes));
      expect(request.body).toBe(bytes);
    });

    it('with an alias model, changes only the model', async () => {
      const body = full.body(alias(outbound), imageUrl);
      const { request } = await rig.one(() => post(`${rig.proxy.url}${inbound.path(alias(outbound))}`, body));
      expect(upstreamModel(request)).toBe(UPSTREAM[outbound]);
      if (outbound === 'gemini') {
        // The model is in the URL: the body goes through byte for byte.
        expect(request.body).toBe(JSON.stringify(body));
      } else {
        expect(JSON.parse(request.body)).toEqual({ ...body, model: UPSTREAM[outbound] });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// Vocabulary that depends on the upstream model or on streaming.

describe('request translation: model- and stream-dependent vocabulary', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ ...Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, [UPSTREAM[protocol]]])), 'openai-chat': [UPSTREAM['openai-chat'], 'o4-mini', 'gpt-5-mini'] });
  });
  afterAll(() => rig.close());

  it.each(['o4-mini', 'gpt-5-mini'])('OpenAI reasoning model %s gets max_completion_tokens, not max_tokens', async (model) => {
    const { body } = await rig.one(() =>
      post(`${rig.proxy.url}/v1/messages`, { model, max_tokens: 777, messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(body.max_completion_tokens).toBe(777);
    expect(body).not.toHaveProperty('max_tokens');
  });

  /** Streaming requests from each client, and how each upstream must be asked for a stream. */
  const STREAMING: Array<{ client: ClientProtocol; request(model: string): { path: string; body: Json } }> = [
    { client: 'openai-chat', request: (model) => ({ path: '/v1/chat/completions', body: { model, stream: true, messages: [{ role: 'user', content: 'Hi' }] } }) },
    { client: 'openai-responses', request: (model) => ({ path: '/v1/responses', body: { model, stream: true, input: 'Hi' } }) },
    { client: 'anthropic', request: (model) => ({ path: '/v1/messages', body: { model, stream: true, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] } }) },
    { client: 'gemini', request: (model) => ({ path: `/v1beta/models/${model}:streamGenerateContent?alt=sse`, body: { contents: [{ parts: [{ text: 'Hi' }] }] } }) },
    // Ollama streams unless told not to.
    { client: 'ollama', request: (model) => ({ path: '/api/chat', body: { model, messages: [{ role: 'user', content: 'Hi' }] } }) },
    { client: 'completions', request: (model) => ({ path: '/v1/completions', body: { model, stream: true, prompt: 'Hi' } }) },
  ];
  const STREAM_FIELDS: Record<Protocol, (request: { url: string }, body: Json) => void> = {
    'openai-chat': (_request, body) => expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } }),
    'openai-responses': (_request, body) => expect(body.stream).toBe(true),
    anthropic: (_request, body) => expect(body.stream).toBe(true),
    gemini: (request) => expect(request.url).toBe(`/gemini/v1beta/models/${UPSTREAM.gemini}:streamGenerateContent?alt=sse`),
    ollama: (_request, body) => expect(body.stream).toBe(true),
  };
  const streamingPairs = STREAMING.flatMap((entry) =>
    PROTOCOLS.filter((upstream) => upstream !== entry.client).map((upstream) => ({ ...entry, upstream, label: `${entry.client} → ${upstream}` })),
  );

  it.each(streamingPairs)('$label: a streaming client asks the upstream for a stream in its own terms', async ({ request, upstream }) => {
    const { path, body } = request(UPSTREAM[upstream]);
    let status = 0;
    const { request: received, body: sent } = await rig.one(async () => {
      const response = await fetch(`${rig.proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
      status = response.status;
      // The canned (non-streamed) answer comes back to the client as a stream: read it to the end.
      expect(await response.text()).toContain('ok');
    });
    expect(status).toBe(200);
    STREAM_FIELDS[upstream](received, sent);
  });
});
