import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { serialized } from './serial.ts';

/** How long a change waits for another process's lock before it fails. */
const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * A live holder touches its lock every STALE_MS / 2; a lock untouched for longer was left by a
 * dead process and is taken over. Kept below the timeout, so waiting out such a lock always
 * fits in the bound.
 */
const STALE_MS = 5_000;
/** Backoff between attempts: short at first (changes take milliseconds), never long. */
const RETRY_MIN_MS = 10;
const RETRY_MAX_MS = 200;

export interface FileLockOptions {
  /** Fail a change that could not take the lock within this many ms (default 10 s). */
  timeoutMs?: number;
}

/** The lock taken for `file`: a directory beside it, never inside it. */
export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

export class FileLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileLockError';
  }
}

/** Given to the critical section: check() just before writing throws if the lock was lost meanwhile. */
export interface HeldLock {
  check(): void;
}

/**
 * Runs a read-modify-write of `file` while holding both this process's turn (serialized) and
 * the cross-process lock `<file>.lock`, so a change made by another llm-mux process (a daemon
 * refreshing a token, `llm-mux login` in another terminal) is never overwritten by a stale read.
 */
export function withFileLock<T>(file: string, task: (lock: HeldLock) => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  return serialized(file, async () => {
    let lost = false;
    const release = await acquire(file, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => (lost = true));
    try {
      return await task({
        check() {
          if (lost) throw new FileLockError(`lost the lock ${lockPathFor(file)} to another process (was this one paused?); ${file} was not changed, try again`);
        },
      });
    } finally {
      // A lock that cannot be removed goes stale and is taken over: not worth failing the change.
      await release().catch(() => {});
    }
  });
}

async function acquire(file: string, timeoutMs: number, onLost: () => void): Promise<() => Promise<void>> {
  const lockPath = lockPathFor(file);
  // The lock directory needs its parent; the config directory is owner-only, as writeFileAtomic makes it.
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Loaded at the first change, not at start: proper-lockfile brings graceful-fs, which copies and patches fs.
  const { lock } = await import('proper-lockfile');
  try {
    return await lock(file, {
      lockfilePath: lockPath,
      realpath: false, // The file itself may not exist yet.
      stale: STALE_MS,
      retries: {
        retries: Math.ceil(timeoutMs / RETRY_MIN_MS),
        minTimeout: RETRY_MIN_MS,
        maxTimeout: RETRY_MAX_MS,
        factor: 1.5,
        randomize: true, // Waiting processes must not retry in lockstep.
        maxRetryTime: timeoutMs,
      },
      // The library's default throws from a timer, which would kill the daemon.
      onCompromised: onLost,
    });
  } catch (error) {
    throw lockFailure(file, lockPath, timeoutMs, error as NodeJS.ErrnoException);
  }
}

function lockFailure(file: string, lockPath: string, timeoutMs: number, error: NodeJS.ErrnoException): FileLockError {
  if (error.code === 'ELOCKED') {
    return new FileLockError(
      `could not change ${file}: another process held its lock ${lockPath} for over ${timeoutMs / 1000} s. ` +
        `If no llm-mux process is running, remove ${lockPath} (rmdir) and try again.`,
    );
  }
  return new FileLockError(`could not change ${file}: cannot take its lock ${lockPath}: ${error.message}`);
}
