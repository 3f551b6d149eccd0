import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../config/files.ts';
import { withFileLock, type FileLockOptions } from './file-lock.ts';
import { jsonText, readJsonFile } from './json-file.ts';
import type { AccountRecord } from './types.ts';

// Loose: fields added by a newer llm-mux survive a rewrite by an older one.
const recordSchema = z.looseObject({
  id: z.string().min(1),
  provider: z.string().min(1),
  label: z.string().min(1),
  email: z.string().optional(),
  createdAt: z.string().min(1),
  expiresAt: z.string().optional(),
  state: z.enum(['active', 'disabled', 'needs-login']),
  lastError: z.string().optional(),
});

const indexSchema = z.array(recordSchema).superRefine((records, ctx) => {
  const ids = new Set<string>();
  const labels = new Set<string>();
  records.forEach((record, index) => {
    if (ids.has(record.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate account id "${record.id}"` });
    const label = labelKey(record);
    if (labels.has(label)) {
      ctx.addIssue({ code: 'custom', path: [index, 'label'], message: `duplicate label "${record.label}" for ${record.provider}` });
    }
    ids.add(record.id);
    labels.add(label);
  });
});

export function accountIndexPath(configDir: string): string {
  return join(configDir, 'accounts.json');
}

export class DuplicateAccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DuplicateAccountError';
  }
}

export class UnknownAccountError extends Error {
  constructor(id: string) {
    super(`no account with id "${id}"`);
    this.name = 'UnknownAccountError';
  }
}

/** What may change about an account; the id never does. A field set to undefined is cleared. */
export type AccountPatch = Partial<Omit<AccountRecord, 'id'>>;

/**
 * `<config dir>/accounts.json`: every account's AccountRecord, no secrets (0600 anyway:
 * emails and labels are nobody else's business). Each change is an atomic rewrite made
 * under the file's lock, so changes take turns across processes and none is lost.
 */
export class AccountIndex {
  constructor(
    readonly path: string,
    private readonly lockOptions: FileLockOptions = {},
  ) {}

  list(): Promise<AccountRecord[]> {
    return readJsonFile(this.path, indexSchema, []);
  }

  /**
   * `beforeWrite` runs once the checks passed, just before the index is written: that is
   * where the caller stores the account's secret, so no index entry ever lacks one.
   */
  add(record: AccountRecord, beforeWrite?: () => Promise<void>): Promise<void> {
    return this.change(async (records) => {
      if (records.some((other) => other.id === record.id)) throw new DuplicateAccountError(`an account with id "${record.id}" exists`);
      assertLabelFree(records, record);
      records.push(valid(record));
      await beforeWrite?.();
    });
  }

  /** `patch` may be computed from the current record; `beforeWrite` as in add(). */
  update(
    id: string,
    patch: AccountPatch | ((current: AccountRecord) => AccountPatch),
    beforeWrite?: () => Promise<void>,
  ): Promise<AccountRecord> {
    return this.change(async (records) => {
      const index = records.findIndex((record) => record.id === id);
      const current = records[index];
      if (!current) throw new UnknownAccountError(id);
      const updated = valid(withoutUndefined({ ...current, ...(typeof patch === 'function' ? patch(current) : patch), id }));
      assertLabelFree(records.filter((record) => record.id !== id), updated);
      records[index] = updated;
      await beforeWrite?.();
      return updated;
    });
  }

  /** True when an account was removed. */
  remove(id: string): Promise<boolean> {
    return this.change(async (records) => {
      const index = records.findIndex((record) => record.id === id);
      if (index >= 0) records.splice(index, 1);
      return index >= 0;
    });
  }

  private change<T>(edit: (records: AccountRecord[]) => Promise<T>): Promise<T> {
    return withFileLock(
      this.path,
      async (lock) => {
        const records = await this.list();
        const result = await edit(records);
        lock.check();
        await writeFileAtomic(this.path, jsonText(records));
        return result;
      },
      this.lockOptions,
    );
  }
}

function labelKey(record: Pick<AccountRecord, 'provider' | 'label'>): string {
  return JSON.stringify([record.provider, record.label]);
}

function assertLabelFree(records: AccountRecord[], record: AccountRecord): void {
  const taken = records.find((other) => labelKey(other) === labelKey(record));
  if (taken) {
    throw new DuplicateAccountError(`${record.provider} already has an account labelled "${record.label}" (${taken.id}); choose another --label`);
  }
}

function valid(record: AccountRecord): AccountRecord {
  const result = recordSchema.safeParse(record);
  if (!result.success) throw new Error(`invalid account record ${JSON.stringify(record.id)}: ${z.prettifyError(result.error)}`);
  return result.data;
}

function withoutUndefined(record: AccountRecord): AccountRecord {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as unknown as AccountRecord;
}
