/**
 * The model lists the daemon fetched from upstreams, kept in `models-cache.json` beside
 * config.yaml so that a restart offers them at once. It holds model names and base URLs,
 * never a key or token.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readTextIfExists, writeFileAtomic } from '../config/files.ts';
import { configDir } from '../config/paths.ts';

/** A provider's list as last fetched, and where from: a list read at another base URL is not this provider's. */
export interface FetchedModelList {
  baseUrl: string;
  models: readonly string[];
}

/** Fetched lists by provider id. */
export type FetchedModels = ReadonlyMap<string, FetchedModelList>;

const cacheFile = z.object({
  version: z.literal(1),
  providers: z.record(z.string(), z.object({ baseUrl: z.string(), models: z.array(z.string()) })),
});

export function modelCachePath(configPath: string): string {
  return join(configDir(configPath), 'models-cache.json');
}

/** The cached lists; none when there is no cache yet. Throws when the file cannot be read or is not a cache. */
export async function readModelCache(file: string): Promise<Map<string, FetchedModelList>> {
  const text = await readTextIfExists(file);
  if (text === undefined) return new Map();
  const parsed = cacheFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a model cache`);
  return new Map(Object.entries(parsed.data.providers));
}

export function writeModelCache(file: string, lists: FetchedModels): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify({ version: 1, providers: Object.fromEntries(lists) }, null, 2)}\n`);
}
