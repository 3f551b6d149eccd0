// The stream encoder: every event it writes must validate against the published
// ResponseStreamEvent schema, and the official openai SDK, reading the bytes from a loopback
// server, must assemble the answer the canonical events describe.
import { APIError } from 'openai';
import type { Response as SDKResponse } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/core/errors.ts';
import type { StreamEvent } from '../../../src/core/response.ts';
import { responsesInbound } from '../../../src/protocols/openai-responses/index.ts';
import { checkEncodedStream, consumeWithSDK, decodeStream, expectedTranscript, recordedStreams, type Output } from './support.ts';

const CONTEXT = { model: 'client-model' };
const START: StreamEvent = { type: 'start', id: 'resp_abc', model: 'upstream-model', created: 1_700_000_000 };
const USAGE: StreamEvent = { type: 'usage', usage: { input: 10, output: 20, cached: 4, reasoning: 5 } };
const SIGNATURE = { protocol: 'openai-responses' as const, value: JSON.stringify({ id: 'rs_upstream', encrypted_content: 'gAAAA-opaque==' }) };

function encode(events: StreamEvent[]): string {
  const encoder = responsesInbound.createStreamEncoder(CONTEXT);
  expect(encoder.contentType).toBe('text/event-stream');
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

/** What the SDK's final Response holds, in the shape of ./support.ts's transcripts. */
function sdkOutput(response: SDKResponse): Output[] {
  return response.output.flatMap((item): Output[] => {
    switch (item.type) {
      case 'message':
        return [{ kind: 'text', text: item.content.map((part) => (part.type === 'output_text' ? part.text : '')).join('') }];
      case 'reasoning':
        return [
          {
            kind: 'reasoning',
            text: item.summary.map((part) => part.text).join('\n\n'),
            ...(item.encrypted_content ? { encrypted: { id: item.id, encrypted_content: item.encrypted_content } } : {}),
          },
        ];
      case 'function_call':
        return [{ kind: 'tool_call', id: item.call_id, name: item.name, arguments: JSON.parse(item.arguments) }];
      default:
        return [];
    }
  });
}

describe('Responses stream encoder: hand-built event sequences', () => {
  it('text', async () => {
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'Hello' },
      { type: 'text', choice: 0, block: 0, text: ', world' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'stop' },
      USAGE,
    ]);
    const events = checkEncodedStream(text);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const { final } = await consumeWithSDK(text);
    expect(final.id).toBe('resp_abc');
    expect(final.model).toBe('client-model');
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Hello, world');
    expect(final.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 5 },
      total_tokens: 30,
    });
  });

  it('reasoning whose signature arrives after its text', async () => {
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: '**Plan**\n\nAdd ' },
      { type: 'reasoning', choice: 0, block: 0, text: 'the numbers.' },
      { type: 'signature', choice: 0, block: 0, signature: SIGNATURE },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'text' },
      { type: 'text', choice: 0, block: 1, text: '4' },
      { type: 'block_end', choice: 0, block: 1 },
    ]);
    const events = checkEncodedStream(text);
    expect(events.filter((event) => event.type.startsWith('response.reasoning_summary')).map((event) => event.type)).toEqual([
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
    ]);
    const { final } = await consumeWithSDK(text);
    expect(sdkOutput(final)).toEqual([
      { kind: 'reasoning', text: '**Plan**\n\nAdd the numbers.', encrypted: { id: 'rs_upstream', encrypted_content: 'gAAAA-opaque==' } },
      { kind: 'text', text: '4' },
    ]);
  });

  it('announces a reasoning item under the id of a signature that comes right after block_start', () => {
    const events = checkEncodedStream(
      encode([
        START,
        { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
        { type: 'signature', choice: 0, block: 0, signature: SIGNATURE },
        { type: 'reasoning', choice: 0, block: 0, text: 'Hmm.' },
        { type: 'block_end', choice: 0, block: 0 },
      ]),
    );
    const ids = events.flatMap((event) => [event.item?.id, event.item_id].filter(Boolean));
    expect(new Set(ids)).toEqual(new Set(['rs_upstream']));
  });

  it("gives other providers' reasoning signatures to the client tagged, in encrypted_content", async () => {
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Claude thinks.' },
      { type: 'signature', choice: 0, block: 0, signature: { protocol: 'anthropic', value: 'EqQBCkYIBxgCKkD' } },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'block_start', choice: 0, block: 1, kind: 'redacted_reasoning', data: 'opaque' },
      { type: 'block_end', choice: 0, block: 1 },
    ]);
    checkEncodedStream(text);
    expect(text).not.toContain('opaque');
    const { final } = await consumeWithSDK(text);
    expect(final.output[0]!.id).toMatch(/^rs_/);
    expect(sdkOutput(final)).toEqual([
      { kind: 'reasoning', text: 'Claude thinks.', encrypted: { id: final.output[0]!.id, encrypted_content: 'llm-mux:anthropic:EqQBCkYIBxgCKkD' } },
    ]);
  });

  it('a signed call (Gemini) gets an empty reasoning item with the tagged signature just before it', async () => {
    const gemini = (value: string) => ({ protocol: 'gemini' as const, value });
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Hm.' },
      { type: 'block_end', choice: 0, block: 0 },
      // Gemini signs a call right after its block_start; a later signature finds it on the wire.
      { type: 'signature', choice: 0, block: 0, signature: gemini('Th0ught==') },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_a', name: 'get_weather' },
      { type: 'signature', choice: 0, block: 1, signature: gemini('CiQB+/sig==') },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '{"city":"Paris"}' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'block_start', choice: 0, block: 2, kind: 'tool_call', id: 'call_b', name: 'get_time' },
      { type: 'tool_arguments', choice: 0, block: 2, delta: '{}' },
      { type: 'signature', choice: 0, block: 2, signature: gemini('too-late') },
      { type: 'block_end', choice: 0, block: 2 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ]);
    const events = checkEncodedStream(text);
    expect(text).not.toContain('too-late');
    // Output indexes in order, sequence numbers counting up.
    expect(events.filter((event) => event.type === 'response.output_item.added').map((event) => [event.output_index, event.item.type])).toEqual([
      [0, 'reasoning'],
      [1, 'reasoning'],
      [2, 'function_call'],
      [3, 'function_call'],
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const { final } = await consumeWithSDK(text);
    const reasoningId = (index: number) => final.output[index]!.id!;
    expect(sdkOutput(final)).toEqual([
      { kind: 'reasoning', text: 'Hm.', encrypted: { id: reasoningId(0), encrypted_content: 'llm-mux:gemini:Th0ught==' } },
      { kind: 'reasoning', text: '', encrypted: { id: reasoningId(1), encrypted_content: 'llm-mux:gemini:CiQB+/sig==' } },
      { kind: 'tool_call', id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
      { kind: 'tool_call', id: 'call_b', name: 'get_time', arguments: {} },
    ]);
  });

  it('puts a signature that comes after its block ended into response.completed', async () => {
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'reasoning' },
      { type: 'reasoning', choice: 0, block: 0, text: 'Thought.' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'signature', choice: 0, block: 0, signature: SIGNATURE },
    ]);
    checkEncodedStream(text);
    const { final } = await consumeWithSDK(text);
    expect(sdkOutput(final)).toEqual([{ kind: 'reasoning', text: 'Thought.', encrypted: { id: 'rs_upstream', encrypted_content: 'gAAAA-opaque==' } }]);
  });

  it('two interleaved tool calls', async () => {
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'call_a', name: 'get_weather' },
      { type: 'block_start', choice: 0, block: 1, kind: 'tool_call', id: 'call_b', name: 'get_time' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{"city":' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '{"tz":' },
      { type: 'tool_arguments', choice: 0, block: 1, delta: '"UTC"}' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '"Paris"}' },
      { type: 'block_end', choice: 0, block: 1 },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ]);
    const events = checkEncodedStream(text);
    const argumentsDone = events.filter((event) => event.type === 'response.function_call_arguments.done');
    expect(argumentsDone.map((event) => [event.output_index, event.name, event.arguments])).toEqual([
      [1, 'get_time', '{"tz":"UTC"}'],
      [0, 'get_weather', '{"city":"Paris"}'],
    ]);
    const { final } = await consumeWithSDK(text);
    expect(final.status).toBe('completed');
    expect(sdkOutput(final)).toEqual([
      { kind: 'tool_call', id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
      { kind: 'tool_call', id: 'call_b', name: 'get_time', arguments: { tz: 'UTC' } },
    ]);
  });

  it('a mid-stream error: an error event the SDK throws on, then response.failed, then nothing', async () => {
    const encoder = responsesInbound.createStreamEncoder(CONTEXT);
    const error = new ProxyError('rate_limit', 'Rate limit reached for requests', { code: 'rate_limit_exceeded' });
    const text = [
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'partial' },
      { type: 'error', error },
    ]
      .map((event) => encoder.encode(event as StreamEvent))
      .join('');
    expect(encoder.end()).toBe('');
    const events = checkEncodedStream(text);
    expect(events.slice(-2)).toMatchObject([
      { type: 'error', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests', error: { type: 'rate_limit_error' } },
      { type: 'response.failed', response: { status: 'failed', error: { code: 'rate_limit_exceeded', message: 'Rate limit reached for requests' } } },
    ]);
    const failure = await consumeWithSDK(text).catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).message).toContain('Rate limit reached for requests');
  });

  it('length: response.incomplete with max_output_tokens', async () => {
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'text' },
      { type: 'text', choice: 0, block: 0, text: 'Once upon a' },
      { type: 'block_end', choice: 0, block: 0 },
      { type: 'finish', choice: 0, reason: 'length' },
      USAGE,
    ]);
    expect(checkEncodedStream(text).at(-1)!.type).toBe('response.incomplete');
    const { final } = await consumeWithSDK(text);
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(final.output_text).toBe('Once upon a');
  });

  it('a refusal, as a message with a refusal part', async () => {
    const text = encode([
      START,
      { type: 'refusal', choice: 0, text: "I can't " },
      { type: 'refusal', choice: 0, text: 'help with that.' },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
    checkEncodedStream(text);
    const { final } = await consumeWithSDK(text);
    expect(final.output).toMatchObject([{ type: 'message', content: [{ type: 'refusal', refusal: "I can't help with that." }] }]);
  });

  it('closes what is open and completes when the events stop without block ends or finish', async () => {
    const text = encode([
      START,
      { type: 'block_start', choice: 0, block: 0, kind: 'tool_call', id: 'call_x', name: 'f' },
      { type: 'tool_arguments', choice: 0, block: 0, delta: '{}' },
      { type: 'text', choice: 1, block: 0, text: 'another choice: dropped' },
    ]);
    const events = checkEncodedStream(text);
    expect(events.map((event) => event.type).slice(-3)).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
    expect(text).not.toContain('another choice');
    const { final } = await consumeWithSDK(text);
    expect(sdkOutput(final)).toEqual([{ kind: 'tool_call', id: 'call_x', name: 'f', arguments: {} }]);
  });

  it("gives another protocol's response id a resp_ one", () => {
    const [created] = checkEncodedStream(encode([{ ...START, id: 'msg_01Anthropic' } as StreamEvent]));
    expect(created!.response.id).toMatch(/^resp_/);
    expect(created!.response.id).not.toBe('msg_01Anthropic');
  });
});

describe('Responses stream encoder: the events decoded from every recorded stream', () => {
  it.each(recordedStreams().map((entry) => [entry.name, entry.body] as const))('%s', async (_name, body) => {
    const text = encode(await decodeStream(body));
    checkEncodedStream(text);
    const expected = expectedTranscript(body);
    if (expected.error) {
      const failure = await consumeWithSDK(text).catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(APIError);
      expect((failure as APIError).message).toContain(expected.error.message);
      return;
    }
    const { final } = await consumeWithSDK(text);
    expect(sdkOutput(final)).toEqual(expected.output);
    expect(final.status).toBe(expected.finish === 'length' ? 'incomplete' : 'completed');
    expect(final.usage?.input_tokens).toBe(expected.usage?.input);
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(expected.usage?.reasoning);
    expect(final.output_text).toBe(expected.output.map((entry) => (entry.kind === 'text' ? entry.text : '')).join(''));
  });
});
