import { newId } from '../../core/ids.ts';
import type { CanonicalChoice, CanonicalResponse } from '../../core/response.ts';
import type { ClientContext } from '../codec.ts';
import { reasoningToBlock, signatureCarrier, toolCallToBlock } from './blocks.ts';
import { finishReasonToAnthropic } from './map-finish-reason.ts';
import type { AnthropicMessage, AnthropicOutputBlock } from './types.ts';
import { usageToAnthropic } from './usage.ts';

/** Anthropic message ids start with `msg_`; other upstreams' ids are kept behind it for tracing. */
export function messageId(id: string): string {
  if (id.startsWith('msg_')) return id;
  return id ? `msg_${id}` : newId('msg_');
}

/**
 * Canonical answer → Anthropic Message. Reasoning from any upstream becomes a thinking block
 * (clients such as Claude Code show it); see signature.ts for how foreign signatures travel.
 * Anthropic clients never ask for several choices, so only the first is encoded.
 */
export function encodeResponse(response: CanonicalResponse, context: ClientContext): AnthropicMessage {
  const choice = response.choices[0];
  return {
    id: messageId(response.id),
    type: 'message',
    role: 'assistant',
    model: context.model,
    content: choice ? outputBlocks(choice) : [],
    stop_reason: choice ? finishReasonToAnthropic(choice.finishReason, choice.stopSequence, choice.refusal !== undefined) : 'end_turn',
    stop_sequence: choice?.stopSequence ?? null,
    usage: usageToAnthropic(response.usage),
  };
}

function outputBlocks(choice: CanonicalChoice): AnthropicOutputBlock[] {
  const blocks = choice.content.flatMap((part): AnthropicOutputBlock[] => {
    switch (part.type) {
      case 'text':
        return [{ type: 'text', text: part.text }];
      case 'reasoning':
        return [reasoningToBlock(part)];
      case 'tool_call':
        // tool_use has no signature field: a signed call (Gemini) gets an empty signed thinking block before it.
        return part.signature ? [signatureCarrier(part.signature), toolCallToBlock(part)] : [toolCallToBlock(part)];
    }
  });
  // Anthropic has no refusal field: the refusal is the answer's text (and its stop reason).
  if (choice.refusal !== undefined) blocks.push({ type: 'text', text: choice.refusal });
  return blocks;
}
