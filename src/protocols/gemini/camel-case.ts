/**
 * Fields whose values are the client's own data (arguments, results, schemas): their keys
 * are names chosen by the client and must not be touched.
 */
const OPAQUE = new Set(['args', 'response', 'parameters', 'parametersJsonSchema', 'responseSchema', 'responseJsonSchema', 'partMetadata', 'labels']);

const SNAKE = /(?<!^)_([a-z0-9])/g;

/**
 * Google's JSON parser takes proto field names (`inline_data`, `system_instruction`) as
 * well as lowerCamelCase, and the REST docs use both: read either, as the API does.
 */
export function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // Most keys are camelCase already: the replace only where there is an underscore.
    const name = key.includes('_') ? key.replace(SNAKE, (_, letter: string) => letter.toUpperCase()) : key;
    result[name] = OPAQUE.has(name) || inner === null || typeof inner !== 'object' ? inner : camelCaseKeys(inner);
  }
  return result;
}
