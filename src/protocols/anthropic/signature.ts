import type { Protocol } from '../../core/protocol.ts';
import type { ReasoningSignature } from '../../core/request.ts';

/**
 * Anthropic clients send `thinking.signature` back byte-exact on the next turn. A signature
 * another provider issued (Gemini thoughtSignature, Responses encrypted_content) travels to
 * the client in that field tagged with its protocol, so it can reach its own upstream again;
 * the Anthropic upstream encoder drops it like any reasoning it cannot verify. Anthropic's
 * own signatures are base64 and never contain the tag's colon.
 */
// Every protocol but Anthropic's: a protocol added to Protocol fails to compile here until listed.
const FOREIGN_PROTOCOLS = {
  'openai-chat': true,
  'openai-responses': true,
  gemini: true,
  ollama: true,
} satisfies Record<Exclude<Protocol, 'anthropic'>, true>;

const FOREIGN = new RegExp(`^llm-mux:(${Object.keys(FOREIGN_PROTOCOLS).join('|')}):`);

export function signatureToClient(signature: ReasoningSignature | undefined): string {
  if (!signature) return '';
  return signature.protocol === 'anthropic' ? signature.value : `llm-mux:${signature.protocol}:${signature.value}`;
}

/** A signature in the client's history: ours (tagged) or Anthropic's; '' means unsigned. */
export function signatureFromClient(text: string | undefined): ReasoningSignature | undefined {
  if (!text) return undefined;
  const foreign = FOREIGN.exec(text);
  if (!foreign) return { protocol: 'anthropic', value: text };
  return { protocol: foreign[1] as Protocol, value: text.slice(foreign[0].length) };
}

/**
 * A signature an Anthropic upstream issued. Never untagged: whatever it sent (even a tag,
 * when the upstream is another llm-mux) goes back to it byte-exact.
 */
export function signatureFromUpstream(text: string | undefined): ReasoningSignature | undefined {
  return text ? { protocol: 'anthropic', value: text } : undefined;
}
