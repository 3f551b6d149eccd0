import { parseArgumentsObject } from '../../core/json.ts';
import type { ToolCallPart, ToolDefinition } from '../../core/request.ts';
import { optional, readObject, readString } from './read.ts';
import type { OllamaTool, OllamaToolCall } from './types.ts';

export function toolFromOllama(value: unknown, path: string): ToolDefinition {
  const fn = readObject(readObject(value, path).function, `${path}.function`);
  return {
    name: readString(fn.name, `${path}.function.name`),
    description: optional(fn.description, `${path}.function.description`, readString),
    // A tool that declares no parameters takes none (other protocols require a schema).
    parameters: optional(fn.parameters, `${path}.function.parameters`, readObject) ?? { type: 'object', properties: {} },
  };
}

export function toolToOllama(tool: ToolDefinition): OllamaTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/** A client's tool call, checked: Ollama requires a name and takes arguments as an object. */
export function readToolCall(value: unknown, path: string): OllamaToolCall {
  const call = readObject(value, path);
  const fn = readObject(call.function, `${path}.function`);
  return {
    id: optional(call.id, `${path}.id`, readString),
    function: {
      name: readString(fn.name, `${path}.function.name`),
      arguments: optional(fn.arguments, `${path}.function.arguments`, readObject),
    },
  };
}

/** `id` stands in when the call carries none (clients and servers before Ollama 0.12). */
export function toolCallFromOllama(call: OllamaToolCall, id: string): ToolCallPart {
  return { type: 'tool_call', id: call.id || id, name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) };
}

/** `index` is the call's position in the answer, as Ollama numbers them. */
export function toolCallToOllama(call: ToolCallPart, index: number): OllamaToolCall {
  return { id: call.id, function: { index, name: call.name, arguments: parseArgumentsObject(call.arguments) } };
}
