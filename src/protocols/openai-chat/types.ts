/**
 * The parts of the OpenAI Chat Completions wire format llm-mux reads. Fields it only
 * passes through are left to `[key: string]: unknown`.
 */

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  [key: string]: unknown;
}

export interface ChatToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

export interface ChatChunkChoice {
  index: number;
  delta?: {
    role?: string;
    content?: string | null;
    refusal?: string | null;
    reasoning_content?: string | null;
    reasoning?: string | null;
    tool_calls?: ChatToolCallDelta[];
    [key: string]: unknown;
  };
  finish_reason?: string | null;
  logprobs?: { content?: unknown[] | null; refusal?: unknown[] | null } | null;
}

export interface ChatCompletionChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  choices?: ChatChunkChoice[];
  usage?: ChatUsage | null;
  error?: { message?: string; code?: unknown; type?: string; [key: string]: unknown };
}

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatCompletionChoice {
  index: number;
  message: {
    role: 'assistant';
    content: string | null;
    refusal: string | null;
    reasoning_content?: string;
    tool_calls?: ChatToolCall[];
  };
  finish_reason: string | null;
  logprobs: { content: unknown[] | null; refusal: unknown[] | null } | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  choices: ChatCompletionChoice[];
  usage?: ChatUsage;
}

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: string;
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  reasoning_content?: string | null;
  refusal?: string | null;
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** The sampling and length parameters Chat and legacy Completions requests share. */
export interface OpenAISampling {
  model?: unknown;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  user?: string;
}

export interface ChatRequest extends OpenAISampling {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  response_format?:
    | { type: 'text' | 'json_object' }
    | { type: 'json_schema'; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean | null; description?: string } };
  reasoning_effort?: string | null;
  /** Not OpenAI's, but clients send it (llm-mux's own docs show it): an Anthropic-style budget. */
  thinking?: { type: 'enabled' | 'disabled'; budget_tokens?: number };
}
