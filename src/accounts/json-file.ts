import type { z } from 'zod';
import { readTextIfExists } from '../config/files.ts';
import { ConfigError, formatPath } from '../config/load.ts';

/**
 * Reads a JSON file llm-mux owns and validates it. A missing file is `empty`; a damaged
 * one is a ConfigError naming the file and the bad entry, never a silently empty list
 * (which the next write would make permanent).
 */
export async function readJsonFile<T>(file: string, schema: z.ZodType<T>, empty: T): Promise<T> {
  const text = await readTextIfExists(file);
  if (text === undefined) return empty;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ file, path: '', message: `not valid JSON (${(error as Error).message})` }]);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => ({ file, path: formatPath(issue.path), message: issue.message })));
}

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
