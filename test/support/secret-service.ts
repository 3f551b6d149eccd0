// A private, unlocked Secret Service for keychain tests: its own D-Bus session bus and
// GNOME Keyring with a throwaway login keyring in a temp dir. The developer's real keyring
// is never touched, and CI needs nothing but the packages (.ci/run installs them).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { roundTrip } from '../../src/accounts/secret-store/probe.ts';
import { KeychainSecretStore } from '../../src/accounts/secret-store/keychain.ts';

const TOOLS = ['dbus-daemon', 'gnome-keyring-daemon'];

export interface SecretService {
  /** DBUS_SESSION_BUS_ADDRESS of the private bus. */
  address: string;
  /** Where the keyring keeps its files (XDG_DATA_HOME of the keyring daemon). */
  dataHome: string;
  stop(): Promise<void>;
}

/** Why no private Secret Service can be started here, or undefined when it can. */
export function secretServiceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'keychain tests need Linux (a private D-Bus session with GNOME Keyring)';
  const missing = TOOLS.filter((tool) => !onPath(tool));
  return missing.length > 0 ? `not installed: ${missing.join(', ')} (Debian packages dbus, gnome-keyring)` : undefined;
}

/**
 * Starts the bus and the keyring and waits until a secret can be stored. The caller points
 * DBUS_SESSION_BUS_ADDRESS at `address` (for itself and for children).
 */
export async function startSecretService(): Promise<SecretService> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-mux-keyring-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const dataHome = join(dir, 'data');
    const runtimeDir = join(dir, 'run');
    await mkdir(dataHome);
    await mkdir(runtimeDir, { mode: 0o700 });
    await writeFile(join(dir, 'bus.conf'), busConfig(join(dir, 'bus')));
    await mkdir(join(dir, 'bus'));

    const bus = spawn('dbus-daemon', ['--config-file', join(dir, 'bus.conf'), '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(bus);
    const address = await firstLine(bus, 5_000);

    const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address, XDG_DATA_HOME: dataHome, XDG_RUNTIME_DIR: runtimeDir },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    children.push(keyring);
    // --unlock reads the login keyring's password from stdin; an empty one creates no keyring.
    keyring.stdin?.end('test-password');

    await waitUntilUsable(address, keyring);
    return { address, dataHome, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A session bus with no service directories: nothing is ever activated on it (in
 * particular not a second, locked keyring daemon), so only the one started here answers.
 */
function busConfig(socketDir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${socketDir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function waitUntilUsable(address: string, keyring: ChildProcess): Promise<void> {
  const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = address;
  let stderr = '';
  keyring.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        // In-process is safe here: this bus is ours and alive; until the keyring has
        // claimed its name, calls fail at once with "service unknown".
        await roundTrip(new KeychainSecretStore());
        return;
      } catch (error) {
        if (keyring.exitCode !== null || Date.now() > deadline) {
          throw new Error(`the test keyring did not come up: ${(error as Error).message}\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
  }
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`dbus-daemon printed no address within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, newline).trim());
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited (${code}): ${stderr}`));
    });
  });
}

export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}
