import type { ReasoningSignature } from '../../core/request.ts';
import { tagSignature, untagSignature } from '../signature-tag.ts';

/**
 * Anthropic clients send `thinking.signature` back byte-exact on the next turn. A signature
 * another provider issued (Gemini thoughtSignature, Responses encrypted_content) travels to
 * the client in that field tagged with its protocol, so it can reach its own upstream again;
 * the Anthropic upstream encoder drops it like any reasoning it cannot verify (see
 * ../signature-tag.ts).
 */
export function signatureToClient(signature: ReasoningSignature | undefined): string {
  return signature ? tagSignature(signature, 'anthropic') : '';
}

/** A signature in the client's history: ours (tagged) or Anthropic's; '' means unsigned. */
export function signatureFromClient(text: string | undefined): ReasoningSignature | undefined {
  return text ? untagSignature(text, 'anthropic') : undefined;
}

/**
 * A signature an Anthropic upstream issued. Never untagged: whatever it sent (even a tag,
 * when the upstream is another llm-mux) goes back to it byte-exact.
 */
export function signatureFromUpstream(text: string | undefined): ReasoningSignature | undefined {
  return text ? { protocol: 'anthropic', value: text } : undefined;
}
