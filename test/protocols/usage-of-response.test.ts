// A same-protocol answer passes through undecoded; only its usage is read, by each codec's
// usageOfResponse. It must agree with what the full decode reads from the same body.
import { describe, expect, it } from 'vitest';
import type { OutboundCodec } from '../../src/protocols/codec.ts';
import { outboundCodec } from '../../src/protocols/registry.ts';
import { listFixtures } from '../support/fixtures.ts';

/** Answers with every count each protocol reports, one without any, and the recorded whole answers. */
const ANSWERS: Record<OutboundCodec['protocol'], unknown[]> = {
  'openai-chat': [
    {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 7,
        total_tokens: 19,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 3 },
      },
    },
    { id: 'chatcmpl-2', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] },
  ],
  'openai-responses': [
    {
      id: 'resp_1',
      object: 'response',
      created_at: 1,
      model: 'm',
      status: 'completed',
      output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hi', annotations: [] }] }],
      usage: {
        input_tokens: 12,
        output_tokens: 7,
        total_tokens: 19,
        input_tokens_details: { cached_tokens: 4, cache_write_tokens: 2 },
        output_tokens_details: { reasoning_tokens: 3 },
      },
    },
    { id: 'resp_2', object: 'response', created_at: 1, model: 'm', status: 'completed', output: [] },
  ],
  anthropic: [
    {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 7, cache_read_input_tokens: 4, cache_creation_input_tokens: 3, output_tokens_details: { thinking_tokens: 2 } },
    },
    { id: 'msg_2', type: 'message', role: 'assistant', model: 'm', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', stop_sequence: null },
  ],
  gemini: [
    {
      candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, thoughtsTokenCount: 2, toolUsePromptTokenCount: 1, cachedContentTokenCount: 4, totalTokenCount: 20 },
    },
    { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }], usageMetadata: {} },
    { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }] },
  ],
  ollama: [
    { model: 'm', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: 'hi' }, done: true, done_reason: 'stop', prompt_eval_count: 12, eval_count: 7 },
    { model: 'm', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: 'hi' }, done: true, done_reason: 'stop' },
  ],
};

/** The recorded whole (non-error) JSON answers of a protocol (Gemini's streams as one JSON array left out). */
function recordedAnswers(protocol: string): unknown[] {
  return listFixtures(protocol)
    .filter((fixture) => fixture.contentType === 'application/json' && fixture.status === 200 && !fixture.name.endsWith('.json-array-stream.json'))
    .map((fixture) => JSON.parse(fixture.body.toString('utf8')) as unknown);
}

describe('usageOfResponse reads what decodeResponse reads', () => {
  for (const [protocol, answers] of Object.entries(ANSWERS) as Array<[OutboundCodec['protocol'], unknown[]]>) {
    it(protocol, () => {
      const codec = outboundCodec(protocol);
      const all = [...answers, ...recordedAnswers(protocol)];
      for (const answer of all) expect(codec.usageOfResponse(answer), JSON.stringify(answer).slice(0, 120)).toEqual(codec.decodeResponse(answer).usage);
      // The first answer of each reports every count.
      expect(codec.usageOfResponse(all[0])).toMatchObject({ input: expect.any(Number), output: 7 });
    });
  }

  it('is undefined for a body that is not an object', () => {
    for (const protocol of Object.keys(ANSWERS) as Array<OutboundCodec['protocol']>) {
      for (const body of [null, 'text', 3, []]) expect(outboundCodec(protocol).usageOfResponse(body)).toBeUndefined();
    }
  });
});
