/**
 * Gemini's `Schema` (OpenAPI 3.0 subset: `type: "OBJECT"`, `nullable`, `propertyOrdering`)
 * → JSON Schema, for tools and response formats declared the old way. Everything else
 * (description, enum, format, required, min/max…) already has its JSON Schema name.
 */
import { isRecord } from '../../core/json.ts';

export function jsonSchemaFromGemini(schema: Record<string, unknown>): Record<string, unknown> {
  const { type, nullable, propertyOrdering: _ordering, properties, items, anyOf, ...rest } = schema;
  const result: Record<string, unknown> = { ...rest };
  if (typeof type === 'string' && type !== 'TYPE_UNSPECIFIED') {
    const name = type.toLowerCase();
    result.type = nullable === true ? [name, 'null'] : name;
  }
  if (isRecord(properties)) {
    result.properties = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, convert(value)]));
  }
  if (items !== undefined) result.items = convert(items);
  if (Array.isArray(anyOf)) result.anyOf = anyOf.map(convert);
  return result;
}

function convert(value: unknown): unknown {
  return isRecord(value) ? jsonSchemaFromGemini(value) : value;
}
