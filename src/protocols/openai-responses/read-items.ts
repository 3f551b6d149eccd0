import type { WireOutputItem } from './types.ts';

/**
 * The texts of an upstream output item, each under a segment key that its stream deltas use
 * too (content_index / summary_index), so a streamed item and a whole one read the same.
 */
export type Segment = [key: string, text: string];

/** Reasoning: summary parts (OpenAI), then raw reasoning text (OpenRouter, DeepSeek). */
export function reasoningSegments(item: WireOutputItem): Segment[] {
  return [
    ...(item.summary ?? []).map((part, index): Segment => [summaryKey(index), part.text ?? '']),
    ...(item.content ?? []).map((part, index): Segment => [reasoningTextKey(index), part.text ?? '']),
  ];
}

/** A message's output_text parts. */
export function messageSegments(item: WireOutputItem): Segment[] {
  return (item.content ?? []).flatMap((part, index): Segment[] => (part.type === 'output_text' ? [[contentKey(index), part.text ?? '']] : []));
}

/** A message's refusal text, if it refused. */
export function messageRefusal(item: WireOutputItem): string | undefined {
  const parts = (item.content ?? []).filter((part) => part.type === 'refusal');
  return parts.length > 0 ? parts.map((part) => part.refusal ?? '').join('') : undefined;
}

export const summaryKey = (index: number) => `summary:${index}`;
export const reasoningTextKey = (index: number) => `reasoning:${index}`;
export const contentKey = (index: number) => `content:${index}`;

/** Between the segments of one block: summary parts are paragraphs, text parts run on. */
export const SEGMENT_SEPARATOR = { text: '', reasoning: '\n\n', tool_call: '' } as const;

/** Segment texts as one block text, as the stream decoder emits them. */
export function joinSegments(segments: Segment[], separator: string): string {
  return segments
    .map(([, text]) => text)
    .filter((text) => text !== '')
    .join(separator);
}
