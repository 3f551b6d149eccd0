import type { Protocol } from '../core/protocol.ts';
import type { OutboundCodec } from './codec.ts';
import { anthropicOutbound } from './anthropic/index.ts';
import { ollamaOutbound } from './ollama/index.ts';
import { chatOutbound } from './openai-chat/index.ts';
import { responsesOutbound } from './openai-responses/index.ts';

const OUTBOUND: Partial<Record<Protocol, OutboundCodec>> = {
  'openai-chat': chatOutbound,
  ollama: ollamaOutbound,
  anthropic: anthropicOutbound,
  'openai-responses': responsesOutbound,
};

/** The codec that talks to an upstream speaking `protocol`. */
export function outboundCodec(protocol: Protocol): OutboundCodec {
  const codec = OUTBOUND[protocol];
  if (!codec) throw new Error(`no outbound codec for ${protocol}`);
  return codec;
}
