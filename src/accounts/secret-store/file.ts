import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../config/files.ts';
import { withFileLock, type FileLockOptions } from '../file-lock.ts';
import { jsonText, readJsonFile } from '../json-file.ts';
import type { SecretStore } from '../types.ts';

const fileSchema = z.strictObject({
  version: z.literal(1),
  secrets: z.record(z.string(), z.string()),
});
type SecretsFile = z.infer<typeof fileSchema>;

export function credentialsFilePath(configDir: string): string {
  return join(configDir, 'credentials.json');
}

/**
 * Secrets in `<config dir>/credentials.json` (0600), for machines without a reachable
 * keychain. Every change rewrites the whole file atomically (temp file, fsync, rename), so
 * a crash mid-write leaves the previous file, and with it the only valid refresh token.
 * Changes are made under the file's lock, so another process's change (a rotated refresh
 * token) is never overwritten by a stale read.
 */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file';

  constructor(
    readonly path: string,
    private readonly lockOptions: FileLockOptions = {},
  ) {}

  async get(id: string): Promise<string | undefined> {
    return (await this.read()).secrets[id];
  }

  set(id: string, secret: string): Promise<void> {
    return this.change((secrets) => {
      secrets[id] = secret;
      return true;
    }).then(() => {});
  }

  delete(id: string): Promise<boolean> {
    return this.change((secrets) => {
      if (!Object.hasOwn(secrets, id)) return false;
      delete secrets[id];
      return true;
    });
  }

  /** True when the file holds at least one secret. */
  async hasSecrets(): Promise<boolean> {
    return Object.keys((await this.read()).secrets).length > 0;
  }

  private read(): Promise<SecretsFile> {
    return readJsonFile(this.path, fileSchema, { version: 1, secrets: {} });
  }

  /** Applies `edit` to a fresh read and writes the result when `edit` reports a change. */
  private change(edit: (secrets: Record<string, string>) => boolean): Promise<boolean> {
    return withFileLock(
      this.path,
      async (lock) => {
        const file = await this.read();
        const changed = edit(file.secrets);
        if (changed) {
          lock.check();
          await writeFileAtomic(this.path, jsonText(file));
        }
        return changed;
      },
      this.lockOptions,
    );
  }
}
