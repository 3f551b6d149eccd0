import { ProxyError } from '../../core/errors.ts';
import type { CanonicalChoice, CanonicalResponse } from '../../core/response.ts';
import { reasoningFromBlock, toolCallFromBlock } from './blocks.ts';
import { proxyErrorFromAnthropic } from './errors.ts';
import { finishReasonFromAnthropic } from './map-finish-reason.ts';
import { signatureFromUpstream } from './signature.ts';
import type { AnthropicMessage, AnthropicOutputBlock } from './types.ts';
import { usageFromAnthropic } from './usage.ts';

/** An Anthropic Message → canonical. Server tool blocks are left out, as in the stream decoder. */
export function decodeResponse(body: unknown): CanonicalResponse {
  if (!isMessage(body)) {
    throw (
      proxyErrorFromAnthropic(body) ??
      new ProxyError('upstream', 'The upstream answered with something other than an Anthropic message.')
    );
  }
  const choice: CanonicalChoice = {
    index: 0,
    content: body.content.flatMap(outputParts),
    finishReason: finishReasonFromAnthropic(body.stop_reason),
  };
  if (body.stop_sequence) choice.stopSequence = body.stop_sequence;
  const response: CanonicalResponse = {
    id: body.id,
    model: body.model,
    // Anthropic sends no creation time; the canonical answer carries one for OpenAI clients.
    created: Math.floor(Date.now() / 1000),
    choices: [choice],
  };
  if (body.usage) response.usage = usageFromAnthropic(body.usage);
  return response;
}

function outputParts(block: AnthropicOutputBlock): CanonicalChoice['content'] {
  switch (block.type) {
    case 'text':
      return [{ type: 'text', text: block.text }];
    case 'thinking':
    case 'redacted_thinking':
      return [reasoningFromBlock(block, signatureFromUpstream)];
    case 'tool_use':
      return [toolCallFromBlock(block)];
    default:
      return [];
  }
}

function isMessage(body: unknown): body is AnthropicMessage {
  return body !== null && typeof body === 'object' && Array.isArray((body as { content?: unknown }).content);
}
