import type { FinishReason, StreamEvent } from '../../core/response.ts';
import type { ReasoningSignature, ToolCallPart } from '../../core/request.ts';
import type { ClientContext, StreamEncoder, TextFrame } from '../codec.ts';
import { type JsonTemplate, jsonTemplate, templateFrame } from '../json-template.ts';
import { tagSignature } from '../signature-tag.ts';
import { functionCallPart } from './encode-parts.ts';
import { googleErrorBody } from './errors.ts';
import { SSE_DATA, SSE_END, type StreamFraming, jsonArrayFraming, sseFraming } from './framing.ts';
import { finishReasonToGemini } from './map-finish-reason.ts';
import { SignatureCarrier, looseSignature } from './signature-carrier.ts';
import type { GeminiCandidate, GeminiPart, GeminiUsageMetadata, GenerateContentResponse } from './types.ts';
import { tokenUsageToGemini } from './usage.ts';

interface Block {
  number: number;
  ended: boolean;
  /** Parts held back while an earlier block of the choice is still open. */
  held: GeminiPart[];
  /** A tool call, sent as one functionCall part once the block has ended and its turn comes. */
  call?: Pick<ToolCallPart, 'id' | 'name' | 'arguments' | 'signature'>;
  /** Another protocol's signature for this reasoning block, written when the block ends (the last one wins). */
  signature?: ReasoningSignature;
  /** Anthropic redacted thinking: nothing of it is shown, nor signed. */
  redacted?: boolean;
}

interface ChoiceState {
  /** Blocks in start order: the first one streams, later ones wait their turn. */
  blocks: Block[];
  carrier: SignatureCarrier;
  /** The element around one text or thought part: all but the text is the same every time. */
  textElements: { text?: JsonTemplate; thought?: JsonTemplate };
  /** The text element's frame for the byte lane (SSE only). */
  textFrame?: TextFrame;
  finish?: FinishReason;
  madeToolCalls: boolean;
}

export interface GeminiStreamOptions {
  /** `sse` for `?alt=sse`, `json-array` for streamGenerateContent without it. */
  framing: 'sse' | 'json-array';
  /** Wraps each response element (not errors), e.g. in the Code Assist `{response}` envelope. */
  wrap?: (response: GenerateContentResponse) => unknown;
}

/**
 * Canonical events → a Gemini stream: each element is a GenerateContentResponse with the
 * parts of that moment. Gemini has no block boundaries: text and thoughts go out as they
 * come, a tool call as one complete functionCall part when its block ends, and the finish
 * reasons and usage together in the last element. A reasoning block's signature goes out
 * as a loose signature (on the next part, as Gemini sends it): Gemini's own as soon as it
 * comes, another protocol's tagged (see encode-parts.ts) when the block ends, since it may
 * be replaced until then (Responses signs a reasoning item twice).
 */
export class GeminiStreamEncoder implements StreamEncoder {
  readonly contentType: string;
  private readonly framing: StreamFraming;
  private responseId = '';
  private usage: GeminiUsageMetadata | undefined;
  private failed = false;
  private readonly choices = new Map<number, ChoiceState>();

  constructor(
    private readonly context: ClientContext,
    private readonly options: GeminiStreamOptions,
  ) {
    this.framing = options.framing === 'sse' ? sseFraming() : jsonArrayFraming();
    this.contentType = this.framing.contentType;
  }

  encode(event: StreamEvent): string {
    if (this.failed) return '';
    switch (event.type) {
      case 'start':
        this.responseId = event.id;
        for (const state of this.choices.values()) {
          state.textElements = {};
          state.textFrame = undefined;
        }
        return '';
      case 'block_start': {
        const state = this.choice(event.choice);
        const block: Block = { number: event.block, ended: false, held: [] };
        if (event.kind === 'tool_call') {
          block.call = { id: event.id, name: event.name, arguments: '' };
          state.madeToolCalls = true;
        }
        if (event.kind === 'redacted_reasoning') block.redacted = true;
        state.blocks.push(block);
        return '';
      }
      case 'text':
        return this.deliver(event.choice, event.block, { text: event.text });
      case 'reasoning':
        return this.deliver(event.choice, event.block, { text: event.text, thought: true });
      case 'tool_arguments': {
        const call = this.block(event.choice, event.block)?.call;
        if (call) call.arguments += event.delta;
        return '';
      }
      case 'signature': {
        const block = this.block(event.choice, event.block);
        if (block?.redacted) return '';
        if (block?.call) {
          block.call.signature = event.signature;
          return '';
        }
        if (event.signature.protocol !== 'gemini' && block && !block.ended) {
          block.signature = event.signature;
          return '';
        }
        // Thinking already sent: the signature rides on the next part, as Gemini sends it.
        return this.deliver(event.choice, event.block, looseSignature(tagSignature(event.signature, 'gemini')));
      }
      case 'refusal':
        return this.write(event.choice, [{ text: event.text }]);
      case 'block_end': {
        const block = this.block(event.choice, event.block);
        if (!block) return '';
        const signed = this.signBlock(event.choice, block);
        block.ended = true;
        return signed + this.drain(event.choice);
      }
      case 'finish':
        this.choice(event.choice).finish = event.reason;
        return '';
      case 'usage':
        this.usage = tokenUsageToGemini(event.usage);
        return '';
      case 'error':
        this.failed = true;
        return this.framing.element(googleErrorBody(event.error));
    }
  }

  textFrame(choice: number, number: number): TextFrame | undefined {
    const state = this.choices.get(choice);
    if (this.failed || this.options.framing !== 'sse' || !state || state.carrier.carrying) return undefined;
    if (heldBack(state, number)) return undefined;
    return (state.textFrame ??= templateFrame(this.textTemplate(choice, state, false), SSE_DATA, SSE_END));
  }

  end(): string {
    if (this.failed) return this.framing.close();
    let text = '';
    for (const [index, state] of this.choices) {
      for (const block of state.blocks) {
        text += this.signBlock(index, block);
        block.ended = true;
      }
      text += this.drain(index);
    }
    if (this.choices.size === 0) this.choice(0);
    const candidates: GeminiCandidate[] = [...this.choices.entries()].map(([index, state]) => {
      const parts = state.carrier.flush();
      return {
        // Google ends with an empty text part too; clients look for content in every element.
        content: { role: 'model', parts: parts.length > 0 ? parts : [{ text: '' }] },
        finishReason: finishReasonToGemini(state.finish ?? (state.madeToolCalls ? 'tool_calls' : 'stop')),
        index,
      };
    });
    const last: GenerateContentResponse = { candidates };
    if (this.usage) last.usageMetadata = this.usage;
    return text + this.element(last) + this.framing.close();
  }

  /** A part of one block: written now if its block is the one streaming, else held. */
  private deliver(choice: number, number: number, part: GeminiPart): string {
    const block = heldBack(this.choice(choice), number);
    if (block) {
      block.held.push(part);
      return '';
    }
    return this.write(choice, [part]);
  }

  /** A reasoning block's held signature (another protocol's), as the block ends. */
  private signBlock(choice: number, block: Block): string {
    const signature = block.signature;
    if (!signature) return '';
    block.signature = undefined;
    return this.deliver(choice, block.number, looseSignature(tagSignature(signature, 'gemini')));
  }

  /** Writes the ended blocks at the head of the queue, then what the next one holds. */
  private drain(choice: number): string {
    const { blocks } = this.choice(choice);
    const parts: GeminiPart[] = [];
    while (blocks[0]?.ended) {
      const block = blocks.shift()!;
      parts.push(...block.held, ...(block.call ? [functionCallPart(block.call, 'client')] : []));
    }
    if (blocks[0]) parts.push(...blocks[0].held.splice(0));
    return this.write(choice, parts);
  }

  private write(choice: number, parts: GeminiPart[]): string {
    const { carrier } = this.choice(choice);
    // One part per token: flatMap costs more than the rest of the write there.
    const out = parts.length === 1 ? carrier.push(parts[0]!) : parts.flatMap((part) => carrier.push(part));
    if (out.length === 0) return '';
    if (out.length === 1 && isTextOnly(out[0]!)) return this.textElement(choice, out[0]!.text!, out[0]!.thought === true);
    return this.element(partsElement(choice, out));
  }

  /** An element of one text or thought part (the per-token path): the same bytes as element(), from a template. */
  private textElement(choice: number, text: string, thought: boolean): string {
    return this.framing.elementText(this.textTemplate(choice, this.choice(choice), thought)(text));
  }

  /** The element around one text or thought part: all but the text is the same every time. */
  private textTemplate(choice: number, state: ChoiceState, thought: boolean): JsonTemplate {
    return (state.textElements[thought ? 'thought' : 'text'] ??= jsonTemplate(
      (value) => this.full(partsElement(choice, [thought ? { text: value, thought: true } : { text: value }])),
      this.framing.stringify,
    ));
  }

  private element(response: GenerateContentResponse): string {
    return this.framing.element(this.full(response));
  }

  /** The element as it goes out: with model and response id, wrapped when asked. */
  private full(response: GenerateContentResponse): unknown {
    const full: GenerateContentResponse = { ...response, modelVersion: this.context.model, responseId: this.responseId };
    return this.options.wrap ? this.options.wrap(full) : full;
  }

  private block(choice: number, number: number): Block | undefined {
    return this.choice(choice).blocks.find((block) => block.number === number);
  }

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { blocks: [], carrier: new SignatureCarrier(), madeToolCalls: false, textElements: {} };
      this.choices.set(index, state);
    }
    return state;
  }
}

/** The block, when it is not the one streaming: its parts wait until the blocks before it end. */
function heldBack(state: ChoiceState, number: number): Block | undefined {
  const block = state.blocks.find((candidate) => candidate.number === number);
  return block && block !== state.blocks[0] ? block : undefined;
}

function partsElement(choice: number, parts: GeminiPart[]): GenerateContentResponse {
  return { candidates: [{ content: { role: 'model', parts }, index: choice }] };
}

/** `{text}` or `{text, thought: true}` and nothing else. */
function isTextOnly(part: GeminiPart): boolean {
  return typeof part.text === 'string' && Object.keys(part).length === (part.thought === true ? 2 : 1);
}

export function createGeminiStreamEncoder(context: ClientContext, options: GeminiStreamOptions = { framing: 'sse' }): GeminiStreamEncoder {
  return new GeminiStreamEncoder(context, options);
}
