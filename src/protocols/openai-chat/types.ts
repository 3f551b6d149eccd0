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
