import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { FIXTURES_DIR } from '../../support/fixtures.ts';

const PROTO_DIR = join(FIXTURES_DIR, '..', 'schemas', 'gemini');
const PACKAGE = 'google.ai.generativelanguage.v1beta';

/** Free-form JSON in the API (args, response, JSON schemas): anything goes below these. */
const FREE_FORM = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue']);

/**
 * Fields the live API takes that the recorded proto snapshot predates (Gemini 3's
 * thinking level). Everything else must be a field of the official definitions.
 */
const NEWER_FIELDS: Record<string, string[]> = { [`${PACKAGE}.ThinkingConfig`]: ['thinkingLevel'] };

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of ['google/protobuf/struct.proto', 'google/protobuf/duration.proto', 'google/protobuf/timestamp.proto']) {
    root.addJSON(protobuf.common.get(file)!.nested!);
  }
  // Types imported from google/type that the definitions only mention.
  protobuf.parse('syntax = "proto3"; package google.type; message Interval {} message LatLng {}', root);
  for (const file of ['citation.proto', 'safety.proto', 'retriever.proto', 'content.proto', 'generative_service.proto']) {
    protobuf.parse(readFileSync(join(PROTO_DIR, file), 'utf8'), root, { keepCase: false });
  }
  root.resolveAll();
  return root;
}

const root = loadRoot();

/**
 * Every key of `value` that the official Gemini definitions (JSON names) do not know, with
 * its path, plus enum values that are not enum names: a check that what llm-mux writes
 * is the wire format, independent of the codec's own types.
 */
export function unknownFields(typeName: 'GenerateContentRequest' | 'GenerateContentResponse', value: unknown): string[] {
  const problems: string[] = [];
  check(root.lookupType(`${PACKAGE}.${typeName}`), value, typeName, problems);
  return problems;
}

function check(type: protobuf.Type, value: unknown, path: string, problems: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${path}: expected an object`);
    return;
  }
  const fields = new Map(type.fieldsArray.map((field) => [(field.options?.json_name as string | undefined) ?? field.name, field]));
  for (const [key, inner] of Object.entries(value)) {
    const field = fields.get(key);
    if (!field) {
      if (!NEWER_FIELDS[type.fullName.slice(1)]?.includes(key)) problems.push(`${path}.${key}: unknown field`);
      continue;
    }
    const values = field.repeated ? (Array.isArray(inner) ? inner : [Symbol('not a list')]) : field.map ? Object.values(inner as object) : [inner];
    values.forEach((item, index) => checkValue(field, item, field.repeated ? `${path}.${key}[${index}]` : `${path}.${key}`, problems));
  }
}

function checkValue(field: protobuf.Field, value: unknown, path: string, problems: string[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof value !== 'string' || !(value in resolved.values)) problems.push(`${path}: ${String(value)} is not a ${resolved.name}`);
  } else if (resolved instanceof protobuf.Type) {
    if (!FREE_FORM.has(resolved.fullName.slice(1)) && resolved.fullName !== '.google.protobuf.Duration') check(resolved, value, path, problems);
  } else if (typeof value === 'symbol') {
    problems.push(`${path}: expected a list`);
  }
}
