// Several llm-mux processes (the daemon refreshing tokens, `llm-mux login` in another
// terminal, a second daemon) change accounts.json and credentials.json at once: each change
// takes the file's lock, so none overwrites another's, and a lock never blocks for good.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLockError, lockPathFor } from '../../src/accounts/file-lock.ts';
import { accountIndexPath, AccountIndex } from '../../src/accounts/index-file.ts';
import { credentialsFilePath, FileSecretStore } from '../../src/accounts/secret-store/file.ts';
import type { AccountRecord } from '../../src/accounts/types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./fixtures/lock-worker.ts', import.meta.url));

interface Worker {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

let dir = '';
const running = new Set<ChildProcess>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llm-mux-file-lock-'));
});
afterEach(async () => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  await rm(dir, { recursive: true, force: true });
});

function startWorker(...args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, exited, stderr: () => stderr };
}

/** Starts a process that takes `file`'s lock and keeps it; resolves once it holds it. */
async function holdLock(file: string): Promise<Worker> {
  const worker = startWorker('hold', file);
  await new Promise<void>((resolve, reject) => {
    worker.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('held')) resolve();
    });
    void worker.exited.then(() => reject(new Error(`lock holder exited early: ${worker.stderr()}`)));
  });
  return worker;
}

function account(id: string, label = id): AccountRecord {
  return { id, provider: 'claude', label, createdAt: new Date().toISOString(), state: 'active' };
}

async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.lock') || name.endsWith('.tmp'));
}

describe('file locks across processes', () => {
  it('loses no update when four processes change accounts.json and credentials.json at once', async () => {
    const index = new AccountIndex(accountIndexPath(dir));
    await index.add(account('counter', '0'));
    const names = ['w0', 'w1', 'w2', 'w3'];
    const perWorker = 20;

    const workers = names.map((name) => startWorker('churn', dir, name, String(perWorker)));
    for (const worker of workers) expect(await worker.exited, worker.stderr()).toEqual({ code: 0, signal: null });

    const records = await index.list();
    const ids = names.flatMap((name) => Array.from({ length: perWorker }, (_, i) => `${name}-${i}`));
    expect(records.map((record) => record.id).sort()).toEqual(['counter', ...ids].sort());
    // Every read-modify-write of the one shared record counted: none read a stale file.
    expect(records.find((record) => record.id === 'counter')?.label).toBe(String(names.length * perWorker));
    for (const record of records.filter((candidate) => candidate.id !== 'counter')) expect(record.expiresAt).toBeDefined();

    const secrets = new FileSecretStore(credentialsFilePath(dir));
    for (const id of ids) expect(JSON.parse((await secrets.get(id)) ?? '{}')).toMatchObject({ refreshToken: `${id}-rt-1` });
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('takes over a lock left behind by a process that died holding it', async () => {
    const path = accountIndexPath(dir);
    const holder = await holdLock(path);
    holder.child.kill('SIGKILL'); // No exit handler runs: the lock stays.
    await holder.exited;
    expect((await stat(lockPathFor(path))).isDirectory()).toBe(true);
    // Nobody touches a dead process's lock: age it past the stale bound.
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lockPathFor(path), longAgo, longAgo);

    const index = new AccountIndex(path, { timeoutMs: 2_000 });
    await index.add(account('after-crash'));
    expect((await index.list()).map((record) => record.id)).toEqual(['after-crash']);
    expect(await leftovers()).toEqual([]);
  }, 30_000);

  const stores = [
    {
      file: 'accounts.json',
      path: accountIndexPath,
      seed: (configDir: string) => new AccountIndex(accountIndexPath(configDir)).add(account('before')),
      read: async (configDir: string) => (await new AccountIndex(accountIndexPath(configDir)).list()).map((record) => record.id),
      change: (configDir: string, timeoutMs: number) => new AccountIndex(accountIndexPath(configDir), { timeoutMs }).add(account('blocked')),
    },
    {
      file: 'credentials.json',
      path: credentialsFilePath,
      seed: (configDir: string) => new FileSecretStore(credentialsFilePath(configDir)).set('before', 'kept'),
      read: async (configDir: string) => [await new FileSecretStore(credentialsFilePath(configDir)).get('before')],
      change: (configDir: string, timeoutMs: number) => new FileSecretStore(credentialsFilePath(configDir), { timeoutMs }).set('blocked', 'new'),
    },
  ];

  it.each(stores)('fails a change of $file while a live process holds its lock past the bound, naming the lock', async (store) => {
    const path = store.path(dir);
    await store.seed(dir);
    const before = await readFile(path, 'utf8');
    const holder = await holdLock(path);

    const failure = store.change(dir, 300);
    await expect(failure).rejects.toThrow(FileLockError);
    await expect(failure).rejects.toThrow(
      `another process held its lock ${lockPathFor(path)} for over 0.3 s. If no llm-mux process is running, remove ${lockPathFor(path)}`,
    );
    expect(await readFile(path, 'utf8')).toBe(before);
    // Reads never wait for the lock: writes are atomic renames.
    expect(await store.read(dir)).toEqual([store.file === 'accounts.json' ? 'before' : 'kept']);

    // A holder that ends normally (here: SIGTERM) removes its lock, and the change goes through.
    holder.child.kill('SIGTERM');
    expect((await holder.exited).signal).toBe('SIGTERM');
    await store.change(dir, 2_000);
    expect(await readFile(path, 'utf8')).toContain('blocked');
    expect(await leftovers()).toEqual([]);
  }, 30_000);
});
