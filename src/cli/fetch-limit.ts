/**
 * Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS (default 256) upstream requests at
 * once and queues the rest without a timeout: the 257th concurrent stream would wait for
 * another to finish. Bun reads the variable only as the process starts, so `serve` in the
 * compiled binary replaces itself (execve: same process id, no parent left behind) with a
 * copy that has it set, unless the user set it already.
 */

/** Concurrent upstream requests allowed: far above what one machine's agents open. */
const SERVE_FETCH_LIMIT = '4096';
const FETCH_LIMIT_VARIABLE = 'BUN_CONFIG_MAX_HTTP_REQUESTS';

// scripts/build.ts defines this in the compiled binary.
declare const __LLM_MUX_COMPILED__: boolean | undefined;

/** The environment `serve` must restart with, or undefined when it can go on as it is. */
function fetchLimitRestartEnv(argv: readonly string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  if (typeof __LLM_MUX_COMPILED__ !== 'boolean' || argv[2] !== 'serve' || env[FETCH_LIMIT_VARIABLE] !== undefined) return undefined;
  return { ...env, [FETCH_LIMIT_VARIABLE]: SERVE_FETCH_LIMIT };
}

/** Replaces this process with itself under the raised limit when `serve` needs it; returns otherwise. */
function raiseFetchLimit(): void {
  const env = fetchLimitRestartEnv(process.argv, process.env);
  const runtime = process as NodeJS.Process & { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never };
  if (!env || typeof runtime.execve !== 'function') return;
  try {
    // A compiled binary's argv is [bun, /$bunfs/root/<entry>, ...arguments]; argv0 is how it was called.
    runtime.execve(process.execPath, [process.argv0, ...process.argv.slice(2)], env);
  } catch {
    // Not restartable here (no execute permission on the binary any more, say): serve anyway, capped.
  }
}

// Run on import: src/cli/main.ts imports this module before anything else.
raiseFetchLimit();
