/**
 * The processes a benchmark measures: the fake upstream and llm-mux, each a child process
 * (an event loop of its own) with its output in a log file under the run's work directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnChild, waitForHealthy, waitForLine, type Child } from './children.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FAKE_UPSTREAM = join(REPO_ROOT, 'bench/fake-upstream.ts');
const STARTUP_TIMEOUT_MS = 30_000;

/** The fake upstream under Node; `chunks` and `chunkSize` answer models that name no shape of their own. */
export async function startUpstream(workDir: string, chunks: number, chunkSize: number): Promise<{ child: Child; url: string }> {
  const args = ['--port', '0', '--chunks', String(chunks), '--chunk-size', String(chunkSize)];
  const child = spawnChild('fake upstream', process.execPath, ['--import', 'tsx', FAKE_UPSTREAM, ...args], {
    cwd: REPO_ROOT,
    logFile: join(workDir, 'fake-upstream.log'),
  });
  return { child, url: await waitForLine(child, /^http:\/\/127\.0\.0\.1:\d+$/, STARTUP_TIMEOUT_MS) };
}

export interface Command {
  command: string;
  args: string[];
  /** How the report names it. */
  label: string;
}

function writeConfig(dir: string, port: number, providers: string[]): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, [`host: 127.0.0.1`, `port: ${port}`, ...providers, ''].join('\n'));
  return path;
}

/** Each suite's llm-mux lives in a directory of its own: config, state and log. */
export async function startLlmMux(
  command: Command,
  providers: string[],
  workDir: string,
): Promise<{ child: Child; baseUrl: string }> {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const configPath = writeConfig(workDir, port, providers);
  const env = {
    ...process.env,
    // Keep llm-mux away from the user's real config and state, and off any HTTP proxy.
    LLM_MUX_CONFIG: configPath,
    XDG_CONFIG_HOME: workDir,
    XDG_DATA_HOME: workDir,
    XDG_STATE_HOME: workDir,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  const child = spawnChild('llm-mux', command.command, [...command.args, 'serve', '--config', configPath], {
    cwd: REPO_ROOT,
    env,
    logFile: join(workDir, 'llm-mux.log'),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealthy(child, `${baseUrl}/health`, STARTUP_TIMEOUT_MS);
  return { child, baseUrl };
}
