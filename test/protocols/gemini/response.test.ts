// encodeResponse on answers from other protocols, and collecting events into an answer.
import { describe, expect, it } from 'vitest';
import type { CanonicalResponse, StreamEvent } from '../../../src/core/response.ts';
import { aggregateEvents } from '../../../src/core/aggregate.ts';
import { geminiInbound, geminiOutbound } from '../../../src/protocols/gemini/index.ts';
import { unknownFields } from './proto.ts';

describe('encodeResponse', () => {
  const response: CanonicalResponse = {
    id: 'msg_01',
    model: 'claude-sonnet',
    created: 1,
    choices: [
      {
        index: 0,
        content: [
          { type: 'reasoning', text: 'Claude thinks.', signature: { protocol: 'anthropic', value: 'EqQB' } },
          { type: 'reasoning', text: '', redacted: 'opaque', signature: { protocol: 'anthropic', value: 'x' } },
          { type: 'text', text: 'Calling.' },
          { type: 'tool_call', id: 'toolu_01', name: 'ls', arguments: '{"path":"."}' },
        ],
        finishReason: 'tool_calls',
      },
      { index: 1, content: [], finishReason: 'content_filter' },
      { index: 2, content: [], finishReason: 'error', refusal: 'I cannot help with that.' },
    ],
    usage: { input: 100, output: 40, cached: 60, reasoning: 10 },
  };

  it('shows reasoning as thoughts, foreign signatures tagged (redacted thinking left out), and keeps real call ids', () => {
    const body = geminiInbound.encodeResponse(response, { model: 'gemini-2.5-pro' });
    expect(unknownFields('GenerateContentResponse', body)).toEqual([]);
    expect(body).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Claude thinks.', thought: true, thoughtSignature: 'llm-mux:anthropic:EqQB' },
              { text: 'Calling.' },
              { functionCall: { id: 'toolu_01', name: 'ls', args: { path: '.' } } },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
        // A filtered candidate has no content, as Google sends it.
        { finishReason: 'SAFETY', index: 1 },
        { content: { role: 'model', parts: [{ text: 'I cannot help with that.' }] }, finishReason: 'OTHER', index: 2 },
      ],
      usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 30, thoughtsTokenCount: 10, cachedContentTokenCount: 60, totalTokenCount: 140 },
      modelVersion: 'gemini-2.5-pro',
      responseId: 'msg_01',
    });
  });

  it("a client's next request brings other protocols' signatures back, and only Gemini's reach a Gemini upstream", () => {
    const answer: CanonicalResponse = {
      id: 'r',
      model: 'm',
      created: 1,
      choices: [
        {
          index: 0,
          content: [
            { type: 'reasoning', text: 'Claude thinks.', signature: { protocol: 'anthropic', value: 'EqQB+/==' } },
            { type: 'reasoning', text: '', signature: { protocol: 'openai-responses', value: '{"id":"rs_1","encrypted_content":"gAAAA"}' } },
            { type: 'tool_call', id: 'call_1', name: 'ls', arguments: '{}' },
            { type: 'text', text: 'Done.' },
          ],
          finishReason: 'stop',
        },
      ],
    };
    const body = geminiInbound.encodeResponse(answer, { model: 'gemini-2.5-pro' }) as { candidates: Array<{ content: { parts: unknown[] } }> };
    const parts = body.candidates[0]!.content.parts;
    // On the thought part; a signature without a thought rides on the next part, as Gemini sends one.
    expect(parts).toEqual([
      { text: 'Claude thinks.', thought: true, thoughtSignature: 'llm-mux:anthropic:EqQB+/==' },
      { functionCall: { id: 'call_1', name: 'ls', args: {} }, thoughtSignature: 'llm-mux:openai-responses:{"id":"rs_1","encrypted_content":"gAAAA"}' },
      { text: 'Done.' },
    ]);
    const request = geminiInbound.decodeRequest(
      {
        contents: [
          { role: 'user', parts: [{ text: 'Hi' }] },
          { role: 'model', parts },
          { role: 'user', parts: [{ functionResponse: { id: 'call_1', name: 'ls', response: { output: 'a' } } }] },
        ],
      },
      { model: 'gemini-2.5-pro' },
    );
    expect(request.messages[1]!.content).toEqual([
      ...answer.choices[0]!.content.slice(0, 3).map((part) => (part.type === 'tool_call' ? { ...part, id: 'call_1' } : part)),
      { type: 'text', text: 'Done.' },
    ]);
    expect(JSON.stringify(geminiOutbound.encodeRequest({ ...request, model: 'gemini-2.5-pro' }))).not.toMatch(/EqQB|gAAAA|llm-mux/);
  });

  it('round-trips a recorded answer through decodeResponse', () => {
    const recorded = {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'Let me see.', thought: true, thoughtSignature: 'T1' }, { functionCall: { name: 'f', args: { a: [1, { b: null }] } }, thoughtSignature: 'F1' }] },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 10 },
      modelVersion: 'gemini-test',
      responseId: 'r1',
    };
    expect(geminiInbound.encodeResponse(geminiOutbound.decodeResponse(recorded), { model: 'gemini-test' })).toEqual(recorded);
  });
});

describe('aggregateEvents', () => {
  it('folds every kind of event, in block order per choice, sorted by choice', () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'a', model: 'm', created: 5 },
      { type: 'block_start', choice: 1, block: 0, kind: 'text' },
      { type: 'text', choice: 1, block: 0, text: 'second' },
      { type: 'block_start', choice: 0, block: 0, kind: 'redacted_reasoning', data: 'opaque' },
      { type: 'signature', choice: 0, block: 0, signature: { protocol: 'anthropic', value: 's' } },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'refusal', choice: 0, text: 'No' },
      { type: 'refusal', choice: 0, text: 'pe' },
      { type: 'finish', choice: 0, reason: 'stop', stopSequence: 'END' },
      { type: 'usage', usage: { input: 1, output: 2, cached: 0, reasoning: 0 } },
    ];
    expect(aggregateEvents(events)).toEqual({
      id: 'a',
      model: 'm',
      created: 5,
      choices: [
        {
          index: 0,
          content: [{ type: 'reasoning', text: '', redacted: 'opaque', signature: { protocol: 'anthropic', value: 's' } }],
          finishReason: 'stop',
          stopSequence: 'END',
          refusal: 'Nope',
        },
        { index: 1, content: [{ type: 'text', text: 'second' }], finishReason: 'stop' },
      ],
      usage: { input: 1, output: 2, cached: 0, reasoning: 0 },
    });
  });

  it('an answer that is not an object is an upstream error', () => {
    expect(() => geminiOutbound.decodeResponse('oops')).toThrow(/not an object/);
  });
});
