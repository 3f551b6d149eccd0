import type { CanonicalRequest, Part } from '../core/request.ts';

/** What an image costs, roughly, in most vision models' accounting. */
const IMAGE_TOKENS = 1000;

type BpeRanks = (string | number[])[];

// scripts/build.ts inlines the o200k vocabulary in the compiled binary as one JSON string.
// As the library's 200,000 string literals, it would share the bytecode's string table with
// the rest of the code, and every start would map those pages: 4.5 MiB of idle RSS.
declare const __LLM_MUX_O200K_RANKS__: string | undefined;

async function o200kRanks(): Promise<BpeRanks> {
  if (typeof __LLM_MUX_O200K_RANKS__ === 'string') return JSON.parse(__LLM_MUX_O200K_RANKS__) as BpeRanks;
  return (await import('gpt-tokenizer/bpeRanks/o200k_base')).default;
}

/** The o200k token counter, built on first use so start-up does not pay for it. */
let counter: Promise<(text: string) => number> | undefined;

async function loadCounter(): Promise<(text: string) => number> {
  const [{ GptEncoding }, ranks] = await Promise.all([import('gpt-tokenizer/GptEncoding'), o200kRanks()]);
  return GptEncoding.getEncodingApi('o200k_base', () => ranks).countTokens;
}

/**
 * Estimates a request's input tokens when its upstream offers no count endpoint of its
 * own, with OpenAI's o200k tokenizer: exact for OpenAI models, close for others.
 */
export async function estimateInputTokens(request: CanonicalRequest): Promise<number> {
  const countTokens = await (counter ??= loadCounter());
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
