import { ProxyError } from '../../core/errors.ts';
import type {
  CanonicalRequest,
  ImagePart,
  Message,
  Part,
  ReasoningConfig,
  ReasoningEffort,
  ResponseFormat,
  Role,
  TextPart,
  ToolDefinition,
  ToolResultPart,
} from '../../core/request.ts';
import type { ClientContext } from '../codec.ts';
import { reasoningFromBlock, toolCallFromBlock } from './blocks.ts';
import { signatureFromClient } from './signature.ts';
import {
  anthropicRequestSchema,
  type AnthropicContentBlock,
  type AnthropicImageBlock,
  type AnthropicMessageParam,
  type AnthropicOutputConfig,
  type AnthropicRequest,
  type AnthropicTextBlock,
  type AnthropicThinkingConfig,
  type AnthropicTool,
  type AnthropicToolChoice,
  type AnthropicToolResultBlock,
} from './types.ts';

/** A client's `POST /v1/messages` body → canonical. Throws ProxyError('invalid_request') naming the field. */
export function decodeRequest(body: unknown, _context: ClientContext): CanonicalRequest {
  const request = parseRequest(body);
  // tool_result blocks carry only the id; the name comes from the tool_use that issued it.
  const toolNames = new Map<string, string>();
  return {
    model: request.model,
    system: (request.system ?? []).map(textPart),
    messages: request.messages.map((message, index) => decodeMessage(message, `messages.${index}`, toolNames)),
    stream: request.stream ?? false,
    maxTokens: request.max_tokens,
    temperature: request.temperature,
    topP: request.top_p,
    topK: request.top_k,
    stop: request.stop_sequences,
    tools: request.tools?.map(toolDefinition),
    ...toolChoiceFrom(request.tool_choice),
    responseFormat: responseFormatFrom(request.output_config),
    reasoning: reasoningFrom(request.thinking, request.output_config),
    user: request.metadata?.user_id ?? undefined,
  };
}

function parseRequest(body: unknown): AnthropicRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProxyError('invalid_request', 'The request body must be a JSON object (an Anthropic Messages request).');
  }
  const result = anthropicRequestSchema.safeParse(body, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  return invalid(issue.path.join('.'), issue.message);
}

function invalid(param: string, message: string): never {
  throw new ProxyError('invalid_request', `${param}: ${message}`, { param });
}

/** Blocks Anthropic accepts in one role only. */
const ROLE_OF_BLOCK: Partial<Record<AnthropicContentBlock['type'], Role>> = {
  tool_use: 'assistant',
  thinking: 'assistant',
  redacted_thinking: 'assistant',
  tool_result: 'user',
};

function decodeMessage(message: AnthropicMessageParam, path: string, toolNames: Map<string, string>): Message {
  const content = message.content.flatMap((block, index) => {
    const where = `${path}.content.${index}`;
    const role = ROLE_OF_BLOCK[block.type];
    if (role && role !== message.role) invalid(where, `${block.type} blocks belong in ${role} messages`);
    return decodeBlock(block, where, toolNames);
  });
  return { role: message.role, content };
}

function decodeBlock(block: AnthropicContentBlock, where: string, toolNames: Map<string, string>): Part[] {
  switch (block.type) {
    case 'text':
      return [textPart(block)];
    case 'image':
      return [imagePart(block)];
    case 'tool_use':
      toolNames.set(block.id, block.name);
      return [toolCallFromBlock(block)];
    case 'tool_result':
      return [toolResultPart(block, where, toolNames)];
    case 'thinking':
    case 'redacted_thinking':
      return [reasoningFromBlock(block, signatureFromClient)];
    default:
      // Server tool blocks (SERVER_TOOL_BLOCK_TYPES): only Anthropic can replay them.
      return [];
  }
}

function textPart(block: AnthropicTextBlock): TextPart {
  return { type: 'text', text: block.text };
}

function imagePart({ source }: AnthropicImageBlock): ImagePart {
  return {
    type: 'image',
    source:
      source.type === 'base64'
        ? { kind: 'base64', mediaType: source.media_type, data: source.data }
        : { kind: 'url', url: source.url },
  };
}

function toolResultPart(block: AnthropicToolResultBlock, where: string, toolNames: Map<string, string>): ToolResultPart {
  const name =
    toolNames.get(block.tool_use_id) ??
    invalid(`${where}.tool_use_id`, `no earlier tool_use block has the id "${block.tool_use_id}"`);
  return {
    type: 'tool_result',
    toolCallId: block.tool_use_id,
    name,
    content: (block.content ?? []).map((part) => (part.type === 'text' ? textPart(part) : imagePart(part))),
    isError: block.is_error,
  };
}

function toolDefinition(tool: AnthropicTool): ToolDefinition {
  return { name: tool.name, description: tool.description, parameters: tool.input_schema, strict: tool.strict };
}

function toolChoiceFrom(choice: AnthropicToolChoice | undefined): Pick<CanonicalRequest, 'toolChoice' | 'parallelToolCalls'> {
  const parallel = (disable: boolean | undefined) => (disable === undefined ? {} : { parallelToolCalls: !disable });
  switch (choice?.type) {
    case undefined:
      return {};
    case 'auto':
      return { toolChoice: { type: 'auto' }, ...parallel(choice.disable_parallel_tool_use) };
    case 'any':
      return { toolChoice: { type: 'required' }, ...parallel(choice.disable_parallel_tool_use) };
    case 'tool':
      return { toolChoice: { type: 'tool', name: choice.name }, ...parallel(choice.disable_parallel_tool_use) };
    case 'none':
      return { toolChoice: { type: 'none' } };
  }
}

/** Anthropic's structured outputs have no schema name; OpenAI-style upstreams need one. */
const SCHEMA_NAME = 'response';

function responseFormatFrom(output: AnthropicOutputConfig | undefined): ResponseFormat | undefined {
  // Anthropic always constrains decoding to the schema: strict.
  return output?.format ? { type: 'json_schema', name: SCHEMA_NAME, schema: output.format.schema, strict: true } : undefined;
}

/** Anthropic's effort levels above `high` have no canonical counterpart. */
const EFFORT: Record<NonNullable<AnthropicOutputConfig['effort']>, ReasoningEffort> = {
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

function reasoningFrom(
  thinking: AnthropicThinkingConfig | undefined,
  output: AnthropicOutputConfig | undefined,
): ReasoningConfig | undefined {
  const effort = output?.effort ? { effort: EFFORT[output.effort] } : undefined;
  switch (thinking?.type) {
    case 'enabled':
      return { budgetTokens: thinking.budget_tokens, includeThoughts: thinking.display !== 'omitted' };
    case 'disabled':
      return { effort: 'none', budgetTokens: 0 };
    case 'adaptive':
      // The model decides how much to think; an effort, if given, is the only hint.
      return { ...effort, includeThoughts: thinking.display !== 'omitted' };
    default:
      return effort;
  }
}
