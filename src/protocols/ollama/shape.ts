import type { OllamaResponse, OllamaToolCall } from './types.ts';

/** Which endpoint's shape an answer takes: /api/chat nests output in `message`, /api/generate does not. */
export type OllamaEndpoint = 'chat' | 'generate';

export interface Output {
  content: string;
  thinking: string;
  toolCalls: OllamaToolCall[];
}

/** The output fields of an answer or stream line. Generate has no tool calls; empty thinking is left out. */
export function outputFields(endpoint: OllamaEndpoint, output: Output): Pick<OllamaResponse, 'message' | 'response' | 'thinking'> {
  const thinking = output.thinking === '' ? {} : { thinking: output.thinking };
  if (endpoint === 'generate') return { response: output.content, ...thinking };
  const toolCalls = output.toolCalls.length > 0 ? { tool_calls: output.toolCalls } : {};
  return { message: { role: 'assistant', content: output.content, ...thinking, ...toolCalls } };
}

/** The output of an answer or stream line of either endpoint. */
export function outputOf(line: OllamaResponse): Output {
  return {
    content: line.message?.content ?? line.response ?? '',
    thinking: line.message?.thinking ?? line.thinking ?? '',
    toolCalls: line.message?.tool_calls ?? [],
  };
}
