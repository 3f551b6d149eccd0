import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Files written by llm-mux may hold secrets (keys in config.yaml), so they are owner-only. */
export const SECRET_FILE_MODE = 0o600;

/**
 * Writes `data` to `file` so that readers see either the old or the new content, never
 * half of it: write a sibling temp file, fsync it, rename it over the target.
 */
export async function writeFileAtomic(file: string, data: string, mode = SECRET_FILE_MODE): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * A file's text, or undefined when there is no such file. Missing is the usual case at
 * start (no accounts yet, no model cache), hence the check before reading: in the compiled
 * binary, a thrown ENOENT has Bun decode its embedded source map to place the error's stack.
 */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    // Removed since the check.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
