import type { ImagePart, Message, Part, ReasoningPart, ToolResultPart } from '../../core/request.ts';
import { reasoningToBlock, toolCallToBlock } from './blocks.ts';
import type { AnthropicContentBlock, AnthropicImageBlock, AnthropicMessageParam, AnthropicTextBlock } from './types.ts';

/**
 * Canonical turns → Anthropic messages. Anthropic wants alternating roles (consecutive
 * turns of one role are merged), tool results first in their user turn, thinking first in
 * its assistant turn, and no empty text blocks. Reasoning goes back only when Anthropic
 * issued it: signed by 'anthropic', or redacted.
 */
export function encodeMessages(messages: Message[]): AnthropicMessageParam[] {
  const turns: AnthropicMessageParam[] = [];
  for (const message of messages) {
    const blocks = message.content.flatMap(encodePart);
    if (blocks.length === 0) continue;
    const last = turns.at(-1);
    if (last?.role === message.role) last.content.push(...blocks);
    else turns.push({ role: message.role, content: blocks });
  }
  return turns.map(({ role, content }) => ({ role, content: leadingFirst(content, role === 'user' ? 'tool_result' : 'thinking') }));
}

function encodePart(part: Part): AnthropicContentBlock[] {
  switch (part.type) {
    case 'text':
      return part.text ? [textBlock(part.text)] : [];
    case 'image':
      return [imageBlock(part)];
    case 'tool_call':
      return [toolCallToBlock(part, toolUseId(part.id))];
    case 'tool_result':
      return [toolResultBlock(part)];
    case 'reasoning':
      return issuedByAnthropic(part) ? [reasoningToBlock(part)] : [];
  }
}

function issuedByAnthropic(part: ReasoningPart): boolean {
  return part.redacted !== undefined || part.signature?.protocol === 'anthropic';
}

/**
 * Anthropic tool ids match ^[a-zA-Z0-9_-]+$. Ids other upstreams issued are mapped the same
 * way in tool_use and tool_result, so every pair stays paired.
 */
function toolUseId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}

function textBlock(text: string): AnthropicTextBlock {
  return { type: 'text', text };
}

function imageBlock({ source }: ImagePart): AnthropicImageBlock {
  return {
    type: 'image',
    source:
      source.kind === 'base64'
        ? { type: 'base64', media_type: source.mediaType, data: source.data }
        : { type: 'url', url: source.url },
  };
}

function toolResultBlock(part: ToolResultPart): AnthropicContentBlock {
  const content = part.content.flatMap((item): Array<AnthropicTextBlock | AnthropicImageBlock> =>
    item.type === 'image' ? [imageBlock(item)] : item.text ? [textBlock(item.text)] : [],
  );
  return {
    type: 'tool_result',
    tool_use_id: toolUseId(part.toolCallId),
    ...(content.length > 0 && { content }),
    ...(part.isError && { is_error: true }),
  };
}

/** Stable partition: blocks of the leading kind first (redacted thinking counts as thinking). */
function leadingFirst(blocks: AnthropicContentBlock[], lead: 'tool_result' | 'thinking'): AnthropicContentBlock[] {
  const leads = (block: AnthropicContentBlock) => block.type === lead || (lead === 'thinking' && block.type === 'redacted_thinking');
  return [...blocks.filter(leads), ...blocks.filter((block) => !leads(block))];
}
