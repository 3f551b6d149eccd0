import type { ProxyError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { ReasoningSignature } from '../../core/request.ts';
import type { FinishReason, StreamEvent } from '../../core/response.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { ClientContext, StreamEncoder } from '../codec.ts';
import { errorEventFields } from './errors.ts';
import { responseStatus } from './map-finish-reason.ts';
import { functionCallItem, messageItem, outputRefusal, outputText, reasoningItem, signatureCarrierItem } from './output-items.ts';
import { type ResponseHead, responseId, responseObject } from './response-object.ts';
import { reasoningHandle } from './signature.ts';
import type { OutputItem } from './types.ts';

/** An output item whose block is still open. */
type OpenItem =
  | { kind: 'text'; outputIndex: number; itemId: string; text: string }
  | { kind: 'refusal'; outputIndex: number; itemId: string; refusal: string }
  | { kind: 'reasoning'; outputIndex: number; itemId: string; text: string; signature?: ReasoningSignature }
  | { kind: 'tool_call'; outputIndex: number; itemId: string; callId: string; name: string; arguments: string };

/** A block waiting for its signature before it is announced (see ResponsesStreamEncoder.pending). */
type Pending = { block: number; signature?: ReasoningSignature } & ({ kind: 'reasoning' } | { kind: 'tool_call'; callId: string; name: string });

type NewItem = OpenItem extends infer Item ? (Item extends OpenItem ? Omit<Item, 'outputIndex'> : never) : never;

/** Refusals have no block of their own: they fill one message item, kept under this key. */
const REFUSAL = 'refusal';

const FINAL_EVENT = { completed: 'response.completed', incomplete: 'response.incomplete', failed: 'response.failed' } as const;

/**
 * Canonical events → Responses typed SSE (`event: <type>` + JSON with `sequence_number`).
 * Each block is one output item; items are addressed by output_index, so several may be
 * open at once (the SDK files events by index). A canonical choice other than 0 has no
 * place in a Response and is dropped, as are Anthropic redacted_reasoning blocks.
 */
export function createResponsesStreamEncoder(context: ClientContext): StreamEncoder {
  return new ResponsesStreamEncoder(context);
}

class ResponsesStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream';
  private frames: string[] = [];
  private sequence = 0;
  private head?: ResponseHead;
  /** Every item announced, by output_index: its final form once its block ended. */
  private readonly output: OutputItem[] = [];
  private readonly open = new Map<number | typeof REFUSAL, OpenItem>();
  /** Where each block's item sits, for signatures that arrive after their block ended. */
  private readonly outputIndexByBlock = new Map<number, number>();
  /**
   * A reasoning or tool_call block not announced yet. A Responses upstream names its
   * reasoning item in a signature right after block_start, and a Gemini upstream signs a
   * functionCall there; waiting for it (never longer than the next event) lets the client
   * see the id the encrypted content is bound to, and puts a call's signature in a
   * reasoning item before the call. A signature for a call that comes later is dropped:
   * the call is on the wire, and an item cannot be put before it any more.
   */
  private pending?: Pending;
  private finishReason?: FinishReason;
  private usage?: TokenUsage;
  private madeToolCalls = false;
  private ended = false;

  constructor(private readonly context: ClientContext) {}

  encode(event: StreamEvent): string {
    if (this.ended || ('choice' in event && event.choice !== 0)) return '';
    if (event.type === 'start') {
      this.begin(event.id, event.created);
      return this.drain();
    }
    this.beginUnannounced();
    if (!(event.type === 'signature' && event.block === this.pending?.block)) this.announcePending();
    this.handle(event);
    return this.drain();
  }

  end(): string {
    if (this.ended) return '';
    this.beginUnannounced();
    this.announcePending();
    for (const key of [...this.open.keys()]) this.close(key);
    const reason = this.finishReason ?? (this.madeToolCalls ? 'tool_calls' : 'stop');
    const response = responseObject(this.head!, { type: 'finished', reason }, this.output, this.usage);
    this.send(FINAL_EVENT[responseStatus(reason).status], { response });
    this.ended = true;
    return this.drain();
  }

  private handle(event: Exclude<StreamEvent, { type: 'start' }>): void {
    switch (event.type) {
      case 'block_start':
        return this.startBlock(event);
      case 'text':
        return this.appendText(event.block, event.text);
      case 'reasoning':
        return this.appendReasoning(event.block, event.text);
      case 'tool_arguments':
        return this.appendArguments(event.block, event.delta);
      case 'refusal':
        return this.appendRefusal(event.text);
      case 'signature':
        return this.sign(event.block, event.signature);
      case 'block_end':
        return this.close(event.block);
      case 'finish':
        this.finishReason = event.reason;
        return;
      case 'usage':
        this.usage = event.usage;
        return;
      case 'error':
        return this.fail(event.error);
    }
  }

  private begin(id: string, created: number): void {
    if (this.head) return;
    this.head = { id: responseId(id), model: this.context.model, createdAt: created };
    const response = responseObject(this.head, { type: 'in_progress' }, [], undefined);
    this.send('response.created', { response });
    this.send('response.in_progress', { response });
  }

  /** A stream whose start event never came still opens with response.created. */
  private beginUnannounced(): void {
    if (!this.head) this.begin(newId('resp_'), Math.floor(Date.now() / 1000));
  }

  private startBlock(event: Extract<StreamEvent, { type: 'block_start' }>): void {
    switch (event.kind) {
      case 'text': {
        const item = this.announce(event.block, { kind: 'text', itemId: newId('msg_'), text: '' });
        this.send('response.content_part.added', { ...itemRef(item), content_index: 0, part: outputText('') });
        return;
      }
      case 'reasoning':
        this.pending = { kind: 'reasoning', block: event.block };
        return;
      case 'tool_call':
        this.madeToolCalls = true;
        this.pending = { kind: 'tool_call', block: event.block, callId: event.id, name: event.name };
        return;
      case 'redacted_reasoning':
        return;
    }
  }

  private announcePending(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const { block, signature } = pending;
    if (pending.kind === 'reasoning') {
      const itemId = reasoningHandle(signature)?.id ?? newId('rs_');
      this.announce(block, { kind: 'reasoning', itemId, text: '', signature });
      return;
    }
    if (signature) this.carrySignature(signature);
    this.announce(block, { kind: 'tool_call', itemId: newId('fc_'), callId: pending.callId, name: pending.name, arguments: '' });
  }

  /** A call's signature as an empty reasoning item of its own, added and done at once. */
  private carrySignature(signature: ReasoningSignature): void {
    const item = signatureCarrierItem(newId('rs_'), signature);
    const outputIndex = this.output.length;
    this.output.push(item);
    this.send('response.output_item.added', { output_index: outputIndex, item });
    this.send('response.output_item.done', { output_index: outputIndex, item });
  }

  /** Opens an item: `response.output_item.added` at the next output_index. */
  private announce<T extends NewItem>(key: number | typeof REFUSAL, fields: T): T & { outputIndex: number } {
    const item = { ...fields, outputIndex: this.output.length };
    const wire = inProgressItem(item as OpenItem);
    this.output.push(wire);
    this.open.set(key, item as OpenItem);
    if (key !== REFUSAL) this.outputIndexByBlock.set(key, item.outputIndex);
    this.send('response.output_item.added', { output_index: item.outputIndex, item: wire });
    return item;
  }

  private appendText(block: number, text: string): void {
    const item = this.open.get(block);
    if (item?.kind !== 'text' || text === '') return;
    item.text += text;
    this.send('response.output_text.delta', { ...itemRef(item), content_index: 0, delta: text, logprobs: [] });
  }

  private appendReasoning(block: number, text: string): void {
    const item = this.open.get(block);
    if (item?.kind !== 'reasoning' || text === '') return;
    // One summary part per reasoning item, opened by its first text.
    if (item.text === '') this.send('response.reasoning_summary_part.added', { ...itemRef(item), summary_index: 0, part: summaryPart('') });
    item.text += text;
    this.send('response.reasoning_summary_text.delta', { ...itemRef(item), summary_index: 0, delta: text });
  }

  private appendArguments(block: number, delta: string): void {
    const item = this.open.get(block);
    if (item?.kind !== 'tool_call' || delta === '') return;
    item.arguments += delta;
    this.send('response.function_call_arguments.delta', { ...itemRef(item), delta });
  }

  private appendRefusal(text: string): void {
    let item = this.open.get(REFUSAL);
    if (item?.kind !== 'refusal') {
      item = this.announce(REFUSAL, { kind: 'refusal', itemId: newId('msg_'), refusal: '' });
      this.send('response.content_part.added', { ...itemRef(item), content_index: 0, part: outputRefusal('') });
    }
    item.refusal += text;
    this.send('response.refusal.delta', { ...itemRef(item), content_index: 0, delta: text });
  }

  private sign(block: number, signature: ReasoningSignature): void {
    if (this.pending?.block === block) {
      this.pending.signature = signature;
      return;
    }
    const item = this.open.get(block);
    if (item?.kind === 'reasoning') {
      item.signature = signature;
      return;
    }
    // After its block ended: the item is final already, but response.completed carries it.
    const index = this.outputIndexByBlock.get(block);
    const done = index === undefined ? undefined : this.output[index];
    if (index !== undefined && done?.type === 'reasoning') {
      this.output[index] = reasoningItem(done.id, done.summary[0]?.text ?? '', signature);
    }
  }

  /** Closes an item: its `.done` events, then `response.output_item.done` with the final item. */
  private close(key: number | typeof REFUSAL): void {
    const item = this.open.get(key);
    if (!item) return;
    this.open.delete(key);
    const ref = itemRef(item);
    switch (item.kind) {
      case 'text':
        this.send('response.output_text.done', { ...ref, content_index: 0, text: item.text, logprobs: [] });
        this.send('response.content_part.done', { ...ref, content_index: 0, part: outputText(item.text) });
        break;
      case 'refusal':
        this.send('response.refusal.done', { ...ref, content_index: 0, refusal: item.refusal });
        this.send('response.content_part.done', { ...ref, content_index: 0, part: outputRefusal(item.refusal) });
        break;
      case 'reasoning':
        if (item.text === '') break;
        this.send('response.reasoning_summary_text.done', { ...ref, summary_index: 0, text: item.text });
        this.send('response.reasoning_summary_part.done', { ...ref, summary_index: 0, part: summaryPart(item.text) });
        break;
      case 'tool_call':
        this.send('response.function_call_arguments.done', { ...ref, name: item.name, arguments: item.arguments });
        break;
    }
    const final = finalItem(item);
    this.output[item.outputIndex] = final;
    this.send('response.output_item.done', { output_index: item.outputIndex, item: final });
  }

  /** As api.openai.com does: an `error` event (the SDKs throw on it), then `response.failed`. */
  private fail(error: ProxyError): void {
    this.send('error', errorEventFields(error));
    this.send('response.failed', { response: responseObject(this.head!, { type: 'failed', error }, this.output, this.usage) });
    this.ended = true;
  }

  private send(type: string, fields: Record<string, unknown>): void {
    const data = JSON.stringify({ type, ...fields, sequence_number: this.sequence++ });
    this.frames.push(`event: ${type}\ndata: ${data}\n\n`);
  }

  private drain(): string {
    const text = this.frames.join('');
    this.frames = [];
    return text;
  }
}

function itemRef(item: OpenItem): { item_id: string; output_index: number } {
  return { item_id: item.itemId, output_index: item.outputIndex };
}

function summaryPart(text: string) {
  return { type: 'summary_text', text } as const;
}

function inProgressItem(item: OpenItem): OutputItem {
  switch (item.kind) {
    case 'text':
    case 'refusal':
      return messageItem(item.itemId, [], 'in_progress');
    case 'reasoning':
      return reasoningItem(item.itemId, '', item.signature);
    case 'tool_call':
      return functionCallItem(item.itemId, { id: item.callId, name: item.name, arguments: '' }, 'in_progress');
  }
}

function finalItem(item: OpenItem): OutputItem {
  switch (item.kind) {
    case 'text':
      return messageItem(item.itemId, [outputText(item.text)], 'completed');
    case 'refusal':
      return messageItem(item.itemId, [outputRefusal(item.refusal)], 'completed');
    case 'reasoning':
      return reasoningItem(item.itemId, item.text, item.signature);
    case 'tool_call':
      return functionCallItem(item.itemId, { id: item.callId, name: item.name, arguments: item.arguments }, 'completed');
  }
}
