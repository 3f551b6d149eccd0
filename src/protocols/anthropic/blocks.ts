import { parseArgumentsObject } from '../../core/json.ts';
import type { ReasoningPart, ReasoningSignature, ToolCallPart } from '../../core/request.ts';
import { signatureToClient } from './signature.ts';
import type { AnthropicOutputBlock } from './types.ts';

/** The blocks requests and answers share, to and from canonical parts. */

type ReasoningBlock = { type: 'thinking'; thinking: string; signature?: string } | { type: 'redacted_thinking'; data: string };

/** `readSignature`: signatureFromClient or signatureFromUpstream, by where the block comes from. */
export function reasoningFromBlock(
  block: ReasoningBlock,
  readSignature: (text: string | undefined) => ReasoningSignature | undefined,
): ReasoningPart {
  // Redacted thinking is Anthropic's encrypted reasoning: marked as such so other upstreams drop it.
  if (block.type === 'redacted_thinking') {
    return { type: 'reasoning', text: '', redacted: block.data, signature: { protocol: 'anthropic', value: block.data } };
  }
  const signature = readSignature(block.signature);
  return signature ? { type: 'reasoning', text: block.thinking, signature } : { type: 'reasoning', text: block.thinking };
}

/** For the client's answer, and for the upstream once foreign reasoning is filtered out. */
export function reasoningToBlock(part: ReasoningPart): Extract<AnthropicOutputBlock, { type: 'thinking' | 'redacted_thinking' }> {
  if (part.redacted !== undefined) return { type: 'redacted_thinking', data: part.redacted };
  return { type: 'thinking', thinking: part.text, signature: signatureToClient(part.signature) };
}

export function toolCallFromBlock(block: { id: string; name: string; input?: unknown }): ToolCallPart {
  return { type: 'tool_call', id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) };
}

/**
 * An empty thinking block that only carries a signature, placed just before the tool_use
 * it belongs to; the inbound decoder moves it back onto that call on the next turn.
 */
export function signatureCarrier(signature: ReasoningSignature) {
  return { type: 'thinking' as const, thinking: '', signature: signatureToClient(signature) };
}

export function toolCallToBlock(part: ToolCallPart, id = part.id) {
  return { type: 'tool_use' as const, id, name: part.name, input: parseArgumentsObject(part.arguments) };
}
