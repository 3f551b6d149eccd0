import { newId } from '../../core/ids.ts';

/**
 * Gemini function calls usually carry no id; canonical tool calls need one. Ids made up
 * here share a prefix so that the Gemini encoders can leave them out again: a Gemini
 * client or upstream never sees an id it did not send, and histories round-trip.
 */
const PREFIX = 'call_gemini_';

/** Stable across requests: the same call in a resent history gets the same id. */
export function positionalCallId(content: number, part: number): string {
  return `${PREFIX}${content}_${part}`;
}

export function freshCallId(): string {
  return newId(PREFIX);
}

/** The id to put on the wire, or undefined for one llm-mux made up. */
export function wireCallId(id: string): string | undefined {
  return id === '' || id.startsWith(PREFIX) ? undefined : id;
}
