import type { FinishReason, StreamEvent } from '../../core/response.ts';
import type { ToolCallPart } from '../../core/request.ts';
import type { TokenUsage } from '../../core/usage.ts';
import type { ClientContext, StreamEncoder } from '../codec.ts';
import { ollamaErrorLine } from './errors.ts';
import { doneReasonFromFinish } from './map-finish-reason.ts';
import { outputFields, type OllamaEndpoint, type Output } from './shape.ts';
import { createdAt } from './time.ts';
import { toolCallToOllama } from './tools.ts';
import type { OllamaResponse } from './types.ts';
import { ollamaStats, type Durations } from './usage.ts';

interface PendingCall {
  block: number;
  call: ToolCallPart;
  ended: boolean;
}

const NOTHING: Output = { content: '', thinking: '', toolCalls: [] };

/**
 * Canonical events → Ollama NDJSON lines of /api/chat or /api/generate. Text and thinking
 * go out as they come; a tool call goes out whole (Ollama's arguments are an object, not
 * JSON text) once it and every call started before it have ended. The `done` line waits
 * for end(): usage may follow the finish event. Durations are measured from the encoder's
 * creation, the closest this side of the proxy gets to Ollama's own timings.
 */
export class OllamaStreamEncoder implements StreamEncoder {
  readonly contentType = 'application/x-ndjson';
  private readonly pending: PendingCall[] = [];
  private sentCalls = 0;
  private finishReason: FinishReason | undefined;
  private usage: TokenUsage | undefined;
  private closed = false;
  private readonly startedAt = performance.now();
  private firstOutputAt: number | undefined;

  constructor(
    private readonly context: ClientContext,
    private readonly endpoint: OllamaEndpoint,
  ) {}

  encode(event: StreamEvent): string {
    // Ollama answers one choice; an error ends the stream and nothing may follow it.
    if (this.closed || ('choice' in event && event.choice !== 0)) return '';
    switch (event.type) {
      case 'text':
      case 'refusal':
        return this.line({ ...NOTHING, content: event.text });
      case 'reasoning':
        return this.line({ ...NOTHING, thinking: event.text });
      case 'block_start':
        if (event.kind === 'tool_call') {
          this.pending.push({ block: event.block, call: { type: 'tool_call', id: event.id, name: event.name, arguments: '' }, ended: false });
        }
        return '';
      case 'tool_arguments': {
        const pending = this.pending.find((entry) => entry.block === event.block);
        if (pending) pending.call.arguments += event.delta;
        return '';
      }
      case 'block_end': {
        const pending = this.pending.find((entry) => entry.block === event.block);
        if (pending) pending.ended = true;
        return this.sendEndedCalls();
      }
      case 'finish':
        this.finishReason = event.reason;
        return '';
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'error':
        this.closed = true;
        return ollamaErrorLine(event.error);
      default:
        return '';
    }
  }

  end(): string {
    if (this.closed) return '';
    this.closed = true;
    for (const entry of this.pending) entry.ended = true;
    return this.sendEndedCalls() + this.doneLine();
  }

  /** The ended calls at the head of the queue, in start order, in one line. */
  private sendEndedCalls(): string {
    const ready: ToolCallPart[] = [];
    while (this.pending[0]?.ended) ready.push(this.pending.shift()!.call);
    return this.line({ ...NOTHING, toolCalls: ready.map((call) => toolCallToOllama(call, this.sentCalls++)) });
  }

  private line(output: Output): string {
    if (output.content === '' && output.thinking === '' && output.toolCalls.length === 0) return '';
    this.firstOutputAt ??= performance.now();
    return this.serialize({ ...outputFields(this.endpoint, output), done: false });
  }

  private doneLine(): string {
    return this.serialize({
      ...outputFields(this.endpoint, NOTHING),
      done: true,
      done_reason: doneReasonFromFinish(this.finishReason),
      ...ollamaStats(this.usage, this.durations()),
    });
  }

  private durations(): Durations {
    const now = performance.now();
    const firstOutput = this.firstOutputAt ?? now;
    return { total: nanoseconds(now - this.startedAt), promptEval: nanoseconds(firstOutput - this.startedAt), eval: nanoseconds(now - firstOutput) };
  }

  private serialize(fields: OllamaResponse): string {
    return `${JSON.stringify({ model: this.context.model, created_at: createdAt(Date.now()), ...fields })}\n`;
  }
}

function nanoseconds(ms: number): number {
  return Math.round(ms * 1e6);
}
