import type { CanonicalRequest, Part } from '../core/request.ts';

/** What an image costs, roughly, in most vision models' accounting. */
const IMAGE_TOKENS = 1000;

/**
 * Estimates a request's input tokens when its upstream offers no count endpoint of its
 * own, with OpenAI's o200k tokenizer: exact for OpenAI models, close for others. The
 * tokenizer is loaded on first use so start-up does not pay for it.
 */
export async function estimateInputTokens(request: CanonicalRequest): Promise<number> {
  const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
  let tokens = 0;
  const count = (text: string) => {
    if (text) tokens += countTokens(text);
  };
  for (const part of request.system) count(part.text);
  const countParts = (parts: readonly Part[]) => {
    for (const part of parts) {
      if (part.type === 'text' || part.type === 'reasoning') count(part.text);
      else if (part.type === 'image') tokens += IMAGE_TOKENS;
      else if (part.type === 'tool_call') count(part.name + part.arguments);
      else if (part.type === 'tool_result') countParts(part.content);
    }
  };
  for (const message of request.messages) {
    tokens += 3; // per-message framing
    countParts(message.content);
  }
  for (const tool of request.tools ?? []) count(`${tool.name} ${tool.description ?? ''} ${JSON.stringify(tool.parameters)}`);
  return tokens;
}
