import { parseDocument } from 'yaml';

/** Sets one key in config text, keeping the user's comments and layout elsewhere. */
export function setConfigValue(text: string, path: readonly string[], value: unknown): string {
  const doc = parseDocument(text);
  doc.setIn(path, value);
  return doc.toString();
}
