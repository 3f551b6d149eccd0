import type { CanonicalResponse, StreamEvent } from './response.ts';

/**
 * A complete canonical response as the stream that would have produced it, for
 * streaming clients of an upstream that answered with one JSON body.
 */
export function responseToEvents(response: CanonicalResponse): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'start', id: response.id, model: response.model, created: response.created }];
  for (const choice of response.choices) {
    const index = choice.index;
    choice.content.forEach((part, block) => {
      if (part.type === 'tool_call') {
        events.push({ type: 'block_start', choice: index, block, kind: 'tool_call', id: part.id, name: part.name });
        if (part.arguments) events.push({ type: 'tool_arguments', choice: index, block, delta: part.arguments });
      } else if (part.type === 'reasoning' && part.redacted !== undefined) {
        events.push({ type: 'block_start', choice: index, block, kind: 'redacted_reasoning', data: part.redacted });
      } else if (part.type === 'reasoning') {
        events.push({ type: 'block_start', choice: index, block, kind: 'reasoning' });
        if (part.text) events.push({ type: 'reasoning', choice: index, block, text: part.text });
      } else {
        events.push({ type: 'block_start', choice: index, block, kind: 'text' });
        if (part.text) events.push({ type: 'text', choice: index, block, text: part.text });
      }
      if (part.type !== 'text' && part.signature) events.push({ type: 'signature', choice: index, block, signature: part.signature });
      events.push({ type: 'block_end', choice: index, block });
    });
    if (choice.refusal) events.push({ type: 'refusal', choice: index, text: choice.refusal });
    events.push({
      type: 'finish',
      choice: index,
      reason: choice.finishReason,
      ...(choice.stopSequence !== undefined ? { stopSequence: choice.stopSequence } : {}),
    });
  }
  if (response.usage) events.push({ type: 'usage', usage: response.usage });
  return events;
}
