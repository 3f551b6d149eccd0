import type { ReasoningSignature } from '../../core/request.ts';

/**
 * What a Responses reasoning item needs to be replayed without server-side state: its
 * `encrypted_content` and the item id it was issued for (OpenAI rejects the content under
 * any other id). The signature value is the JSON text of this object.
 */
export interface ReasoningHandle {
  id: string;
  encrypted_content: string;
}

export function signReasoning(id: string, encryptedContent: string): ReasoningSignature {
  return { protocol: 'openai-responses', value: JSON.stringify({ id, encrypted_content: encryptedContent }) };
}

/** The handle inside a signature this protocol issued; undefined for foreign or malformed ones. */
export function reasoningHandle(signature: ReasoningSignature | undefined): ReasoningHandle | undefined {
  if (signature?.protocol !== 'openai-responses') return undefined;
  try {
    const handle = JSON.parse(signature.value) as Partial<ReasoningHandle> | null;
    if (typeof handle?.id === 'string' && typeof handle.encrypted_content === 'string') {
      return { id: handle.id, encrypted_content: handle.encrypted_content };
    }
  } catch {
    // Not ours after all: treated like any reasoning we cannot verify.
  }
  return undefined;
}
