import { isCollection, parseDocument } from 'yaml';

/**
 * Sets one key in config text, keeping the user's comments and layout elsewhere. An existing
 * flow value (`api-keys: []`) is overwritten in place, leaving every other byte as it was:
 * re-printing the document would re-indent comments that follow a nested block.
 */
export function setConfigValue(text: string, path: readonly string[], value: unknown): string {
  const doc = parseDocument(text);
  const node = doc.getIn(path, true);
  if (isCollection(node) && node.flow && node.range) {
    // JSON is YAML, and on one line it fits wherever the flow value was.
    return text.slice(0, node.range[0]) + JSON.stringify(value) + text.slice(node.range[1]);
  }
  doc.setIn(path, value);
  return doc.toString();
}
