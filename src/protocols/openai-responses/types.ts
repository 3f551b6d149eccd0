/**
 * The parts of the OpenAI Responses wire format llm-mux reads and writes. What we read
 * from clients and upstreams is typed loosely (every field optional); what we write is
 * typed exactly.
 */

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface ResponsesUsage {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number } | null;
  total_tokens?: number;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------
// Output items, as we write them (responses and stream events).

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
}

export interface OutputRefusal {
  type: 'refusal';
  refusal: string;
}

export interface SummaryText {
  type: 'summary_text';
  text: string;
}

export interface MessageItem {
  type: 'message';
  id: string;
  role: 'assistant';
  status: ItemStatus;
  content: Array<OutputText | OutputRefusal>;
}

export interface ReasoningItem {
  type: 'reasoning';
  id: string;
  summary: SummaryText[];
  encrypted_content?: string;
}

export interface FunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

export type OutputItem = MessageItem | ReasoningItem | FunctionCallItem;

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: null;
  metadata: Record<string, string>;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  temperature: null;
  tool_choice: 'auto';
  tools: [];
  top_p: null;
  /** Absent until the response has finished (the spec does not allow null). */
  usage?: UsageObject;
}

export interface UsageObject {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

// ---------------------------------------------------------------------------------------
// Request bodies, as we write them upstream.

export type InputContent = { type: 'input_text'; text: string } | { type: 'input_image'; image_url: string; detail: 'auto' };

/** A conversation turn: input_text/input_image parts for the user, output_text for the assistant. */
export interface InputMessage {
  type: 'message';
  role: 'user' | 'assistant';
  content: Array<InputContent | OutputText>;
}

export type InputItem =
  | InputMessage
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string | InputContent[] }
  | { type: 'reasoning'; id: string; summary: SummaryText[]; encrypted_content: string };

export interface FunctionTool {
  type: 'function';
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict: boolean;
}

export type ToolChoiceWire = 'auto' | 'none' | 'required' | { type: 'function'; name: string };

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

// ---------------------------------------------------------------------------------------
// What we read from upstream responses and stream events.

export interface WireContentPart {
  type?: string;
  text?: string;
  refusal?: string;
}

export interface WireOutputItem {
  type?: string;
  id?: string;
  role?: string;
  content?: WireContentPart[] | null;
  summary?: WireContentPart[] | null;
  encrypted_content?: string | null;
  call_id?: string;
  name?: string;
  arguments?: string;
}

export interface WireError {
  code?: string | null;
  message?: string;
  type?: string;
  param?: string | null;
}

export interface WireResponse {
  id?: string;
  model?: string;
  created_at?: number;
  status?: string;
  output?: WireOutputItem[];
  usage?: ResponsesUsage | null;
  error?: WireError | null;
  incomplete_details?: { reason?: string } | null;
}

/** One stream event: the fields of every event type we read, all optional. */
export interface WireStreamEvent {
  type?: string;
  response?: WireResponse;
  item?: WireOutputItem;
  output_index?: number;
  content_index?: number;
  summary_index?: number;
  delta?: string;
  text?: string;
  arguments?: string;
  /** api.openai.com nests the error object; the published spec puts code/message at the top. */
  error?: WireError;
  code?: string | null;
  message?: string;
}
