// The stream decoder on every recorded Responses stream: what it emits must fold into what a
// Responses client reads from the same bytes (computed in ./support.ts from the wire data).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/core/response.ts';
import { responsesOutbound } from '../../../src/protocols/openai-responses/index.ts';
import { completedResponse, decodeStream, expectedFromResponse, expectedTranscript, foldEvents, recordedStreams } from './support.ts';

const streams = recordedStreams();
const stream = (name: string) => streams.find((entry) => entry.name.includes(name))!.body;

describe('Responses stream decoder: every recorded stream', () => {
  it('covers all eight fixtures (the codex loop as four streams)', () => {
    expect(streams).toHaveLength(11);
  });

  it.each(streams.map((entry) => [entry.name, entry.body] as const))('%s', async (_name, body) => {
    const transcript = foldEvents(await decodeStream(body));
    expect(transcript).toEqual(expectedTranscript(body));
  });
});

describe('Responses stream decoder: details', () => {
  it('reads plain text deltas', async () => {
    const { output, finish, usage } = foldEvents(await decodeStream(stream('gpt-4o-text')));
    expect(output).toEqual([{ kind: 'text', text: 'The capital of France is Paris.' }]);
    expect(finish).toBe('stop');
    expect(usage).toEqual({ input: 278, output: 9, cached: 0, reasoning: 0 });
  });

  it('reads a function call with argument deltas', async () => {
    const events = await decodeStream(stream('gpt-4o-function-call'));
    expect(events.filter((event) => event.type === 'tool_arguments')).toHaveLength(5);
    expect(foldEvents(events).output).toEqual([
      { kind: 'tool_call', id: 'call_kL0PCQV7M2WMoVX8V8OtYSAL', name: 'get_capital', arguments: { country: 'France' } },
    ]);
    expect(foldEvents(events).finish).toBe('tool_calls');
  });

  it('joins the four o3-mini summary parts of one reasoning item into one block, blank-line separated', async () => {
    const { output, usage } = foldEvents(await decodeStream(stream('o3-mini')));
    const reasoning = output[0]!;
    expect(reasoning.kind).toBe('reasoning');
    if (reasoning.kind !== 'reasoning') return;
    expect(reasoning.text.split('\n\n**')).toHaveLength(4);
    expect(reasoning.text.startsWith('**Providing street crossing instructions**')).toBe(true);
    expect(usage?.reasoning).toBe(1408);
  });

  it("signs reasoning with output_item.done's encrypted_content, byte for byte, bound to the item id", async () => {
    const body = stream('gpt-5.5');
    const events = await decodeStream(body);
    const signatures = events.filter((event): event is Extract<StreamEvent, { type: 'signature' }> => event.type === 'signature');
    // One as soon as the item is announced, the final one from output_item.done.
    expect(signatures).toHaveLength(2);
    const raw = body.toString('utf8');
    const final = /"type":"response\.output_item\.done","item":\{"id":"(rs_[^"]+)","type":"reasoning","content":\[\],"encrypted_content":"([^"]+)"/.exec(raw)!;
    expect(signatures.at(-1)!.signature).toEqual({
      protocol: 'openai-responses',
      value: JSON.stringify({ id: final[1], encrypted_content: final[2] }),
    });
  });

  it('reads raw reasoning_text deltas (OpenRouter, DeepSeek) as reasoning', async () => {
    expect(foldEvents(await decodeStream(stream('openrouter'))).output).toEqual([
      { kind: 'reasoning', text: 'The user asks: "What is 2+2?" They expect a straightforward answer: 4. Just answer 4.' },
      { kind: 'text', text: '4' },
    ]);
    expect(foldEvents(await decodeStream(stream('deepseek'))).output[0]).toEqual({
      kind: 'reasoning',
      text: "The user asks about temperature in Tokyo. I'll call the tool.",
    });
  });

  it('reads each turn of the codex tool loop', async () => {
    const turns = await Promise.all([1, 2, 3, 4].map(async (turn) => foldEvents(await decodeStream(stream(`codex-max-4-turn-tool-loop.chunks.ndjson#${turn}`)))));
    expect(turns.map((turn) => turn.output.map((entry) => entry.kind))).toEqual([['reasoning', 'tool_call'], ['tool_call'], ['tool_call'], ['text']]);
    expect(turns[3]!.output).toEqual([{ kind: 'text', text: 'The final result is **570**.' }]);
    expect(turns.map((turn) => turn.finish)).toEqual(['tool_calls', 'tool_calls', 'tool_calls', 'stop']);
  });

  it('turns an in-stream failure into one error event with the upstream message, code and a 429', async () => {
    const events = await decodeStream(stream('insufficient-quota'));
    expect(events.map((event) => event.type)).toEqual(['start', 'error']);
    const error = (events[1] as Extract<StreamEvent, { type: 'error' }>).error;
    expect(error.message).toMatch(/^You exceeded your current quota/);
    expect(error.code).toBe('insufficient_quota');
    expect(error.status).toBe(429);
    expect(error.kind).toBe('rate_limit');
  });

  it('reports response.incomplete as length', async () => {
    const body = Buffer.from(
      stream('gpt-4o-text')
        .toString('utf8')
        .replaceAll('response.completed', 'response.incomplete')
        .replace('"status":"completed","error":null,"incomplete_details":null', '"status":"incomplete","error":null,"incomplete_details":{"reason":"max_output_tokens"}'),
    );
    expect(foldEvents(await decodeStream(body)).finish).toBe('length');
  });

  it('recovers text and arguments that arrive only in .done events and finished items', async () => {
    const sse = (data: object) => `data: ${JSON.stringify(data)}\n\n`;
    const body = Buffer.from(
      [
        sse({ type: 'response.created', response: { id: 'resp_1', model: 'm', created_at: 1, status: 'in_progress', output: [] } }),
        sse({ type: 'response.output_item.done', output_index: 0, item: { type: 'message', id: 'msg_1', content: [{ type: 'output_text', text: 'Hi' }] } }),
        sse({ type: 'response.output_item.done', output_index: 1, item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"a":1}' } }),
        sse({ type: 'response.completed', response: { status: 'completed', output: [] } }),
      ].join(''),
    );
    expect(foldEvents(await decodeStream(body)).output).toEqual([
      { kind: 'text', text: 'Hi' },
      { kind: 'tool_call', id: 'call_1', name: 'f', arguments: { a: 1 } },
    ]);
  });

  it('supplies block ends and a finish when the stream stops early', async () => {
    const body = stream('gpt-4o-function-call');
    const cut = body.indexOf('event: response.function_call_arguments.done');
    const events = await decodeStream(body.subarray(0, cut));
    expect(events.slice(-2).map((event) => event.type)).toEqual(['block_end', 'finish']);
    expect(events.at(-1)).toEqual({ type: 'finish', choice: 0, reason: 'tool_calls' });
  });
});

describe('Responses stream decoder: what the recordings lack', () => {
  const sse = (data: object | string) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
  const created = sse({ type: 'response.created', response: { id: 'resp_1', model: 'm', created_at: 1, status: 'in_progress', output: [] } });
  const decode = (...frames: string[]) => decodeStream(Buffer.from(created + frames.join('')));
  const errorOf = (events: StreamEvent[]) => (events.at(-1) as Extract<StreamEvent, { type: 'error' }>).error;

  it('reads an error event in the shape of the published spec (code and message at the top)', async () => {
    const events = await decode(sse({ type: 'error', code: 'rate_limit_exceeded', message: 'Slow down.', param: null, sequence_number: 1 }));
    expect(errorOf(events)).toMatchObject({ kind: 'rate_limit', status: 429, code: 'rate_limit_exceeded', message: 'Slow down.' });
  });

  it('reads response.failed alone, and calls an unknown failure a 502', async () => {
    const events = await decode(sse({ type: 'response.failed', response: { status: 'failed', error: { code: 'server_error', message: 'Boom.' } } }));
    expect(events.map((event) => event.type)).toEqual(['start', 'error']);
    expect(errorOf(events)).toMatchObject({ kind: 'upstream', status: 502, code: 'server_error', message: 'Boom.' });
  });

  it('ends with an error on an event that is not JSON, and ignores [DONE]', async () => {
    expect(errorOf(await decode(sse('{"type":"response.output_text.delta"')))).toMatchObject({ kind: 'upstream', status: 502 });
    expect((await decode(sse('[DONE]'))).map((event) => event.type)).toEqual(['start', 'finish']);
  });

  it('reads refusal deltas, and content_filter', async () => {
    const events = await decode(
      sse({ type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_1', content: [] } }),
      sse({ type: 'response.content_part.added', output_index: 0, content_index: 0, part: { type: 'refusal', refusal: '' } }),
      sse({ type: 'response.refusal.delta', output_index: 0, content_index: 0, delta: 'No.' }),
      sse({ type: 'response.output_item.done', output_index: 0, item: { type: 'message', id: 'msg_1', content: [{ type: 'refusal', refusal: 'No.' }] } }),
      sse({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] } }),
    );
    expect(events.slice(1)).toEqual([
      { type: 'refusal', choice: 0, text: 'No.' },
      { type: 'finish', choice: 0, reason: 'content_filter' },
    ]);
  });
});

describe('Responses stream decoder: chunk boundaries', () => {
  it('emits the same events however the bytes are split', async () => {
    const bodies = await Promise.all(streams.map(async ({ body }) => ({ body, whole: await decodeStream(body) })));
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: bodies.length - 1 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        async (which, fractions) => {
          const { body, whole } = bodies[which]!;
          const cuts = fractions.map((fraction) => Math.floor(fraction * body.length));
          expect(await decodeStream(body, cuts)).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('also with one byte at a time', async () => {
    const body = stream('gpt-5.5');
    const cuts = Array.from({ length: body.length }, (_, index) => index);
    expect(await decodeStream(body, cuts)).toEqual(await decodeStream(body));
  });
});

describe('Responses decodeResponse: the recorded Response objects', () => {
  it.each(streams.flatMap((entry) => {
    const response = completedResponse(entry.body);
    return response ? [[entry.name, response] as const] : [];
  }))('%s', (_name, response) => {
    const decoded = responsesOutbound.decodeResponse(response);
    const choice = decoded.choices[0]!;
    const output = choice.content.map((part) => {
      switch (part.type) {
        case 'text':
          return { kind: 'text', text: part.text };
        case 'tool_call':
          return { kind: 'tool_call', id: part.id, name: part.name, arguments: JSON.parse(part.arguments) };
        case 'reasoning':
          return { kind: 'reasoning', text: part.text, ...(part.signature ? { encrypted: JSON.parse(part.signature.value) } : {}) };
      }
    });
    expect({ output, finish: choice.finishReason, usage: decoded.usage }).toEqual(expectedFromResponse(response));
  });
});
