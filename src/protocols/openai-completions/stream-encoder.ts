import { newId } from '../../core/ids.ts';
import type { StreamEvent } from '../../core/response.ts';
import type { ClientContext, StreamEncoder } from '../codec.ts';
import { openAIErrorBody } from '../openai-chat/errors.ts';
import { completionId, finishReasonToCompletion } from './map.ts';
import type { ChatUsage } from '../openai-chat/types.ts';
import { tokenUsageToChat } from '../openai-chat/usage.ts';

/** Canonical events → legacy `text_completion` SSE chunks. */
export class CompletionStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream; charset=utf-8';
  private id = newId('cmpl-');
  private created = Math.floor(Date.now() / 1000);
  private usage: ChatUsage | undefined;
  private failed = false;

  constructor(private readonly context: ClientContext) {}

  encode(event: StreamEvent): string {
    // After an error chunk only [DONE] may follow.
    if (this.failed) return '';
    switch (event.type) {
      case 'start':
        this.id = completionId(event.id);
        this.created = event.created;
        return '';
      case 'text':
      // No refusal field: the refusal is what the model said, so it is answer text.
      case 'refusal':
        return this.chunk([{ text: event.text, index: event.choice, logprobs: null, finish_reason: null }]);
      case 'finish':
        return this.chunk([{ text: '', index: event.choice, logprobs: null, finish_reason: finishReasonToCompletion(event.reason) }]);
      case 'usage':
        this.usage = tokenUsageToChat(event.usage);
        return '';
      case 'error':
        this.failed = true;
        return `data: ${JSON.stringify(openAIErrorBody(event.error))}\n\n`;
      default:
        return '';
    }
  }

  end(): string {
    const usage = this.context.streamUsage && this.usage && !this.failed ? this.chunk([], this.usage) : '';
    return `${usage}data: [DONE]\n\n`;
  }

  private chunk(choices: unknown[], usage?: ChatUsage): string {
    const body = { id: this.id, object: 'text_completion', created: this.created, model: this.context.model, choices, ...(usage ? { usage } : {}) };
    return `data: ${JSON.stringify(body)}\n\n`;
  }
}
