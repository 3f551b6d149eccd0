import type { ReasoningPart, TextPart, ToolCallPart } from '../../core/request.ts';
import type { CanonicalChoice, CanonicalResponse, StreamEvent } from '../../core/response.ts';

type OutputPart = TextPart | ReasoningPart | ToolCallPart;

/**
 * Folds canonical stream events into the answer they describe. A Gemini non-streaming
 * answer has the shape of a stream element, so decoding it through the stream decoder
 * keeps one set of rules for both. Throws the ProxyError of an `error` event.
 */
export function collectResponse(events: readonly StreamEvent[]): CanonicalResponse {
  const response: CanonicalResponse = { id: '', model: '', created: 0, choices: [] };
  const choices = new Map<number, { choice: CanonicalChoice; blocks: Map<number, OutputPart> }>();
  const entry = (index: number) => {
    let found = choices.get(index);
    if (!found) {
      found = { choice: { index, content: [], finishReason: 'stop' }, blocks: new Map() };
      choices.set(index, found);
    }
    return found;
  };
  for (const event of events) {
    switch (event.type) {
      case 'start':
        Object.assign(response, { id: event.id, model: event.model, created: event.created });
        break;
      case 'block_start': {
        const part: OutputPart =
          event.kind === 'tool_call'
            ? { type: 'tool_call', id: event.id, name: event.name, arguments: '' }
            : event.kind === 'text'
              ? { type: 'text', text: '' }
              : { type: 'reasoning', text: '', ...(event.kind === 'redacted_reasoning' ? { redacted: event.data } : {}) };
        entry(event.choice).blocks.set(event.block, part);
        break;
      }
      case 'text':
      case 'reasoning': {
        const part = entry(event.choice).blocks.get(event.block);
        if (part && part.type !== 'tool_call') part.text += event.text;
        break;
      }
      case 'tool_arguments': {
        const part = entry(event.choice).blocks.get(event.block);
        if (part?.type === 'tool_call') part.arguments += event.delta;
        break;
      }
      case 'signature': {
        const part = entry(event.choice).blocks.get(event.block);
        if (part && part.type !== 'text') part.signature = event.signature;
        break;
      }
      case 'refusal': {
        const { choice: target } = entry(event.choice);
        target.refusal = (target.refusal ?? '') + event.text;
        break;
      }
      case 'finish': {
        const { choice: target } = entry(event.choice);
        target.finishReason = event.reason;
        if (event.stopSequence !== undefined) target.stopSequence = event.stopSequence;
        break;
      }
      case 'usage':
        response.usage = event.usage;
        break;
      case 'error':
        throw event.error;
      case 'block_end':
        break;
    }
  }
  response.choices = [...choices.values()]
    .map(({ choice, blocks }) => ({ ...choice, content: [...blocks.entries()].sort(([a], [b]) => a - b).map(([, part]) => part) }))
    .sort((a, b) => a.index - b.index);
  return response;
}
