import { newId } from '../../core/ids.ts';
import type { StreamEvent } from '../../core/response.ts';
import type { ClientContext, StreamEncoder, TextFrame } from '../codec.ts';
import { type JsonTemplate, jsonTemplate, templateFrame } from '../json-template.ts';
import { openAIErrorBody } from './errors.ts';
import { finishReasonToChat } from './map-finish-reason.ts';
import type { ChatChunkChoice, ChatCompletionChunk, ChatUsage } from './types.ts';
import { tokenUsageToChat } from './usage.ts';

/** The delta fields that carry text. */
type TextField = 'content' | 'reasoning_content' | 'refusal';

/** Per choice: which canonical block is which tool-call index, and whether the role was sent. */
interface ChoiceState {
  sentRole: boolean;
  toolIndex: Map<number, number>;
  /** The chunk around each text field, once the role is sent: all but the text is the same every time. */
  textChunks: Partial<Record<TextField, JsonTemplate>>;
  /** The content chunk's frame for the byte lane. */
  contentFrame?: TextFrame;
}

/** Canonical stream events → `chat.completion.chunk` SSE. */
export class ChatStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream; charset=utf-8';
  private id = newId('chatcmpl-');
  private created = Math.floor(Date.now() / 1000);
  private usage: ChatUsage | undefined;
  private failed = false;
  private readonly choices = new Map<number, ChoiceState>();

  constructor(private readonly context: ClientContext) {}

  encode(event: StreamEvent): string {
    // After an error chunk only [DONE] may follow.
    if (this.failed) return '';
    switch (event.type) {
      case 'start':
        this.id = event.id.startsWith('chatcmpl') ? event.id : `chatcmpl-${event.id}`;
        this.created = event.created;
        for (const state of this.choices.values()) {
          state.textChunks = {};
          state.contentFrame = undefined;
        }
        return '';
      case 'block_start': {
        if (event.kind !== 'tool_call') return '';
        const state = this.choice(event.choice);
        const index = state.toolIndex.size;
        state.toolIndex.set(event.block, index);
        return this.delta(event.choice, {
          tool_calls: [{ index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }],
        });
      }
      case 'text':
        return this.textDelta(event.choice, 'content', event.text);
      case 'reasoning':
        // DeepSeek's field: the one most Chat clients (and SDK users) read reasoning from.
        return this.textDelta(event.choice, 'reasoning_content', event.text);
      case 'refusal':
        return this.textDelta(event.choice, 'refusal', event.text);
      case 'tool_arguments': {
        const index = this.choice(event.choice).toolIndex.get(event.block);
        if (index === undefined) return '';
        return this.delta(event.choice, { tool_calls: [{ index, function: { arguments: event.delta } }] });
      }
      case 'finish':
        return this.chunk([{ index: event.choice, delta: this.roleOnce(event.choice), finish_reason: finishReasonToChat(event.reason) }]);
      case 'usage':
        this.usage = tokenUsageToChat(event.usage);
        return '';
      case 'error':
        this.failed = true;
        return `data: ${JSON.stringify(openAIErrorBody(event.error))}\n\n`;
      case 'signature':
      case 'block_end':
        return '';
    }
  }

  end(): string {
    const usage = this.context.streamUsage && this.usage && !this.failed ? this.chunk([], this.usage) : '';
    return `${usage}data: [DONE]\n\n`;
  }

  private delta(choice: number, delta: NonNullable<ChatChunkChoice['delta']>): string {
    return this.chunk([{ index: choice, delta: { ...this.roleOnce(choice), ...delta }, finish_reason: null }]);
  }

  textFrame(choice: number): TextFrame | undefined {
    const state = this.choices.get(choice);
    if (this.failed || !state?.sentRole) return undefined;
    return (state.contentFrame ??= templateFrame(this.textChunk(choice, state, 'content'), 'data: ', '\n\n'));
  }

  /** One text field's delta: the same bytes as delta(), from a template once the role is out (the per-token path). */
  private textDelta(choice: number, field: TextField, text: string): string {
    const state = this.choice(choice);
    if (!state.sentRole) return this.delta(choice, { [field]: text });
    return `data: ${this.textChunk(choice, state, field)(text)}\n\n`;
  }

  /** The chunk around one text field, once the role is out: all but the text is the same every time. */
  private textChunk(choice: number, state: ChoiceState, field: TextField): JsonTemplate {
    return (state.textChunks[field] ??= jsonTemplate((value) =>
      this.chunkObject([{ index: choice, delta: { [field]: value }, finish_reason: null }]),
    ));
  }

  /** The first delta of each choice carries the role, as OpenAI's do. */
  private roleOnce(choice: number): { role?: string } {
    const state = this.choice(choice);
    if (state.sentRole) return {};
    state.sentRole = true;
    return { role: 'assistant' };
  }

  private chunk(choices: ChatChunkChoice[], usage?: ChatUsage): string {
    return `data: ${JSON.stringify(this.chunkObject(choices, usage))}\n\n`;
  }

  private chunkObject(choices: ChatChunkChoice[], usage?: ChatUsage): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.context.model,
      choices,
    };
    if (usage) chunk.usage = usage;
    return chunk;
  }

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { sentRole: false, toolIndex: new Map(), textChunks: {} };
      this.choices.set(index, state);
    }
    return state;
  }
}
