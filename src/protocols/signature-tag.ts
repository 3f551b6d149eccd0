import type { Protocol } from '../core/protocol.ts';
import type { ReasoningSignature } from '../core/request.ts';

/**
 * Reasoning signatures in a client protocol's own signature field (Anthropic
 * `thinking.signature`, Gemini `thoughtSignature`, Responses `encrypted_content`). The
 * client's own protocol's signatures travel as they are; one another protocol issued goes
 * out tagged `llm-mux:<protocol>:<value>`, so the client's next request brings it back and
 * it reaches its own kind of upstream again. Providers' signatures are base64 (Anthropic,
 * Gemini, OpenAI), so none starts with the tag.
 */

// Every protocol: a protocol added to Protocol fails to compile here until listed.
const PROTOCOLS = {
  'openai-chat': true,
  'openai-responses': true,
  anthropic: true,
  gemini: true,
  ollama: true,
} satisfies Record<Protocol, true>;

const TAG = new RegExp(`^llm-mux:(${Object.keys(PROTOCOLS).join('|')}):`);

/** A signature as a client of `own` protocol gets it: raw when `own` issued it, else tagged. */
export function tagSignature(signature: ReasoningSignature, own: Protocol): string {
  return signature.protocol === own ? signature.value : `llm-mux:${signature.protocol}:${signature.value}`;
}

/**
 * A signature a client of `own` protocol sent back: a tag naming another protocol gives
 * that protocol's signature; anything else (a tag naming `own` included, since an upstream
 * that is itself an llm-mux may have issued it) is `own`'s, byte-exact.
 */
export function untagSignature(text: string, own: Protocol): ReasoningSignature {
  const tag = TAG.exec(text);
  const protocol = tag?.[1] as Protocol | undefined;
  if (tag && protocol !== own) return { protocol: protocol!, value: text.slice(tag[0].length) };
  return { protocol: own, value: text };
}
