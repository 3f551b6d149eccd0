// Stream encoders write each token's chunk from a template: the bytes must be exactly what
// JSON.stringify writes for the whole chunk, whatever the text and the fixed fields hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnthropicStreamEncoder } from '../../src/protocols/anthropic/stream-encoder.ts';
import { createGeminiStreamEncoder } from '../../src/protocols/gemini/stream-encoder.ts';
import { jsonTemplate } from '../../src/protocols/json-template.ts';
import { ChatStreamEncoder } from '../../src/protocols/openai-chat/stream-encoder.ts';

const chunkOf = (model: string) => (text: string) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });

describe('jsonTemplate', () => {
  it('writes what JSON.stringify writes, for any text and any fixed fields', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (model, text) => {
        expect(jsonTemplate(chunkOf(model))(text)).toBe(JSON.stringify(chunkOf(model)(text)));
      }),
    );
  });

  it('stringifies in full when a fixed field holds its marker', () => {
    const model = '\u0000llm-mux\u0000';
    expect(jsonTemplate(chunkOf(model))('hi')).toBe(JSON.stringify(chunkOf(model)('hi')));
  });
});

describe('text deltas written from templates', () => {
  const texts = fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 8 });

  it('Chat chunks parse back to the texts, in order, after the first (which carries the role)', () => {
    fc.assert(
      fc.property(fc.string(), texts, (model, parts) => {
        const encoder = new ChatStreamEncoder({ model });
        encoder.encode({ type: 'start', id: 'x', model, created: 1 });
        const chunks = parts.map((text) => JSON.parse(encoder.encode({ type: 'text', choice: 0, block: 0, text }).slice('data: '.length)));
        expect(chunks.map((chunk) => chunk.choices[0].delta.content)).toEqual(parts);
        expect(chunks.map((chunk) => chunk.choices[0].delta.role)).toEqual(parts.map((_, i) => (i === 0 ? 'assistant' : undefined)));
        expect(new Set(chunks.map((chunk) => JSON.stringify([chunk.id, chunk.created, chunk.model])))).toEqual(new Set([JSON.stringify(['chatcmpl-x', 1, model])]));
      }),
    );
  });

  it('Anthropic content_block_delta frames carry the block index and the texts', () => {
    fc.assert(
      fc.property(texts, (parts) => {
        const encoder = new AnthropicStreamEncoder({ model: 'm' });
        encoder.encode({ type: 'start', id: 'x', model: 'm', created: 1 });
        encoder.encode({ type: 'block_start', choice: 0, block: 0, kind: 'text' });
        const frames = parts.map((text) => encoder.encode({ type: 'text', choice: 0, block: 0, text }));
        for (const [i, frame] of frames.entries()) {
          expect(frame).toBe(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: parts[i] } })}\n\n`);
        }
      }),
    );
  });

  it('Gemini elements (SSE and JSON array, text and thoughts) are the whole element stringified', () => {
    fc.assert(
      fc.property(texts, fc.boolean(), fc.constantFrom('sse' as const, 'json-array' as const), (parts, thought, framing) => {
        const encoder = createGeminiStreamEncoder({ model: 'm' }, { framing });
        encoder.encode({ type: 'start', id: 'x', model: 'm', created: 1 });
        encoder.encode({ type: 'block_start', choice: 0, block: 0, kind: thought ? 'reasoning' : 'text' });
        const elements = parts.map((text) => encoder.encode({ type: thought ? 'reasoning' : 'text', choice: 0, block: 0, text }));
        for (const [i, element] of elements.entries()) {
          const part = thought ? { text: parts[i], thought: true } : { text: parts[i] };
          const json = { candidates: [{ content: { role: 'model', parts: [part] }, index: 0 }], modelVersion: 'm', responseId: 'x' };
          const expected = framing === 'sse' ? `data: ${JSON.stringify(json)}\r\n\r\n` : `${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify(json, null, 2)}`;
          expect(element).toBe(expected);
        }
      }),
    );
  });
});
