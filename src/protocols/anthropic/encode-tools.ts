import type { CanonicalRequest, ToolDefinition } from '../../core/request.ts';
import type { AnthropicTool, AnthropicToolChoice } from './types.ts';

export function encodeTool(tool: ToolDefinition): AnthropicTool {
  return {
    name: tool.name,
    ...(tool.description && { description: tool.description }),
    // Anthropic requires an object schema; OpenAI allows functions without parameters.
    input_schema: { type: 'object', ...tool.parameters },
    ...(tool.strict && { strict: true }),
  };
}

/** Undefined leaves Anthropic's default (auto, parallel calls allowed). */
export function encodeToolChoice({ toolChoice, parallelToolCalls }: CanonicalRequest): AnthropicToolChoice | undefined {
  const parallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  switch (toolChoice?.type) {
    case undefined:
      return parallelToolCalls === false ? { type: 'auto', ...parallel } : undefined;
    case 'auto':
      return { type: 'auto', ...parallel };
    case 'required':
      return { type: 'any', ...parallel };
    case 'tool':
      return { type: 'tool', name: toolChoice.name, ...parallel };
    case 'none':
      return { type: 'none' };
  }
}
