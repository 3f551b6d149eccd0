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

  it('shows reasoning as thoughts without foreign signatures, and keeps real call ids', () => {
    const body = geminiInbound.encodeResponse(response, { model: 'gemini-2.5-pro' });
    expect(unknownFields('GenerateContentResponse', body)).toEqual([]);
    expect(body).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'Claude thinks.', thought: true }, { text: 'Calling.' }, { functionCall: { id: 'toolu_01', name: 'ls', args: { path: '.' } } }],
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
