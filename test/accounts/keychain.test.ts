// The OS keychain store against a real Secret Service (a private D-Bus session with GNOME
// Keyring, see support/secret-service.ts), and the fallback where no keychain answers.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccountCache } from '../../src/accounts/account-cache.ts';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { FileSecretStore } from '../../src/accounts/secret-store/file.ts';
import { KEYCHAIN_SERVICE, KeychainSecretStore } from '../../src/accounts/secret-store/keychain.ts';
import { probeKeychain } from '../../src/accounts/secret-store/probe.ts';
import { KeychainUnavailableError, openSecretStore } from '../../src/accounts/secret-store/select.ts';
import { onPath, secretServiceUnavailable, startSecretService, type SecretService } from '../support/secret-service.ts';

const unavailable = secretServiceUnavailable();
const hasSecretTool = onPath('secret-tool');

let dir = '';
let warnings: string[] = [];
const warn = (message: string) => warnings.push(message);
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llm-mux-keychain-'));
  warnings = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What another Secret Service client (libsecret's secret-tool) finds for an account. */
async function secretToolLookup(id: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('secret-tool', ['lookup', 'service', KEYCHAIN_SERVICE, 'username', id]);
    return stdout;
  } catch {
    return undefined; // secret-tool exits 1 when nothing matches
  }
}

/** How many entries llm-mux has in the keyring, by secret-tool's count. */
async function secretToolEntryCount(): Promise<number> {
  const { stdout } = await promisify(execFile)('secret-tool', ['search', '--all', 'service', KEYCHAIN_SERVICE]);
  return stdout.split('\n').filter((line) => line.startsWith('[/')).length;
}

// .ci/run installs the packages: in CI a skip would hide a keychain that no longer works.
it.runIf(process.env.CI && process.platform === 'linux' && unavailable)('CI provides a Secret Service to test against', () => {
  expect.fail(`keychain tests cannot run: ${unavailable}`);
});

describe.skipIf(unavailable)(`OS keychain (Secret Service)${unavailable ? ` [skipped: ${unavailable}]` : ''}`, () => {
  let service: SecretService | undefined;
  beforeAll(async () => {
    service = await startSecretService();
    vi.stubEnv('DBUS_SESSION_BUS_ADDRESS', service.address);
  }, 30_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await service?.stop();
  });

  it('stores, replaces, reads and deletes one entry per account', async () => {
    const store = new KeychainSecretStore();
    expect(store.kind).toBe('keychain');
    expect(await store.get('claude-absent')).toBeUndefined();
    await store.set('claude-1', '{"refreshToken":"rt-1"}');
    await store.set('codex-1', '{"refreshToken":"other"}');
    await store.set('claude-1', '{"refreshToken":"rt-2"}');
    expect(await store.get('claude-1')).toBe('{"refreshToken":"rt-2"}');
    expect(await store.get('codex-1')).toBe('{"refreshToken":"other"}');
    expect(await store.delete('claude-1')).toBe(true);
    expect(await store.delete('claude-1')).toBe(false);
    expect(await store.get('claude-1')).toBeUndefined();
    expect(await store.delete('codex-1')).toBe(true);
  });

  it.skipIf(!hasSecretTool)('files entries under service "llm-mux" and the account id, where other clients find them', async () => {
    const store = new KeychainSecretStore();
    await store.set('gemini-1', 'visible-secret');
    expect(await secretToolLookup('gemini-1')).toBe('visible-secret');
    await store.delete('gemini-1');
    expect(await secretToolLookup('gemini-1')).toBeUndefined();
  });

  it('is what auto and keychain choose when it answers, with no warning; file never uses it', async () => {
    expect((await openSecretStore('auto', dir, warn)).kind).toBe('keychain');
    expect((await openSecretStore('keychain', dir, warn)).kind).toBe('keychain');
    expect((await openSecretStore('file', dir, warn)).kind).toBe('file');
    expect(warnings).toEqual([]);
  }, 60_000);

  it.skipIf(!hasSecretTool)('probing leaves no entry behind', async () => {
    const before = await secretToolEntryCount();
    await openSecretStore('keychain', dir, warn);
    expect(await secretToolEntryCount()).toBe(before);
  }, 60_000);

  it('auto stays with a credentials file that already holds secrets', async () => {
    await new FileSecretStore(join(dir, 'credentials.json')).set('claude-1', '{}');
    expect((await openSecretStore('auto', dir, warn)).kind).toBe('file');
    expect(warnings).toEqual([]);
  });

  it('AccountStore keeps secrets in the keychain only, and remove() deletes the keychain entry', async () => {
    const accounts = await AccountStore.open(dir, 'keychain', warn);
    const record = { id: 'claude-9', provider: 'claude', label: 'work', createdAt: new Date().toISOString(), state: 'active' as const };
    await accounts.add(record, { accessToken: 'at-in-keychain', refreshToken: 'rt-in-keychain' });

    expect(await accounts.credentials('claude-9')).toEqual({ accessToken: 'at-in-keychain', refreshToken: 'rt-in-keychain' });
    expect(await new KeychainSecretStore().get('claude-9')).toContain('rt-in-keychain');
    expect(await readFile(join(dir, 'accounts.json'), 'utf8')).not.toContain('in-keychain');
    expect(existsSync(join(dir, 'credentials.json'))).toBe(false);

    await accounts.updateCredentials('claude-9', { accessToken: 'at-2', refreshToken: 'rt-2' });
    expect(await accounts.credentials('claude-9')).toEqual({ accessToken: 'at-2', refreshToken: 'rt-2' });

    expect(await accounts.remove('claude-9')).toBe(true);
    expect(await new KeychainSecretStore().get('claude-9')).toBeUndefined();
    expect(await accounts.list()).toEqual([]);
    expect(warnings).toEqual([]);
  }, 60_000);
});

// Only Linux reaches its keychain over D-Bus; elsewhere the keychain answers regardless.
describe.skipIf(process.platform !== 'linux')('without a reachable keychain (Linux, no D-Bus session)', () => {
  beforeAll(() => {
    vi.stubEnv('DBUS_SESSION_BUS_ADDRESS', `unix:path=${join(tmpdir(), 'llm-mux-no-such-bus')}`);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('auto falls back to credentials.json with exactly one warning', async () => {
    const store = await openSecretStore('auto', dir, warn);
    expect(store).toBeInstanceOf(FileSecretStore);
    expect((store as FileSecretStore).path).toBe(join(dir, 'credentials.json'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^OS keychain not usable \(.*D-?Bus.*\); storing credentials in .*credentials\.json \(mode 0600\) instead/i);
  }, 60_000);

  it('the daemon touches no keychain while there are no accounts: the token refresh lists nothing', async () => {
    const cache = new AccountCache(dir, warn);
    const accounts = cache.lazyStore(() => 'keychain');
    expect(await accounts.list()).toEqual([]);
    await cache.index.add({ id: 'claude-1', provider: 'claude', label: 'me', createdAt: new Date().toISOString(), state: 'active' });
    // With an account to list, the store is opened, and says why it cannot be.
    await expect(accounts.list()).rejects.toBeInstanceOf(KeychainUnavailableError);
  }, 60_000);

  it('keychain fails with an error that says why and what to do', async () => {
    const error = await openSecretStore('keychain', dir, warn).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeychainUnavailableError);
    expect((error as Error).message).toMatch(/^credential-store is "keychain", but the OS keychain is not usable: .*D-?Bus/i);
    expect((error as Error).message).toContain('set credential-store: file');
    expect(warnings).toEqual([]);
  }, 60_000);

  describe('and a bus that accepts connections but never answers', () => {
    let bus: Server | undefined;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      const path = join(tmpdir(), `llm-mux-hung-bus-${process.pid}`);
      await rm(path, { force: true });
      bus = createServer((socket) => {
        sockets.add(socket);
        socket.resume(); // read (and ignore) what arrives, so the peer closing is noticed
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => bus?.listen(path, resolve));
      vi.stubEnv('DBUS_SESSION_BUS_ADDRESS', `unix:path=${path}`);
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => bus?.close(resolve));
    });

    it('the probe gives up after its answer timeout and kills the stuck child', async () => {
      const result = await probeKeychain({ startupMs: 30_000, answerMs: 1_000 });
      expect(result).toEqual({ reachable: false, reason: 'no answer within 1 s (D-Bus or the keyring daemon hangs)' });
      // The child held a connection to the bus; it is gone once the child is.
      await vi.waitFor(() => expect(sockets.size).toBe(0), { timeout: 5_000 });
    }, 60_000);

    it('file never touches it', async () => {
      const started = Date.now();
      expect((await openSecretStore('file', dir, warn)).kind).toBe('file');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(warnings).toEqual([]);
    });
  });
});
