import type { CanonicalRequest, ImagePart, Message, Part, ReasoningPart, TextPart, ToolCallPart, ToolResultPart } from '../../core/request.ts';
import { imageToOllama } from './images.ts';
import { toolCallToOllama } from './tools.ts';
import type { OllamaMessage } from './types.ts';

/** Ollama messages hold one string: several text parts are joined as paragraphs. */
const PARAGRAPH = '\n\n';

/**
 * Canonical system prompt and turns → Ollama `messages`: the system prompt as one leading
 * system message, each tool result as its own `tool` message ahead of the rest of its turn.
 */
export function encodeMessages(request: CanonicalRequest): OllamaMessage[] {
  const system: OllamaMessage[] = request.system.length > 0 ? [{ role: 'system', content: joinText(request.system) }] : [];
  return [...system, ...request.messages.flatMap((message) => (message.role === 'user' ? userMessages(message) : [assistantMessage(message)]))];
}

function userMessages(message: Message): OllamaMessage[] {
  const results = message.content.filter((part): part is ToolResultPart => part.type === 'tool_result').map(toolMessage);
  const rest = message.content.filter((part) => part.type !== 'tool_result');
  return rest.length > 0 ? [...results, { role: 'user', ...body(rest) }] : results;
}

/** tool_call_id for servers that pair by id (newer Ollama); older ones ignore it and use tool_name. */
function toolMessage(result: ToolResultPart): OllamaMessage {
  return { role: 'tool', ...body(result.content), tool_name: result.name, tool_call_id: result.toolCallId };
}

/**
 * Unsigned reasoning goes back as `thinking`: Ollama verifies nothing, and its templates
 * use it (gpt-oss keeps the analysis of a tool-calling turn). Reasoning signed by another
 * protocol, or redacted, is another provider's and is dropped.
 */
function assistantMessage(message: Message): OllamaMessage {
  const thinking = message.content
    .filter((part): part is ReasoningPart => part.type === 'reasoning' && !part.signature && part.redacted === undefined)
    .map((part) => part.text)
    .join('');
  const calls = message.content
    .filter((part): part is ToolCallPart => part.type === 'tool_call')
    .map((call, index) => toolCallToOllama(call, index));
  return {
    role: 'assistant',
    ...body(message.content),
    ...(thinking === '' ? {} : { thinking }),
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
  };
}

/** The text and images of some parts; `content` is always present (Ollama requires it). */
function body(parts: Part[]): Pick<OllamaMessage, 'content' | 'images'> {
  const images = parts.filter((part): part is ImagePart => part.type === 'image').map(imageToOllama);
  return { content: joinText(parts), ...(images.length > 0 ? { images } : {}) };
}

function joinText(parts: Part[]): string {
  return parts
    .filter((part): part is TextPart => part.type === 'text')
    .map((part) => part.text)
    .join(PARAGRAPH);
}
