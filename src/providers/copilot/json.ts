import { recordOrEmpty } from '../../core/json.ts';

/** GitHub and Copilot answers, and the chat bodies the adapter inspects, are JSON objects; anything else reads as empty. */
export function parseRecord(text: string): Record<string, unknown> {
  try {
    return recordOrEmpty(JSON.parse(text));
  } catch {
    return {};
  }
}
