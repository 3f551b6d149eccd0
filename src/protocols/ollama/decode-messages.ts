import type { ImagePart, Message, Part, TextPart, ToolCallPart } from '../../core/request.ts';
import { imageFromOllama } from './images.ts';
import { invalid, optional, readArray, readObject, readString } from './read.ts';
import { readToolCall, toolCallFromOllama } from './tools.ts';
import type { OllamaMessage } from './types.ts';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

/**
 * Ollama `messages` → canonical system prompt and turns. System messages, wherever they
 * stand, join the system prompt; consecutive `tool` messages become one user turn of tool
 * results, each paired with a call of the latest assistant turn.
 */
export function decodeMessages(value: unknown, path: string): { system: TextPart[]; messages: Message[] } {
  const system: TextPart[] = [];
  const messages: Message[] = [];
  let calls: OpenCall[] = [];
  let results: Message | undefined;
  readArray(value, path).forEach((raw, index) => {
    const message = readMessage(raw, `${path}[${index}]`);
    if (message.role === 'tool') {
      const parts = toolResult(message, calls);
      if (parts.length === 0) return;
      if (!results) messages.push((results = { role: 'user', content: [] }));
      results.content.push(...parts);
      return;
    }
    results = undefined;
    if (message.role === 'system') {
      system.push(...textParts(message.content));
      return;
    }
    const turn: Message = message.role === 'assistant' ? assistantTurn(message, index) : { role: 'user', content: contentParts(message) };
    if (turn.role === 'assistant') calls = openCalls(turn.content);
    // A turn with nothing in it (content "" and no images or calls) would be rejected upstream.
    if (turn.content.length > 0) messages.push(turn);
  });
  return { system, messages };
}

function readMessage(value: unknown, path: string): OllamaMessage {
  const message = readObject(value, path);
  // Ollama lowercases roles before reading them.
  const role = readString(message.role, `${path}.role`).toLowerCase();
  if (!ROLES.has(role)) throw invalid(`${path}.role must be system, user, assistant or tool`);
  return {
    role,
    content: optional(message.content, `${path}.content`, readString) ?? '',
    thinking: optional(message.thinking, `${path}.thinking`, readString),
    images: optional(message.images, `${path}.images`, readArray)?.map((image, n) => readString(image, `${path}.images[${n}]`)),
    tool_calls: optional(message.tool_calls, `${path}.tool_calls`, readArray)?.map((call, n) => readToolCall(call, `${path}.tool_calls[${n}]`)),
    tool_name: optional(message.tool_name, `${path}.tool_name`, readString),
    tool_call_id: optional(message.tool_call_id, `${path}.tool_call_id`, readString),
  };
}

/** Thinking (unsigned: targets that need signed reasoning drop it), content, then the calls. */
function assistantTurn(message: OllamaMessage, index: number): Message {
  const reasoning: Part[] = message.thinking ? [{ type: 'reasoning', text: message.thinking }] : [];
  const calls = (message.tool_calls ?? []).map((call, n) => toolCallFromOllama(call, syntheticId(index, n)));
  return { role: 'assistant', content: [...reasoning, ...contentParts(message), ...calls] };
}

/**
 * Calls without ids get one derived from their position, so the same history always
 * decodes to the same ids (upstream prompt caches compare them byte for byte).
 */
function syntheticId(message: number, call: number): string {
  return `call_${message}_${call}`;
}

interface OpenCall {
  id: string;
  name: string;
  answered: boolean;
}

function openCalls(content: Part[]): OpenCall[] {
  return content
    .filter((part): part is ToolCallPart => part.type === 'tool_call')
    .map((call) => ({ id: call.id, name: call.name, answered: false }));
}

/**
 * A `tool` message may name its call (tool_call_id), its function (tool_name) or neither:
 * pair it by id, else with the first unanswered call of that name, else with the first
 * unanswered call. A result that answers no call (its assistant turn was cut from the
 * history) would be rejected by every upstream, so it is passed on as plain user content.
 */
function toolResult(message: OllamaMessage, calls: OpenCall[]): Part[] {
  const open = calls.filter((call) => !call.answered);
  const call =
    calls.find((candidate) => candidate.id === message.tool_call_id) ??
    open.find((candidate) => candidate.name === message.tool_name) ??
    open[0];
  if (!call) return contentParts(message);
  call.answered = true;
  return [{ type: 'tool_result', toolCallId: call.id, name: call.name, content: contentParts(message) }];
}

/** Images first: Ollama puts a message's images in front of its text. */
function contentParts(message: OllamaMessage): Array<TextPart | ImagePart> {
  return [...(message.images ?? []).map(imageFromOllama), ...textParts(message.content)];
}

function textParts(text: string): TextPart[] {
  return text === '' ? [] : [{ type: 'text', text }];
}
