// The account index and AccountStore over the file store: unique labels, validation with
// the file named, secrets written before the index, and needs-login for a lost secret.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { AccountIndex, DuplicateAccountError, UnknownAccountError } from '../../src/accounts/index-file.ts';
import { FileSecretStore } from '../../src/accounts/secret-store/file.ts';
import type { AccountRecord } from '../../src/accounts/types.ts';
import { ConfigError } from '../../src/config/load.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llm-mux-accounts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(id: string, provider: string, label: string, extra: Partial<AccountRecord> = {}): AccountRecord {
  return { id, provider, label, createdAt: '2025-01-02T03:04:05.000Z', state: 'active', ...extra };
}

const accountsFile = () => join(dir, 'accounts.json');
const secretsFile = () => new FileSecretStore(join(dir, 'credentials.json'));

describe('AccountIndex', () => {
  it('adds, updates, lists and removes records in a 0600 file', async () => {
    const index = new AccountIndex(accountsFile());
    expect(await index.list()).toEqual([]);
    await index.add(record('claude-1', 'claude', 'work', { email: 'a@example.com' }));
    await index.add(record('codex-1', 'codex', 'work'));
    const updated = await index.update('claude-1', { state: 'needs-login', lastError: 'refresh failed: invalid_grant' });
    expect(updated).toMatchObject({ id: 'claude-1', state: 'needs-login', lastError: 'refresh failed: invalid_grant' });
    expect(await index.update('claude-1', { state: 'active', lastError: undefined })).not.toHaveProperty('lastError');
    expect((await index.list()).map((r) => r.id)).toEqual(['claude-1', 'codex-1']);
    expect((await stat(accountsFile())).mode & 0o777).toBe(0o600);

    expect(await index.remove('claude-1')).toBe(true);
    expect(await index.remove('claude-1')).toBe(false);
    expect(JSON.parse(await readFile(accountsFile(), 'utf8'))).toEqual([record('codex-1', 'codex', 'work')]);
  });

  it('keeps (provider, label) and id unique', async () => {
    const index = new AccountIndex(accountsFile());
    await index.add(record('claude-1', 'claude', 'work'));
    await index.add(record('claude-2', 'claude', 'home'));
    await expect(index.add(record('claude-3', 'claude', 'work'))).rejects.toThrow(DuplicateAccountError);
    await expect(index.add(record('claude-3', 'claude', 'work'))).rejects.toThrow('claude already has an account labelled "work" (claude-1)');
    await expect(index.add(record('claude-1', 'claude', 'other'))).rejects.toThrow(DuplicateAccountError);
    await expect(index.update('claude-2', { label: 'work' })).rejects.toThrow(DuplicateAccountError);
    await expect(index.update('nope', { label: 'x' })).rejects.toThrow(UnknownAccountError);
    await index.update('claude-2', { label: 'home' }); // its own label is no conflict
    expect((await index.list()).map((r) => r.label)).toEqual(['work', 'home']);
  });

  it('loses no record when many adds overlap', async () => {
    const index = new AccountIndex(accountsFile());
    await Promise.all(Array.from({ length: 30 }, (_, i) => index.add(record(`qwen-${i}`, 'qwen', `label-${i}`))));
    expect((await index.list()).map((r) => r.id).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `qwen-${i}`).sort());
  });

  it('rejects a damaged file with a ConfigError naming the file and the entry', async () => {
    const index = new AccountIndex(accountsFile());
    await writeFile(accountsFile(), JSON.stringify([record('a', 'claude', 'x'), { ...record('b', 'claude', 'y'), state: 'sleeping' }]));
    const error = await index.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`${accountsFile()}: [1].state:`);

    await writeFile(accountsFile(), JSON.stringify([record('a', 'claude', 'x'), record('a', 'codex', 'y')]));
    await expect(index.list()).rejects.toThrow(`${accountsFile()}: [1].id: duplicate account id "a"`);
    await writeFile(accountsFile(), '[{');
    await expect(index.list()).rejects.toThrow(`${accountsFile()}: not valid JSON`);
    // A damaged index is never silently replaced by a new one.
    await expect(index.add(record('c', 'claude', 'z'))).rejects.toThrow(ConfigError);
    expect(await readFile(accountsFile(), 'utf8')).toBe('[{');
  });

  it('keeps fields it does not know (written by a newer llm-mux)', async () => {
    await writeFile(accountsFile(), JSON.stringify([{ ...record('a', 'claude', 'x'), plan: 'max' }]));
    const index = new AccountIndex(accountsFile());
    await index.update('a', { email: 'a@example.com' });
    expect(JSON.parse(await readFile(accountsFile(), 'utf8'))).toEqual([{ ...record('a', 'claude', 'x'), plan: 'max', email: 'a@example.com' }]);
  });
});

describe('AccountStore', () => {
  const open = () => AccountStore.open(dir, 'file', (message) => warnings.push(message));
  let warnings: string[] = [];
  beforeEach(() => {
    warnings = [];
  });

  it('adds an account with its credentials and reads them back', async () => {
    const accounts = await open();
    const credentials = { accessToken: 'at', refreshToken: 'rt', expiresAt: 1_900_000_000_000, extra: { projectId: 'p-1' } };
    await accounts.add(record('gemini-1', 'gemini', 'main'), credentials);
    expect(await accounts.credentials('gemini-1')).toEqual(credentials);
    expect(await accounts.list()).toEqual([record('gemini-1', 'gemini', 'main')]);
    expect(await accounts.credentials('unknown')).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('writes no secret for an account the index refuses', async () => {
    const accounts = await open();
    await accounts.add(record('claude-1', 'claude', 'work'), { refreshToken: 'rt-1' });
    await expect(accounts.add(record('claude-2', 'claude', 'work'), { refreshToken: 'rt-2' })).rejects.toThrow(DuplicateAccountError);
    // An existing id must not have its secret overwritten either.
    await expect(accounts.add(record('claude-1', 'claude', 'other'), { refreshToken: 'rt-3' })).rejects.toThrow(DuplicateAccountError);
    expect(await secretsFile().get('claude-2')).toBeUndefined();
    expect(await accounts.credentials('claude-1')).toEqual({ refreshToken: 'rt-1' });
  });

  it('updates credentials when a refresh token rotates, with the expiry in the index', async () => {
    const accounts = await open();
    await accounts.add(record('codex-1', 'codex', 'main'), { accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: 1_800_000_000_000 });
    await accounts.updateCredentials('codex-1', { accessToken: 'at-2', refreshToken: 'rt-2', expiresAt: 1_900_000_000_000 });
    expect(await accounts.credentials('codex-1')).toEqual({ accessToken: 'at-2', refreshToken: 'rt-2', expiresAt: 1_900_000_000_000 });
    expect((await accounts.get('codex-1'))?.expiresAt).toBe(new Date(1_900_000_000_000).toISOString());

    await expect(accounts.updateCredentials('nope', { refreshToken: 'rt' })).rejects.toThrow(UnknownAccountError);
    expect(await secretsFile().get('nope')).toBeUndefined();
  });

  it('ends needs-login on fresh credentials but leaves a disabled account disabled', async () => {
    const accounts = await open();
    await accounts.add(record('a', 'claude', 'a', { state: 'needs-login', lastError: 'invalid_grant' }), { refreshToken: 'old' });
    await accounts.add(record('b', 'claude', 'b', { state: 'disabled' }), { refreshToken: 'old' });
    await accounts.updateCredentials('a', { refreshToken: 'new' });
    await accounts.updateCredentials('b', { refreshToken: 'new' });
    expect(await accounts.list()).toEqual([record('a', 'claude', 'a'), record('b', 'claude', 'b', { state: 'disabled' })]);
  });

  it('updates a record through the store', async () => {
    const accounts = await open();
    await accounts.add(record('a', 'claude', 'a'), { refreshToken: 'rt' });
    expect(await accounts.update('a', { state: 'disabled', label: 'renamed' })).toEqual(record('a', 'claude', 'renamed', { state: 'disabled' }));
    expect(await accounts.get('a')).toEqual(record('a', 'claude', 'renamed', { state: 'disabled' }));
  });

  it('removes the account and its secret', async () => {
    const accounts = await open();
    await accounts.add(record('a', 'claude', 'a'), { refreshToken: 'rt' });
    expect(await accounts.remove('a')).toBe(true);
    expect(await accounts.list()).toEqual([]);
    expect(await secretsFile().get('a')).toBeUndefined();
    expect(await accounts.remove('a')).toBe(false);
  });

  it('reports an account whose secret is missing (a crash between the two writes) as needs-login', async () => {
    // The index entry exists but its secret never made it: as after a crash or a lost keychain.
    await new AccountIndex(accountsFile()).add(record('claude-1', 'claude', 'work'));
    await new AccountIndex(accountsFile()).add(record('claude-2', 'claude', 'home'));
    await secretsFile().set('claude-2', JSON.stringify({ refreshToken: 'rt' }));

    const accounts = await open();
    const [lost, fine] = await accounts.list();
    expect(lost).toMatchObject({ id: 'claude-1', state: 'needs-login', lastError: 'no credentials in the file store; log in again' });
    expect(fine).toEqual(record('claude-2', 'claude', 'home'));
    expect(await accounts.get('claude-1')).toEqual(lost);
    expect(await accounts.get('claude-3')).toBeUndefined();
    // Reported, not written: the index still says what it said.
    expect((await new AccountIndex(accountsFile()).list())[0]?.state).toBe('active');

    // Logging in again fixes it.
    await accounts.updateCredentials('claude-1', { refreshToken: 'fresh' });
    expect((await accounts.list())[0]?.state).toBe('active');
  });

  it('notices a secret that another process stored after the store was opened', async () => {
    await new AccountIndex(accountsFile()).add(record('claude-1', 'claude', 'work'));
    const accounts = await open();
    expect((await accounts.get('claude-1'))?.state).toBe('needs-login');
    // e.g. `llm-mux login` in another process while the daemon runs
    await (await open()).updateCredentials('claude-1', { refreshToken: 'fresh' });
    expect(await accounts.get('claude-1')).toEqual(record('claude-1', 'claude', 'work'));
  });

  it('says which account has damaged credentials', async () => {
    await new AccountIndex(accountsFile()).add(record('claude-1', 'claude', 'work'));
    await secretsFile().set('claude-1', '{not json');
    const accounts = await open();
    await expect(accounts.credentials('claude-1')).rejects.toThrow('the credentials stored for account "claude-1" (file store) are damaged');
  });
});
