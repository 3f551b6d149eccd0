import { reasoningEffort } from '../../core/reasoning.ts';
import type { CanonicalRequest, Message, ToolChoice } from '../../core/request.ts';
import { imagePartToUrl } from '../images.ts';
import type { ChatContentPart, ChatMessage, ChatRequest, ChatToolChoice } from './types.ts';

/**
 * OpenAI's reasoning models (o-series, gpt-5) refuse `max_tokens`; most other
 * OpenAI-compatible servers only know `max_tokens`.
 */
const NEEDS_MAX_COMPLETION_TOKENS = /^(o\d|gpt-5)/;

/** Canonical → a Chat Completions request body. */
export function encodeChatRequest(request: CanonicalRequest): Record<string, unknown> {
  const body: ChatRequest = { model: request.model, messages: encodeMessages(request) };
  if (request.stream) {
    body.stream = true;
    // Always ask for usage: llm-mux counts tokens even when the client did not ask.
    body.stream_options = { include_usage: true };
  }
  if (request.maxTokens !== undefined) {
    if (NEEDS_MAX_COMPLETION_TOKENS.test(request.model)) body.max_completion_tokens = request.maxTokens;
    else body.max_tokens = request.maxTokens;
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop = request.stop;
  if (request.n !== undefined) body.n = request.n;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.parameters,
        ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
      },
    }));
  }
  if (request.toolChoice) body.tool_choice = encodeToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined && request.tools?.length) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) {
    const format = request.responseFormat;
    body.response_format =
      format.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: {
              name: format.name,
              schema: format.schema,
              ...(format.strict !== undefined ? { strict: format.strict } : {}),
              ...(format.description ? { description: format.description } : {}),
            },
          }
        : { type: format.type };
  }
  const effort = request.reasoning ? reasoningEffort(request.reasoning) : undefined;
  if (effort && effort !== 'none') body.reasoning_effort = effort;
  if (request.user) body.user = request.user;
  return body as unknown as Record<string, unknown>;
}

function encodeMessages(request: CanonicalRequest): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (request.system.length > 0) {
    messages.push({ role: 'system', content: request.system.map((part) => part.text).join('\n\n') });
  }
  for (const message of request.messages) messages.push(...encodeMessage(message));
  return messages;
}

/**
 * One canonical turn → Chat messages. Tool results leave the user turn as `tool`
 * messages, placed first so they follow the assistant's tool calls directly; images in
 * a tool result (tool messages take text only) follow in the user message after them.
 * Reasoning is not sent back: Chat Completions has no field that carries it.
 */
function encodeMessage(message: Message): ChatMessage[] {
  if (message.role === 'assistant') {
    const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
    const toolCalls = message.content.flatMap((part) =>
      part.type === 'tool_call'
        ? [{ id: part.id, type: 'function' as const, function: { name: part.name, arguments: part.arguments || '{}' } }]
        : [],
    );
    const assistant: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
    if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
    return [assistant];
  }
  const out: ChatMessage[] = [];
  const content: ChatContentPart[] = [];
  for (const part of message.content) {
    if (part.type === 'tool_result') {
      const text = part.content.flatMap((item) => (item.type === 'text' ? [item.text] : [])).join('\n');
      out.push({ role: 'tool', tool_call_id: part.toolCallId, content: part.isError ? `Error: ${text}` : text });
      for (const item of part.content) {
        if (item.type === 'image') content.push({ type: 'image_url', image_url: { url: imagePartToUrl(item) } });
      }
    } else if (part.type === 'text') {
      content.push({ type: 'text', text: part.text });
    } else if (part.type === 'image') {
      content.push({ type: 'image_url', image_url: { url: imagePartToUrl(part) } });
    }
  }
  if (content.length > 0) {
    const single = content.length === 1 && content[0]!.type === 'text';
    out.push({ role: 'user', content: single ? (content[0] as { text: string }).text : content });
  }
  return out;
}

function encodeToolChoice(choice: ToolChoice): ChatToolChoice {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
}
