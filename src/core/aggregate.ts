import type { ProxyError } from './errors.ts';
import type { ReasoningPart, TextPart, ToolCallPart } from './request.ts';
import type { CanonicalChoice, CanonicalResponse, StreamEvent } from './response.ts';

type OutputPart = TextPart | ReasoningPart | ToolCallPart;

/**
 * Folds canonical stream events into the canonical response, for clients that asked for
 * one JSON body from an upstream that streams (or was asked to stream).
 */
export class ResponseAggregator {
  private readonly response: CanonicalResponse = { id: '', model: '', created: 0, choices: [] };
  private readonly blocks = new Map<string, OutputPart>();
  private failure: ProxyError | undefined;

  add(event: StreamEvent): void {
    switch (event.type) {
      case 'start':
        Object.assign(this.response, { id: event.id, model: event.model, created: event.created });
        return;
      case 'block_start': {
        const part: OutputPart =
          event.kind === 'tool_call'
            ? { type: 'tool_call', id: event.id, name: event.name, arguments: '' }
            : event.kind === 'text'
              ? { type: 'text', text: '' }
              : event.kind === 'redacted_reasoning'
                ? { type: 'reasoning', text: '', redacted: event.data }
                : { type: 'reasoning', text: '' };
        this.blocks.set(`${event.choice}:${event.block}`, part);
        this.choice(event.choice).content.push(part);
        return;
      }
      case 'text':
      case 'reasoning': {
        const part = this.blocks.get(`${event.choice}:${event.block}`);
        if (part && part.type !== 'tool_call') part.text += event.text;
        return;
      }
      case 'tool_arguments': {
        const part = this.blocks.get(`${event.choice}:${event.block}`);
        if (part?.type === 'tool_call') part.arguments += event.delta;
        return;
      }
      case 'signature': {
        const part = this.blocks.get(`${event.choice}:${event.block}`);
        if (part && part.type !== 'text') part.signature = event.signature;
        return;
      }
      case 'refusal': {
        const choice = this.choice(event.choice);
        choice.refusal = (choice.refusal ?? '') + event.text;
        return;
      }
      case 'finish': {
        const choice = this.choice(event.choice);
        choice.finishReason = event.reason;
        if (event.stopSequence !== undefined) choice.stopSequence = event.stopSequence;
        return;
      }
      case 'usage':
        this.response.usage = event.usage;
        return;
      case 'error':
        this.failure = event.error;
        return;
      case 'block_end':
        return;
    }
  }

  /** The folded response; throws the upstream's error when the stream reported one. */
  result(): CanonicalResponse {
    if (this.failure) throw this.failure;
    this.response.choices.sort((a, b) => a.index - b.index);
    return this.response;
  }

  private choice(index: number): CanonicalChoice {
    let choice = this.response.choices.find((entry) => entry.index === index);
    if (!choice) {
      choice = { index, content: [], finishReason: 'stop' };
      this.response.choices.push(choice);
    }
    return choice;
  }
}

/** The answer a complete list of events describes (throws the error of an `error` event). */
export function aggregateEvents(events: Iterable<StreamEvent>): CanonicalResponse {
  const aggregator = new ResponseAggregator();
  for (const event of events) aggregator.add(event);
  return aggregator.result();
}
