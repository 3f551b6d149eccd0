import { newId } from '../../core/ids.ts';
import type { StreamEvent } from '../../core/response.ts';
import { sameUsage, type TokenUsage } from '../../core/usage.ts';
import type { StreamDecoder, UpstreamMessage } from '../codec.ts';
import { inStreamError } from './errors.ts';
import { finishReasonFromOllama } from './map-finish-reason.ts';
import { outputOf } from './shape.ts';
import { unixSeconds } from './time.ts';
import { toolCallFromOllama } from './tools.ts';
import type { OllamaResponse, OllamaToolCall } from './types.ts';
import { tokenUsageFromOllama } from './usage.ts';
import { parseJsonRecord } from '../../core/json.ts';

/**
 * Ollama NDJSON lines (/api/chat `message`, or /api/generate `response`/`thinking`) →
 * canonical events. Thinking and content deltas open reasoning and text blocks as they
 * alternate; each tool call arrives whole and becomes a complete tool_call block. The
 * `done` line carries `done_reason` (before or after `done`, by server version) and counts.
 */
export class OllamaStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private open: { block: number; kind: 'text' | 'reasoning' } | undefined;
  private nextBlock = 0;
  private madeToolCalls = false;
  private doneReason: string | undefined;
  private lastUsage: TokenUsage | undefined;

  push(message: UpstreamMessage): StreamEvent[] {
    if (this.finished) return [];
    const line = parseLine(message.data);
    const events = this.start(line);
    if (typeof line.error === 'string') {
      // Nothing follows an error, not even the end of the open block.
      this.finished = true;
      return [...events, { type: 'error', error: inStreamError(line.error) }];
    }
    const output = outputOf(line);
    if (output.thinking !== '') events.push(...this.delta('reasoning', output.thinking));
    if (output.content !== '') events.push(...this.delta('text', output.content));
    for (const call of output.toolCalls) events.push(...this.toolCall(call));
    this.doneReason = line.done_reason ?? this.doneReason;
    if (line.done) events.push(...this.finish());
    const usage = tokenUsageFromOllama(line);
    if (usage && !sameUsage(this.lastUsage, usage)) events.push({ type: 'usage', usage: (this.lastUsage = usage) });
    return events;
  }

  /** A body that stops without a `done` line still gets its blocks closed and a finish. */
  end(): StreamEvent[] {
    return this.finished || !this.started ? [] : this.finish();
  }

  private start(line: OllamaResponse): StreamEvent[] {
    if (this.started) return [];
    this.started = true;
    // Ollama answers carry no id.
    return [{ type: 'start', id: newId('ollama-'), model: line.model ?? '', created: unixSeconds(line.created_at) }];
  }

  private delta(kind: 'text' | 'reasoning', text: string): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (this.open?.kind !== kind) {
      events.push(...this.closeOpen());
      this.open = { block: this.nextBlock++, kind };
      events.push({ type: 'block_start', choice: 0, block: this.open.block, kind });
    }
    events.push(kind === 'text' ? { type: 'text', choice: 0, block: this.open.block, text } : { type: 'reasoning', choice: 0, block: this.open.block, text });
    return events;
  }

  private toolCall(wire: OllamaToolCall): StreamEvent[] {
    const call = toolCallFromOllama(wire, newId('call_'));
    const block = this.nextBlock++;
    this.madeToolCalls = true;
    return [
      ...this.closeOpen(),
      { type: 'block_start', choice: 0, block, kind: 'tool_call', id: call.id, name: call.name },
      { type: 'tool_arguments', choice: 0, block, delta: call.arguments },
      { type: 'block_end', choice: 0, block },
    ];
  }

  private closeOpen(): StreamEvent[] {
    if (!this.open) return [];
    const block = this.open.block;
    this.open = undefined;
    return [{ type: 'block_end', choice: 0, block }];
  }

  private finish(): StreamEvent[] {
    this.finished = true;
    return [...this.closeOpen(), { type: 'finish', choice: 0, reason: finishReasonFromOllama(this.doneReason, this.madeToolCalls) }];
  }
}

/** A line that is not a JSON object is reported like Ollama's own `{"error"}` lines. */
function parseLine(data: string): OllamaResponse {
  return (
    (parseJsonRecord(data) as OllamaResponse | undefined) ?? { error: `Ollama sent a stream line that is not a JSON object: ${data.slice(0, 200)}` }
  );
}

