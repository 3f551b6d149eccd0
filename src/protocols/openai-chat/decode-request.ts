import type {
  CanonicalRequest,
  ImagePart,
  Message,
  Part,
  ReasoningConfig,
  ReasoningEffort,
  ResponseFormat,
  TextPart,
  ToolChoice,
} from '../../core/request.ts';
import { imagePartFromUrl } from '../images.ts';
import { decodeSampling, invalidRequest, requireModelObject } from './sampling.ts';
import type { ChatContentPart, ChatMessage, ChatRequest, ChatToolChoice } from './types.ts';

const EFFORTS = new Set<string>(['none', 'minimal', 'low', 'medium', 'high']);

const invalid = invalidRequest;

/** A Chat Completions request body → canonical. */
export function decodeChatRequest(body: unknown): CanonicalRequest {
  const request = requireModelObject<ChatRequest>(body);
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    throw invalid('`messages` must be a non-empty array.', 'messages');
  }
  const { system, messages } = decodeMessages(request.messages);
  const canonical: CanonicalRequest = { model: request.model, system, messages, stream: request.stream === true, ...decodeSampling(request) };
  if (request.tools?.length) {
    canonical.tools = request.tools.map((tool, index) => {
      if (tool?.type !== 'function' || typeof tool.function?.name !== 'string') {
        throw invalid(`tools[${index}] must be a function tool with a name.`, `tools[${index}]`);
      }
      const { name, description, parameters, strict } = tool.function;
      return { name, description, parameters: parameters ?? { type: 'object', properties: {} }, ...(strict != null ? { strict } : {}) };
    });
  }
  if (request.tool_choice !== undefined) canonical.toolChoice = decodeToolChoice(request.tool_choice);
  if (request.parallel_tool_calls !== undefined) canonical.parallelToolCalls = request.parallel_tool_calls;
  if (request.response_format) canonical.responseFormat = decodeResponseFormat(request.response_format);
  const reasoning = decodeReasoning(request);
  if (reasoning) canonical.reasoning = reasoning;
  return canonical;
}

/**
 * System and developer messages become the canonical system prompt; tool messages
 * become tool results in a user turn, named after the call they answer.
 */
function decodeMessages(input: ChatMessage[]): { system: TextPart[]; messages: Message[] } {
  const system: TextPart[] = [];
  const messages: Message[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: Message['role'], content: Part[]) => {
    const last = messages.at(-1);
    // Consecutive tool results (and the user text after them) form one user turn.
    if (last && last.role === role && role === 'user' && last.content.some((part) => part.type === 'tool_result')) {
      last.content.push(...content);
    } else {
      messages.push({ role, content });
    }
  };
  input.forEach((message, index) => {
    const where = `messages[${index}]`;
    switch (message?.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(message.content, where));
        return;
      case 'user':
        push('user', contentParts(message.content, where));
        return;
      case 'assistant': {
        const content: Part[] = [];
        if (message.reasoning_content) content.push({ type: 'reasoning', text: message.reasoning_content });
        content.push(...contentParts(message.content, where));
        for (const call of message.tool_calls ?? []) {
          toolNames.set(call.id, call.function.name);
          content.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' });
        }
        push('assistant', content);
        return;
      }
      case 'tool': {
        if (typeof message.tool_call_id !== 'string') throw invalid(`${where}.tool_call_id is required for tool messages.`, where);
        const name = toolNames.get(message.tool_call_id);
        if (!name) throw invalid(`${where} answers tool call "${message.tool_call_id}", which no earlier assistant message made.`, where);
        const content = contentParts(message.content, where).filter((part): part is TextPart | ImagePart => part.type === 'text' || part.type === 'image');
        push('user', [{ type: 'tool_result', toolCallId: message.tool_call_id, name, content }]);
        return;
      }
      default:
        throw invalid(`${where}.role must be system, developer, user, assistant or tool.`, `${where}.role`);
    }
  });
  return { system, messages };
}

function contentParts(content: ChatMessage['content'], where: string): Part[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`${where}.content must be a string or an array of parts.`, `${where}.content`);
  return content.map((part, index) => contentPart(part, `${where}.content[${index}]`));
}

function contentPart(part: ChatContentPart, where: string): Part {
  if (part?.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
  if (part?.type === 'image_url') {
    const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
    if (typeof url !== 'string') throw invalid(`${where}.image_url.url must be a string.`, where);
    return imagePartFromUrl(url);
  }
  throw invalid(`${where}: content parts of type "${String(part?.type)}" are not supported.`, where);
}

function textParts(content: ChatMessage['content'], where: string): TextPart[] {
  return contentParts(content, where).map((part) => {
    if (part.type !== 'text') throw invalid(`${where} may only contain text.`, where);
    return part;
  });
}

function decodeToolChoice(choice: ChatToolChoice): ToolChoice {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (typeof choice === 'object' && choice?.type === 'function' && typeof choice.function?.name === 'string') {
    return { type: 'tool', name: choice.function.name };
  }
  throw invalid('tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name"}}.', 'tool_choice');
}

function decodeResponseFormat(format: NonNullable<ChatRequest['response_format']>): ResponseFormat {
  if (format.type === 'text' || format.type === 'json_object') return { type: format.type };
  if (format.type === 'json_schema' && 'json_schema' in format && typeof format.json_schema?.name === 'string') {
    const { name, schema, strict, description } = format.json_schema;
    return {
      type: 'json_schema',
      name,
      schema: schema ?? {},
      ...(strict != null ? { strict } : {}),
      ...(description ? { description } : {}),
    };
  }
  throw invalid('response_format must be text, json_object or json_schema with a name.', 'response_format');
}

function decodeReasoning(request: ChatRequest): ReasoningConfig | undefined {
  if (request.reasoning_effort != null) {
    if (!EFFORTS.has(request.reasoning_effort)) {
      throw invalid('reasoning_effort must be none, minimal, low, medium or high.', 'reasoning_effort');
    }
    return { effort: request.reasoning_effort as ReasoningEffort };
  }
  if (request.thinking?.type === 'enabled' && typeof request.thinking.budget_tokens === 'number') {
    return { budgetTokens: request.thinking.budget_tokens, includeThoughts: true };
  }
  if (request.thinking?.type === 'disabled') return { effort: 'none', budgetTokens: 0 };
  return undefined;
}
