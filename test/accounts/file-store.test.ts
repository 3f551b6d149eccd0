// The credentials file: owner-only, replaced atomically (a process killed mid-write leaves
// the previous file), and concurrent changes within a process never lose an update.
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { lockPathFor } from '../../src/accounts/file-lock.ts';
import { FileSecretStore } from '../../src/accounts/secret-store/file.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE_LOOP = fileURLToPath(new URL('./fixtures/write-loop.ts', import.meta.url));

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llm-mux-file-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('FileSecretStore', () => {
  it('stores, replaces and deletes secrets in a 0600 file inside a 0700 directory it creates', async () => {
    const configDir = join(dir, 'config');
    const store = new FileSecretStore(join(configDir, 'credentials.json'));
    expect(await store.get('a')).toBeUndefined();

    await store.set('a', 'first');
    await store.set('b', 'other');
    await store.set('a', 'second');
    expect(await store.get('a')).toBe('second');
    expect(await store.get('b')).toBe('other');
    expect(await mode(store.path)).toBe(0o600);
    expect(await mode(configDir)).toBe(0o700);

    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a')).toBeUndefined();
    expect(JSON.parse(await readFile(store.path, 'utf8'))).toEqual({ version: 1, secrets: { b: 'other' } });
    expect(await mode(store.path)).toBe(0o600);
  });

  it('loses no update when many set() and delete() calls overlap, even through two store objects', async () => {
    const path = join(dir, 'credentials.json');
    const one = new FileSecretStore(path);
    const two = new FileSecretStore(path);
    await one.set('doomed', 'x');
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).set(`id-${i}`, `secret-${i}`)),
      two.delete('doomed'),
    ]);
    const { secrets } = JSON.parse(await readFile(path, 'utf8')) as { secrets: Record<string, string> };
    expect(Object.keys(secrets)).toHaveLength(40);
    for (let i = 0; i < 40; i++) expect(secrets[`id-${i}`]).toBe(`secret-${i}`);
  });

  it('refuses a damaged file with an error naming it instead of starting empty', async () => {
    const path = join(dir, 'credentials.json');
    const store = new FileSecretStore(path);
    await store.set('a', 'kept');
    await writeFile(path, '{"version":1,"secrets":{"a":', { mode: 0o600 });
    await expect(store.get('a')).rejects.toThrow(`${path}: not valid JSON`);
    await expect(store.set('b', 'x')).rejects.toThrow(path);
    await writeFile(path, '{"version":1,"secrets":{"a":42}}', { mode: 0o600 });
    await expect(store.get('a')).rejects.toThrow(`${path}: secrets.a:`);
  });

  it('never leaves a corrupt file when the writing process is killed mid-write', async () => {
    const path = join(dir, 'credentials.json');
    const shape = /^(\d+):x{2000000}:(\d+)$/;
    let interruptedWrites = 0;
    for (let kill = 0; kill < 8; kill++) {
      const child = spawn(process.execPath, ['--import', 'tsx', WRITE_LOOP, path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      // After a couple of complete rounds, kill it at the first sign of its next write (its
      // temp file appearing or changing; not the lock taken before it): that is, while it writes.
      await new Promise<void>((resolve, reject) => {
        let rounds = 0;
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (rounds += chunk.split('\n').length - 1));
        const watcher = watch(dir, (_event, name) => {
          if (rounds >= 2 && name?.endsWith('.tmp')) {
            watcher.close();
            resolve();
          }
        });
        void exited.then(() => {
          watcher.close();
          reject(new Error(`write loop exited early: ${stderr}`));
        });
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const { secrets } = JSON.parse(await readFile(path, 'utf8')) as { secrets: Record<string, string> };
      const match = shape.exec(secrets.account ?? '');
      expect(match, 'the secret must be one complete value').not.toBeNull();
      expect(match?.[1]).toBe(match?.[2]);
      expect(await mode(path)).toBe(0o600);
      // A kill during a write leaves its temp file behind: it must be owner-only too.
      const temps = (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
      for (const temp of temps) expect(await mode(join(dir, temp))).toBe(0o600);
      if (temps.length > 0) interruptedWrites++;
      for (const temp of temps) await rm(join(dir, temp));
      // The killed writer also left its lock; the next one would wait for it to go stale.
      await rm(lockPathFor(path), { recursive: true, force: true });
    }
    // Most kills must land inside a write (the temp file remains), or the test proves little.
    expect(interruptedWrites).toBeGreaterThanOrEqual(4);
  }, 120_000);
});

describe('AccountStore on the file store', () => {
  it('keeps every secret out of accounts.json', async () => {
    const accounts = await AccountStore.open(dir, 'file', () => {});
    await accounts.add(
      { id: 'claude-1a2b3c', provider: 'claude', label: 'work', email: 'me@example.com', createdAt: new Date().toISOString(), state: 'active' },
      { accessToken: 'at-secret-value', refreshToken: 'rt-secret-value', idToken: 'id-secret-value', apiKey: 'sk-secret-value' },
    );
    const index = await readFile(join(dir, 'accounts.json'), 'utf8');
    const credentials = await readFile(join(dir, 'credentials.json'), 'utf8');
    for (const secret of ['at-secret-value', 'rt-secret-value', 'id-secret-value', 'sk-secret-value']) {
      expect(index).not.toContain(secret);
      expect(credentials).toContain(secret);
    }
    expect(await mode(join(dir, 'accounts.json'))).toBe(0o600);
    expect(await mode(join(dir, 'credentials.json'))).toBe(0o600);
  });
});
