import { z } from 'zod';

/**
 * The subset of Anthropic's Messages API llm-mux reads and writes (shapes follow
 * @anthropic-ai/sdk). Requests come from clients, so they are zod schemas that validate
 * as they parse; answers and stream events are plain types. Fields llm-mux does not read
 * are accepted and left out of the parsed request (z.object strips them: cheaper than
 * carrying them along, and nothing translated needs them).
 */

/** String content is shorthand for one text block: parse both as blocks. */
const textAsBlocks = (value: unknown) => (typeof value === 'string' ? [{ type: 'text', text: value }] : value);

const textBlock = z.object({ type: z.literal('text'), text: z.string() });

const imageBlock = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) }),
      z.object({ type: z.literal('url'), url: z.string().min(1) }),
    ],
    { error: 'expected a base64 or url image source (file sources cannot be translated)' },
  ),
});

const toolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});

const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z
    .preprocess(
      textAsBlocks,
      z.array(z.discriminatedUnion('type', [textBlock, imageBlock], { error: 'tool_result content must be text or image blocks' })),
    )
    .optional(),
  is_error: z.boolean().optional(),
});

const thinkingBlock = z.object({
  type: z.literal('thinking'),
  thinking: z.string(),
  // Anthropic requires it; llm-mux also accepts reasoning it cannot verify (and drops it upstream).
  signature: z.string().optional(),
});

const redactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string().min(1) });

/**
 * Blocks recording Anthropic's own server tools (web search, code execution…). Only
 * Anthropic can run or replay them, so they are read and then left out of the canonical turn.
 */
const SERVER_TOOL_BLOCK_TYPES = [
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'container_upload',
] as const;

const serverToolBlock = z.object({ type: z.enum(SERVER_TOOL_BLOCK_TYPES) });

const contentBlock = z.discriminatedUnion(
  'type',
  [textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock, serverToolBlock],
  { error: 'unsupported content block: llm-mux translates text, image, tool_use, tool_result, thinking and redacted_thinking' },
);

const messageParam = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.preprocess(textAsBlocks, z.array(contentBlock)),
});

const tool = z.object({
  type: z
    .literal('custom', { error: 'only custom tools (name + input_schema) can be translated, not Anthropic server tools' })
    .nullish(),
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  strict: z.boolean().optional(),
});

const disableParallel = { disable_parallel_tool_use: z.boolean().optional() };

const toolChoice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), ...disableParallel }),
  z.object({ type: z.literal('any'), ...disableParallel }),
  z.object({ type: z.literal('tool'), name: z.string().min(1), ...disableParallel }),
  z.object({ type: z.literal('none') }),
]);

const thinkingDisplay = { display: z.enum(['summarized', 'omitted']).nullish() };

const thinkingConfig = z.discriminatedUnion('type', [
  z.object({ type: z.literal('enabled'), budget_tokens: z.int().min(0), ...thinkingDisplay }),
  z.object({ type: z.literal('disabled') }),
  z.object({ type: z.literal('adaptive'), ...thinkingDisplay }),
]);

const outputConfig = z.object({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  format: z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

export const anthropicRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(messageParam).min(1, 'at least one message is required'),
  max_tokens: z
    .int({ error: (issue) => (issue.input === undefined ? 'required: the Anthropic Messages API has no default maximum' : undefined) })
    .min(0),
  system: z.preprocess(textAsBlocks, z.array(textBlock)).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().min(0).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinkingConfig.optional(),
  output_config: outputConfig.optional(),
  metadata: z.object({ user_id: z.string().nullish() }).optional(),
  stream: z.boolean().optional(),
});

export type AnthropicRequest = z.infer<typeof anthropicRequestSchema>;
export type AnthropicMessageParam = z.infer<typeof messageParam>;
export type AnthropicContentBlock = z.infer<typeof contentBlock>;
export type AnthropicTextBlock = z.infer<typeof textBlock>;
export type AnthropicImageBlock = z.infer<typeof imageBlock>;
export type AnthropicToolResultBlock = z.infer<typeof toolResultBlock>;
export type AnthropicTool = z.infer<typeof tool>;
export type AnthropicToolChoice = z.infer<typeof toolChoice>;
export type AnthropicThinkingConfig = z.infer<typeof thinkingConfig>;
export type AnthropicOutputConfig = z.infer<typeof outputConfig>;

export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/** Token counts. In a stream, later objects are cumulative and leave out what does not apply. */
export interface AnthropicUsage {
  /** Uncached input only: cache reads and writes are counted apart. */
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number } | null;
}

/** A block of an assistant answer (`Message.content`, `content_block_start`). */
export type AnthropicOutputBlock =
  | { type: 'text'; text: string; citations?: unknown[] | null }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicOutputBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export type AnthropicDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'citations_delta'; citation: unknown };

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | { type: 'content_block_start'; index: number; content_block: AnthropicOutputBlock }
  | { type: 'content_block_delta'; index: number; delta: AnthropicDelta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null };
      usage: AnthropicUsage;
    }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | AnthropicErrorBody;
