import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { FIXTURES_DIR } from './fixtures.ts';

const SCHEMAS_DIR = join(FIXTURES_DIR, '..', 'schemas');

export interface OpenApiOptions {
  /**
   * Drop `required` everywhere: the published Anthropic and Responses specs mark fields
   * required that the live APIs omit (see shared/wire/README.md), so output is checked
   * for shapes, types and enums, not for presence of every SDK field.
   */
  relaxRequired?: boolean;
}

/**
 * Validators for components of an official OpenAPI document in shared/wire/schemas,
 * e.g. `openApiValidator('openai/openapi.yaml')('CreateChatCompletionStreamResponse')`.
 */
export function openApiValidator(file: string, options: OpenApiOptions = {}): (component: string) => ValidateFunction {
  const text = readFileSync(join(SCHEMAS_DIR, file), 'utf8');
  const document = normalise(file.endsWith('.json') ? JSON.parse(text) : parseYaml(text), options) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ ...document, $id: 'doc' });
  const cache = new Map<string, ValidateFunction>();
  return (component) => {
    let validate = cache.get(component);
    if (!validate) {
      validate = ajv.compile({ $ref: `doc#/components/schemas/${component}` });
      cache.set(component, validate);
    }
    return validate;
  };
}

/** OpenAPI 3.0 `nullable: true` → JSON Schema null types; optional relaxing of `required`. */
function normalise(node: unknown, options: OpenApiOptions): unknown {
  if (Array.isArray(node)) return node.map((item) => normalise(item, options));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || (key === 'required' && options.relaxRequired && Array.isArray(value))) continue;
    out[key] = normalise(value, options);
  }
  if ((node as { nullable?: unknown }).nullable !== true) return out;
  if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  if (Array.isArray(out.type)) return { ...out, type: [...out.type, 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}
