import type { Protocol } from '../core/protocol.ts';
import { anthropicOutbound } from './anthropic/index.ts';
import type { OutboundCodec } from './codec.ts';
import { geminiOutbound } from './gemini/index.ts';
import { ollamaOutbound } from './ollama/index.ts';
import { chatOutbound } from './openai-chat/index.ts';
import { responsesOutbound } from './openai-responses/index.ts';

const OUTBOUND: Record<Protocol, OutboundCodec> = {
  'openai-chat': chatOutbound,
  'openai-responses': responsesOutbound,
  anthropic: anthropicOutbound,
  gemini: geminiOutbound,
  ollama: ollamaOutbound,
};

/** The codec that talks to an upstream speaking `protocol`. */
export function outboundCodec(protocol: Protocol): OutboundCodec {
  return OUTBOUND[protocol];
}
