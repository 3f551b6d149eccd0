import type { ResponseFormat } from '../../core/request.ts';
import { invalid } from './read.ts';
import type { OllamaFormat } from './types.ts';

/** Ollama's `format` has no schema name; canonical (and OpenAI) require one. */
const SCHEMA_NAME = 'response';

/** `format`: "json" (JSON mode), a JSON schema (structured output), or "" / absent (free text). */
export function responseFormatFromOllama(format: unknown, path: string): ResponseFormat | undefined {
  if (format === undefined || format === null || format === '') return undefined;
  if (format === 'json') return { type: 'json_object' };
  if (typeof format === 'object' && !Array.isArray(format)) {
    return { type: 'json_schema', name: SCHEMA_NAME, schema: format as Record<string, unknown> };
  }
  throw invalid(`${path} must be "json" or a JSON schema object`);
}

export function formatToOllama(format: ResponseFormat | undefined): OllamaFormat | undefined {
  if (format?.type === 'json_object') return 'json';
  if (format?.type === 'json_schema') return format.schema;
  return undefined;
}
