// Requests both ways: a Responses body using every feature → canonical, canonical →
// Responses body, and a multi-turn tool loop with reasoning from a client through llm-mux to
// a Responses upstream, replaying OpenAI's encrypted reasoning byte for byte.
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { CanonicalRequest } from '../../../src/core/request.ts';
import { responsesInbound, responsesOutbound } from '../../../src/protocols/openai-responses/index.ts';
import { consumeWithSDK, decodeStream, recordedStreams } from './support.ts';

const CONTEXT = { model: 'gpt-5.1-codex-max' };
const decode = (body: unknown) => responsesInbound.decodeRequest(body, CONTEXT);
const encode = (request: CanonicalRequest) => responsesOutbound.encodeRequest(request);

/** A client body using every feature the codec translates (typed with the SDK's own types). */
const EVERYTHING = {
  model: 'gpt-5.1-codex-max',
  instructions: 'You are a coding agent.',
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Prefer tools.' }] },
    { role: 'system', content: 'Be brief.' },
    {
      type: 'message',
      role: 'user',
      content: [
        { type: 'input_text', text: 'What is 12+7, and what is in these?' },
        { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
        { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'high' },
      ],
    },
    {
      type: 'reasoning',
      id: 'rs_1',
      summary: [
        { type: 'summary_text', text: '**Plan**' },
        { type: 'summary_text', text: 'Add, then describe.' },
      ],
      encrypted_content: 'gAAAAB-first-turn==',
    },
    { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Adding first.', annotations: [] }] },
    { type: 'function_call', call_id: 'call_1', name: 'calculator', arguments: '{"a":12,"b":7}' },
    { type: 'function_call_output', call_id: 'call_1', output: '19' },
    { role: 'user', content: 'Thanks. Keep going.' },
  ] satisfies ResponseInputItem[],
  tools: [
    {
      type: 'function',
      name: 'calculator',
      description: 'Adds two numbers.',
      parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      strict: true,
    },
  ],
  tool_choice: { type: 'function', name: 'calculator' },
  parallel_tool_calls: false,
  text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true, description: 'The answer.' }, verbosity: 'low' },
  reasoning: { effort: 'high', summary: 'detailed' },
  max_output_tokens: 2048,
  temperature: 0.5,
  top_p: 0.9,
  safety_identifier: 'user-42',
  user: 'legacy-user',
  stream: true,
  store: false,
  include: ['reasoning.encrypted_content'],
  metadata: { session: 'abc' },
  truncation: 'auto',
};

const SIGNED_1 = { protocol: 'openai-responses' as const, value: JSON.stringify({ id: 'rs_1', encrypted_content: 'gAAAAB-first-turn==' }) };

const CANONICAL: CanonicalRequest = {
  model: 'gpt-5.1-codex-max',
  system: [
    { type: 'text', text: 'You are a coding agent.' },
    { type: 'text', text: 'Prefer tools.' },
    { type: 'text', text: 'Be brief.' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is 12+7, and what is in these?' },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: '**Plan**\n\nAdd, then describe.', signature: SIGNED_1 },
        { type: 'text', text: 'Adding first.' },
        { type: 'tool_call', id: 'call_1', name: 'calculator', arguments: '{"a":12,"b":7}' },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'call_1', name: 'calculator', content: [{ type: 'text', text: '19' }] },
        { type: 'text', text: 'Thanks. Keep going.' },
      ],
    },
  ],
  stream: true,
  maxTokens: 2048,
  temperature: 0.5,
  topP: 0.9,
  tools: [
    {
      name: 'calculator',
      description: 'Adds two numbers.',
      parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      strict: true,
    },
  ],
  toolChoice: { type: 'tool', name: 'calculator' },
  parallelToolCalls: false,
  responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true, description: 'The answer.' },
  reasoning: { effort: 'high', includeThoughts: true },
  user: 'user-42',
};

function rejection(action: () => unknown): ProxyError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyError);
    return error as ProxyError;
  }
  throw new Error('expected a ProxyError');
}

describe('Responses decodeRequest', () => {
  it('decodes every feature field by field', () => {
    expect(decode(EVERYTHING)).toEqual(CANONICAL);
  });

  it('takes a string input as one user message, and defaults', () => {
    expect(decode({ model: 'm', input: 'Hello' })).toEqual({
      model: 'gpt-5.1-codex-max',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stream: false,
    });
  });

  it('reads the deprecated reasoning.generate_summary like summary', () => {
    expect(decode({ input: 'x', reasoning: { generate_summary: 'concise' } }).reasoning).toEqual({ includeThoughts: true });
  });

  it('maps tool_choice strings, json_object, efforts above high and a missing summary', () => {
    const request = decode({
      input: 'x',
      tool_choice: 'required',
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'xhigh', summary: null },
    });
    expect(request.toolChoice).toEqual({ type: 'required' });
    expect(request.responseFormat).toEqual({ type: 'json_object' });
    expect(request.reasoning).toEqual({ effort: 'high' });
  });

  it('reads tool outputs given as content parts, and reasoning without encrypted content as unsigned', () => {
    const request = decode({
      input: [
        { type: 'reasoning', id: 'rs_x', summary: [{ type: 'summary_text', text: 'Look.' }] },
        { type: 'function_call', call_id: 'call_s', name: 'screenshot', arguments: '{}' },
        {
          type: 'function_call_output',
          call_id: 'call_s',
          output: [
            { type: 'input_text', text: 'Here:' },
            { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'low' },
          ],
        },
      ],
    });
    expect(request.messages).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Look.' },
          { type: 'tool_call', id: 'call_s', name: 'screenshot', arguments: '{}' },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            toolCallId: 'call_s',
            name: 'screenshot',
            content: [
              { type: 'text', text: 'Here:' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
            ],
          },
        ],
      },
    ]);
  });

  it.each([
    ['previous_response_id', { input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id', /stateless|keeps no state/],
    ['a conversation', { input: 'x', conversation: 'conv_1' }, 'conversation', /keeps no state/],
    ['a hosted tool', { input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type', /web_search.*only function tools/],
    ['an unanswered output', { input: [{ type: 'function_call_output', call_id: 'call_9', output: 'x' }] }, 'input[0].call_id', /call_9/],
    ['an item_reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type', /item_reference/],
    ['a file part', { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 'input[0].content[0].type', /input_file/],
    ['a file_id image', { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] }, 'input[0].content[0].image_url', /file_id/],
    ['an image from the assistant', { input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }, 'input[0].content[0]', /only allowed in user/],
    ['allowed_tools', { input: 'x', tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }, 'tool_choice', /allowed_tools/],
    ['a text.format grammar', { input: 'x', text: { format: { type: 'grammar' } } }, 'text.format.type', /grammar/],
    ['a background run', { input: 'x', background: true }, 'background', /storage/],
    ['an unknown effort', { input: 'x', reasoning: { effort: 'extreme' } }, 'reasoning.effort', /extreme/],
    ['no input', { model: 'm' }, 'input', /required/],
    ['a wrongly typed field', { input: 'x', temperature: 'hot' }, 'temperature', /number/],
  ])('rejects %s with a 400 naming the parameter', (_what, body, param, message) => {
    const error = rejection(() => decode(body));
    expect(error.status).toBe(400);
    expect(error.kind).toBe('invalid_request');
    expect(error.options.param).toBe(param);
    expect(error.message).toMatch(message);
  });
});

describe('Responses encodeRequest', () => {
  it('encodes every feature field by field', () => {
    expect(encode(CANONICAL)).toEqual({
      model: 'gpt-5.1-codex-max',
      instructions: 'You are a coding agent.\n\nPrefer tools.\n\nBe brief.',
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is 12+7, and what is in these?' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
            { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'auto' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: '**Plan**\n\nAdd, then describe.' }], encrypted_content: 'gAAAAB-first-turn==' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Adding first.', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'calculator', arguments: '{"a":12,"b":7}' },
        { type: 'function_call_output', call_id: 'call_1', output: '19' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Thanks. Keep going.' }] },
      ],
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
      max_output_tokens: 2048,
      temperature: 0.5,
      top_p: 0.9,
      tools: [
        {
          type: 'function',
          name: 'calculator',
          description: 'Adds two numbers.',
          parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
          strict: true,
        },
      ],
      tool_choice: { type: 'function', name: 'calculator' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true, description: 'The answer.' } },
      reasoning: { effort: 'high', summary: 'auto' },
      user: 'user-42',
    });
  });

  it('turns a token budget into an effort, and leaves out what Responses lacks', () => {
    const body = encode({
      model: 'o3',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: false,
      stop: ['END'],
      topK: 5,
      seed: 1,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      reasoning: { budgetTokens: 8192 },
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      toolChoice: { type: 'none' },
      responseFormat: { type: 'json_object' },
    });
    expect(body).toEqual({
      model: 'o3',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
      stream: false,
      store: false,
      include: ['reasoning.encrypted_content'],
      // Responses makes function tools strict unless told otherwise.
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: false }],
      tool_choice: 'none',
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'medium' },
    });
  });

  it('asks for no encrypted reasoning from a model told not to reason', () => {
    const body = encode({ model: 'gpt-5.1', system: [], messages: [], stream: false, reasoning: { effort: 'none' } });
    expect(body.include).toBeUndefined();
    expect(body.reasoning).toEqual({ effort: 'none' });
  });

  it("drops reasoning it cannot replay: unsigned, or signed by another provider", () => {
    const body = encode({
      model: 'gpt-5',
      system: [],
      stream: false,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'Claude thinking', signature: { protocol: 'anthropic', value: 'EqQBCkYI' } },
            { type: 'reasoning', text: 'Gemini thought', signature: { protocol: 'gemini', value: 'CiQB' } },
            { type: 'reasoning', text: 'Unsigned' },
            { type: 'reasoning', text: '', redacted: 'EmwKAhgB' },
            { type: 'text', text: 'Hello!' },
          ],
        },
      ],
    });
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }] },
    ]);
    expect(body.include).toBeUndefined();
  });

  it('sends tool results with images as content parts, each right after the call it answers', () => {
    const body = encode({
      model: 'gpt-5',
      system: [],
      stream: false,
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'tool_call', id: 'call_a', name: 'look', arguments: '{}' },
            { type: 'tool_call', id: 'call_b', name: 'read', arguments: '{"path":"x"}' },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              toolCallId: 'call_a',
              name: 'look',
              content: [{ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }],
            },
            { type: 'tool_result', toolCallId: 'call_b', name: 'read', content: [], isError: true },
          ],
        },
      ],
    });
    expect(body.input).toEqual([
      { type: 'function_call', call_id: 'call_a', name: 'look', arguments: '{}' },
      { type: 'function_call', call_id: 'call_b', name: 'read', arguments: '{"path":"x"}' },
      { type: 'function_call_output', call_id: 'call_a', output: [{ type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' }] },
      { type: 'function_call_output', call_id: 'call_b', output: '' },
    ]);
  });

  it('rejects n > 1 with a 400 that says why', () => {
    const error = rejection(() => encode({ model: 'gpt-5', system: [], messages: [], stream: false, n: 2 }));
    expect(error.status).toBe(400);
    expect(error.options.param).toBe('n');
    expect(error.message).toMatch(/n > 1/);
  });
});

describe('Responses in → canonical → Responses out: the codex tool loop', () => {
  /**
   * The client (the official SDK) gets each recorded turn through llm-mux's decoder and
   * encoder, appends the output items and its tool output to the conversation as Codex
   * does, and sends the next request. What reaches the upstream must carry the reasoning
   * item with the id and encrypted_content OpenAI issued, unchanged.
   */
  it('replays encrypted reasoning byte for byte, with every tool output paired with its call', async () => {
    const turns = recordedStreams().filter((entry) => entry.name.includes('codex-max'));
    const conversation: unknown[] = [{ role: 'user', content: 'Compute (12 + 7) * 3 * 10 with the calculator.' }];
    const upstreamBodies: Array<Record<string, unknown>> = [];
    for (const turn of turns) {
      const request = decode({ model: 'gpt-5.1-codex-max', input: conversation, reasoning: { effort: 'high', summary: 'detailed' }, include: ['reasoning.encrypted_content'], store: false });
      upstreamBodies.push(encode(request));
      const encoder = responsesInbound.createStreamEncoder(CONTEXT);
      const text = (await decodeStream(turn.body)).map((event) => encoder.encode(event)).join('') + encoder.end();
      const { final } = await consumeWithSDK(text);
      for (const item of final.output) {
        conversation.push(item);
        if (item.type === 'function_call') conversation.push({ type: 'function_call_output', call_id: item.call_id, output: '42' });
      }
    }

    const raw = turns[0]!.body.toString('utf8');
    const [, id, encrypted] = /"type":"response\.output_item\.done","sequence_number":\d+,"output_index":0,"item":\{"id":"(rs_[^"]+)","type":"reasoning","encrypted_content":"([^"]+)"/.exec(raw)!;
    const replayed = (upstreamBodies[1]!.input as Array<Record<string, unknown>>).filter((item) => item.type === 'reasoning');
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.id).toBe(id);
    expect(replayed[0]!.encrypted_content).toBe(encrypted);
    expect(upstreamBodies[1]!.include).toEqual(['reasoning.encrypted_content']);
    expect(upstreamBodies[1]!.store).toBe(false);

    // The last request holds the whole loop: three calls, each followed by its output.
    const input = upstreamBodies[3]!.input as Array<Record<string, unknown>>;
    expect(input.map((item) => item.type)).toEqual([
      'message',
      'reasoning',
      'function_call',
      'function_call_output',
      'function_call',
      'function_call_output',
      'function_call',
      'function_call_output',
    ]);
    input.forEach((item, index) => {
      if (item.type === 'function_call_output') expect(input[index - 1]!.call_id).toBe(item.call_id);
    });
    expect(input.filter((item) => item.type === 'function_call').map((item) => item.call_id)).toEqual([
      'call_AB6AaRZ1FYZB2RwS6A5vbdqn',
      'call_Q6pW65MUgW9vF59BmItYGos3',
      'call_Zl5vIMnD7dVAjgU6FkhmiCZh',
    ]);
  });
});
