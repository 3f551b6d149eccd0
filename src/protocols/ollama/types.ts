/**
 * The parts of Ollama's native API (/api/chat, /api/generate) llm-mux reads and writes.
 * Field names are the wire's own (snake_case).
 */

export interface OllamaToolCall {
  /** Ollama ≥ 0.12 names its calls; older servers and most clients send none. */
  id?: string;
  function: {
    index?: number;
    name: string;
    /** A JSON object on the wire (not JSON text as in OpenAI). */
    arguments?: Record<string, unknown>;
  };
}

export interface OllamaMessage {
  role: string;
  content: string;
  thinking?: string;
  /** Base64 without a `data:` prefix. */
  images?: string[];
  tool_calls?: OllamaToolCall[];
  /** On role `tool`: the function that produced this result. */
  tool_name?: string;
  /** On role `tool`: the call it answers (newer servers; older ones ignore it). */
  tool_call_id?: string;
}

export interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export type OllamaThink = boolean | 'low' | 'medium' | 'high' | 'max';

export type OllamaFormat = 'json' | Record<string, unknown>;

/** The `options` llm-mux maps; Ollama has many more (num_ctx, mirostat…), which have no canonical slot. */
export interface OllamaOptions {
  num_predict?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

/** POST /api/chat. */
export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: OllamaTool[];
  format?: OllamaFormat;
  options?: OllamaOptions;
  think?: OllamaThink;
}

/** Counts and timings (nanoseconds) on the last line of an answer. */
export interface OllamaStats {
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/**
 * A whole answer or one stream line, of /api/chat (output in `message`) or /api/generate
 * (output in `response` and `thinking`). A failure mid-stream is a line with only `error`.
 */
export interface OllamaResponse extends OllamaStats {
  model?: string;
  created_at?: string;
  message?: Partial<OllamaMessage>;
  response?: string;
  thinking?: string;
  done?: boolean;
  done_reason?: string;
  error?: string;
}
