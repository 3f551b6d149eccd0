import type { Protocol } from './protocol.ts';

/**
 * The canonical request: what every inbound codec decodes to and every outbound codec
 * encodes from. It keeps the union of what the five protocols can express; a codec
 * drops (or rejects with a 400) what its protocol cannot carry.
 */
export interface CanonicalRequest {
  /** The model name the upstream should receive (routing already applied). */
  model: string;
  /** System prompt blocks, in order (OpenAI system/developer messages, Anthropic system, Gemini systemInstruction). */
  system: TextPart[];
  messages: Message[];
  stream: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  /** Number of choices; only OpenAI Chat (n) and Gemini (candidateCount) support more than one. */
  n?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  reasoning?: ReasoningConfig;
  /** A stable end-user id (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
}

export type Role = 'user' | 'assistant';

/**
 * One turn. Tool results are parts of a user turn (as in Anthropic and Gemini); the
 * OpenAI codecs split them into `tool` messages and back.
 */
export interface Message {
  role: Role;
  content: Part[];
}

export type Part = TextPart | ImagePart | ToolCallPart | ToolResultPart | ReasoningPart;

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image';
  source: { kind: 'url'; url: string } | { kind: 'base64'; mediaType: string; data: string };
}

export interface ToolCallPart {
  type: 'tool_call';
  /** Stable across turns; generated where the upstream gives none (Gemini, Ollama). */
  id: string;
  name: string;
  /** The arguments as JSON text, exactly as the model produced them. */
  arguments: string;
  /** Gemini's thoughtSignature on a functionCall part, carried back byte-exact. */
  signature?: ReasoningSignature;
}

export interface ToolResultPart {
  type: 'tool_result';
  toolCallId: string;
  /** The called function's name (Gemini's functionResponse needs it). */
  name: string;
  content: Array<TextPart | ImagePart>;
  isError?: boolean;
}

/**
 * Model reasoning in the history. `text` is the visible thinking/summary; `redacted`
 * holds Anthropic's encrypted redacted_thinking data. A signature is only valid for
 * the protocol that issued it: codecs drop reasoning whose signature another provider
 * made, and unsigned reasoning where the target requires a signature.
 */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: ReasoningSignature;
  redacted?: string;
}

export interface ReasoningSignature {
  /** Which protocol issued it, so it is only ever sent back to the same kind of upstream. */
  protocol: Protocol;
  value: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';

/**
 * Reasoning as the client asked for it. Either an effort (OpenAI) or a token budget
 * (Anthropic, Gemini 2.5) or both; `src/core/reasoning.ts` converts between them.
 */
export interface ReasoningConfig {
  effort?: ReasoningEffort;
  budgetTokens?: number;
  /** Whether the client wants reasoning text in the answer (Gemini includeThoughts, Responses summary). */
  includeThoughts?: boolean;
}
