import { ProxyError } from '../../core/errors.ts';
import type { CanonicalRequest } from '../../core/request.ts';
import { encodeMessages } from './encode-messages.ts';
import { encodeTool, encodeToolChoice } from './encode-tools.ts';
import { sampling, thinkingBudget, tokenLimits } from './thinking.ts';
import type { AnthropicRequest, AnthropicTextBlock } from './types.ts';

/**
 * Canonical → Anthropic Messages body. Dropped for want of an Anthropic counterpart: seed,
 * presence and frequency penalties. Whitespace-only stop sequences are dropped too, as
 * Anthropic rejects them.
 */
export function encodeRequest(request: CanonicalRequest): AnthropicRequest {
  if ((request.n ?? 1) > 1) {
    throw new ProxyError('invalid_request', 'Anthropic does not support n>1: it returns one choice per request.', { param: 'n' });
  }
  const messages = encodeMessages(request.messages);
  const { maxTokens, budget } = tokenLimits(request.model, request.maxTokens, thinkingBudget(request, messages));
  const body: AnthropicRequest = {
    model: request.model,
    max_tokens: maxTokens,
    messages,
    ...sampling(request, budget !== undefined),
    stream: request.stream,
  };
  const system = systemBlocks(request);
  if (system.length > 0) body.system = system;
  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };
  const stop = request.stop?.filter((sequence) => sequence.trim() !== '');
  if (stop?.length) body.stop_sequences = stop;
  if (request.tools?.length) {
    body.tools = request.tools.map(encodeTool);
    const choice = encodeToolChoice(request);
    if (choice) body.tool_choice = choice;
  }
  if (request.responseFormat?.type === 'json_schema') {
    body.output_config = { format: { type: 'json_schema', schema: request.responseFormat.schema } };
  }
  if (request.user) body.metadata = { user_id: request.user };
  return body;
}

/** Anthropic has structured outputs (json_schema) but no free-form JSON mode: that one is asked for in the system prompt. */
const JSON_OBJECT_INSTRUCTION = 'Respond with a single JSON object and nothing else.';

function systemBlocks(request: CanonicalRequest): AnthropicTextBlock[] {
  const texts = request.system.map((part) => part.text);
  if (request.responseFormat?.type === 'json_object') texts.push(JSON_OBJECT_INSTRUCTION);
  return texts.filter((text) => text !== '').map((text) => ({ type: 'text', text }));
}
