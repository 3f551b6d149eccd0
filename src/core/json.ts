/** Parses JSON text that a model produced (tool arguments), falling back to `{}` when it is not an object. */
export function parseArgumentsObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
