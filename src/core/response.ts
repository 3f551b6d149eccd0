import type { ProxyError } from './errors.ts';
import type { ReasoningPart, ReasoningSignature, TextPart, ToolCallPart } from './request.ts';
import type { TokenUsage } from './usage.ts';

/** Why generation ended, in one vocabulary for all protocols. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';

/** The canonical non-streaming answer. */
export interface CanonicalResponse {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  choices: CanonicalChoice[];
  usage?: TokenUsage;
}

export interface CanonicalChoice {
  index: number;
  /** Assistant output in order: reasoning, text and tool calls. */
  content: Array<TextPart | ReasoningPart | ToolCallPart>;
  finishReason: FinishReason;
  /** The stop sequence that ended generation, when the upstream says which. */
  stopSequence?: string;
  /** OpenAI's refusal text, kept apart from content. */
  refusal?: string;
}

export type BlockKind = 'text' | 'reasoning' | 'redacted_reasoning' | 'tool_call';

/**
 * The canonical stream. Output is a sequence of blocks per choice (like Anthropic's
 * content blocks and the Vercel AI SDK's stream parts): a block starts, receives
 * deltas, ends. Block numbers are unique within a choice and increase in start order.
 * Several tool_call blocks may be open at once (OpenAI interleaves parallel calls);
 * encoders whose protocol needs one block at a time hold the later ones back.
 */
export type StreamEvent =
  | { type: 'start'; id: string; model: string; created: number }
  | { type: 'block_start'; choice: number; block: number; kind: 'text' | 'reasoning' }
  | { type: 'block_start'; choice: number; block: number; kind: 'redacted_reasoning'; data: string }
  | { type: 'block_start'; choice: number; block: number; kind: 'tool_call'; id: string; name: string }
  | { type: 'text'; choice: number; block: number; text: string }
  | { type: 'reasoning'; choice: number; block: number; text: string }
  | { type: 'tool_arguments'; choice: number; block: number; delta: string }
  /** A signature for a reasoning or tool_call block; may arrive after the block's text. */
  | { type: 'signature'; choice: number; block: number; signature: ReasoningSignature }
  | { type: 'refusal'; choice: number; text: string }
  | { type: 'block_end'; choice: number; block: number }
  | { type: 'finish'; choice: number; reason: FinishReason; stopSequence?: string }
  /** Usage so far, cumulative: the last one is the total. */
  | { type: 'usage'; usage: TokenUsage }
  /** The upstream failed mid-stream; nothing follows but the end of the stream. */
  | { type: 'error'; error: ProxyError };
