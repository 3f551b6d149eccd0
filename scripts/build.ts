// Compiles the CLI into one self-contained executable per target (Bun runtime included).
// Usage: bun scripts/build.ts [--target <t>]... | --target all
//   no --target: host build to dist/llm-mux
//   --target linux-arm64: dist/llm-mux-linux-arm64 (Bun fetches the target runtime from npm,
//   this script the target's keychain addon)
// Runs under Bun, but type-checks with the project's @types/node, hence the small Bun declaration.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

declare const Bun: {
  build(config: {
    entrypoints: string[];
    compile: { target?: string; outfile: string; autoloadDotenv: boolean; autoloadBunfig: boolean };
    minify: { whitespace: boolean; syntax: boolean; identifiers: boolean; keepNames: boolean };
    sourcemap: 'linked';
    bytecode: boolean;
    define: Record<string, string>;
    external: string[];
  }): Promise<{ outputs: { path: string; kind: string }[] }>;
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/main.ts');
const EXAMPLE_YAML = join(ROOT, 'llm-mux.example.yaml');
const DIST = join(ROOT, 'dist');
const O200K_RANKS_MODULE = 'gpt-tokenizer/bpeRanks/o200k_base';

const TARGETS = {
  'linux-x64': 'bun-linux-x64',
  'linux-arm64': 'bun-linux-arm64',
  'darwin-x64': 'bun-darwin-x64',
  'darwin-arm64': 'bun-darwin-arm64',
  'windows-x64': 'bun-windows-x64',
} as const;
type Target = keyof typeof TARGETS;

/** The package holding each target's build of the keychain's native addon (@napi-rs/keyring). */
const KEYRING_ADDONS: Record<Target, string> = {
  'linux-x64': '@napi-rs/keyring-linux-x64-gnu',
  'linux-arm64': '@napi-rs/keyring-linux-arm64-gnu',
  'darwin-x64': '@napi-rs/keyring-darwin-x64',
  'darwin-arm64': '@napi-rs/keyring-darwin-arm64',
  'windows-x64': '@napi-rs/keyring-win32-x64-msvc',
};

/** One executable to produce; no target means "the machine running the build". */
interface Job {
  target?: Target;
  outfile: string;
}

function isTarget(name: string): name is Target {
  return Object.hasOwn(TARGETS, name);
}

function jobsFromArgs(args: string[]): Job[] {
  const { values } = parseArgs({ args, options: { target: { type: 'string', multiple: true } } });
  const names = values.target ?? [];
  if (names.length === 0) return [{ outfile: join(DIST, 'llm-mux') }];
  const targets = names.includes('all') ? (Object.keys(TARGETS) as Target[]) : names;
  return [...new Set(targets)].map((name) => {
    if (!isTarget(name)) throw new Error(`unknown target "${name}" (expected all, ${Object.keys(TARGETS).join(', ')})`);
    const exe = name.startsWith('windows-') ? '.exe' : '';
    return { target: name, outfile: join(DIST, `llm-mux-${name}${exe}`) };
  });
}

/** The inputs every target's build inlines. */
interface Inlined {
  exampleYaml: string;
  /** gpt-tokenizer's o200k vocabulary as JSON (src/gateway/count-tokens.ts says why). */
  o200kRanks: string;
}

async function compile(job: Job, inlined: Inlined): Promise<void> {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    compile: {
      // Bun rejects `target: undefined`; leaving it out means the host platform.
      ...(job.target ? { target: TARGETS[job.target] } : {}),
      outfile: job.outfile,
      // A daemon started from any directory must not pick up that directory's .env or bunfig.toml.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
    // keepNames: class and function names (error.name, constructor.name) survive, so logs stay readable.
    minify: { whitespace: true, syntax: true, identifiers: true, keepNames: true },
    // The map is embedded in the executable, so stack traces name src/ files and lines.
    sourcemap: 'linked',
    // Precompiled bytecode: start-up to the first served request drops from ~200 ms to well under 100 ms.
    bytecode: true,
    // The o200k vocabulary comes in as one string (define, below), not as this module's literals.
    external: [O200K_RANKS_MODULE],
    define: {
      __LLM_MUX_EXAMPLE_YAML__: JSON.stringify(inlined.exampleYaml),
      __LLM_MUX_O200K_RANKS__: JSON.stringify(inlined.o200kRanks),
      // The binary is its own entry point when it starts itself again (src/accounts/secret-store/probe.ts).
      __LLM_MUX_COMPILED__: 'true',
      'process.env.NODE_ENV': JSON.stringify('production'),
    },
  });
  // The embedded copy is enough; a loose .map beside the binary would only clutter dist/.
  for (const output of result.outputs) if (output.kind === 'sourcemap') await rm(output.path, { force: true });
}

/**
 * Bun embeds the keychain addon only when the target's package is in node_modules, and npm
 * installs just the host's. For another target, fetch the version package-lock.json pins
 * (with its integrity checked) and unpack it there: without it the binary has no keychain.
 */
async function ensureKeyringAddon(target: Target): Promise<void> {
  const name = KEYRING_ADDONS[target];
  const dir = join(ROOT, 'node_modules', name);
  if (existsSync(join(dir, 'package.json'))) return;
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string; integrity: string } | undefined>;
  };
  const pinned = lock.packages[`node_modules/${name}`];
  if (!pinned) throw new Error(`${name} is missing from package-lock.json`);
  const temp = await mkdtemp(join(tmpdir(), 'llm-mux-addon-'));
  try {
    const npm = { encoding: 'utf8', shell: process.platform === 'win32' } as const;
    const [packed] = JSON.parse(execFileSync('npm', ['pack', `${name}@${pinned.version}`, '--json', '--pack-destination', temp], npm)) as {
      filename: string;
      integrity: string;
    }[];
    if (packed?.integrity !== pinned.integrity) throw new Error(`${name}@${pinned.version}: integrity differs from package-lock.json`);
    await mkdir(dir, { recursive: true });
    execFileSync('tar', ['-xzf', join(temp, packed.filename), '-C', dir, '--strip-components=1']);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Bun reports bundling errors as an AggregateError of messages with positions. */
function describe(error: unknown): string {
  const first = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const message = first instanceof Error ? first.message : String(first);
  const position = (first as { position?: { file: string; line: number; column: number } | null }).position;
  const where = position ? ` (${relative(ROOT, position.file)}:${position.line}:${position.column})` : '';
  const more = error instanceof AggregateError && error.errors.length > 1 ? ` (+${error.errors.length - 1} more)` : '';
  return `${message.split('\n')[0]}${where}${more}`;
}

async function main(): Promise<void> {
  const jobs = jobsFromArgs(process.argv.slice(2));
  const inlined: Inlined = {
    exampleYaml: await readFile(EXAMPLE_YAML, 'utf8'),
    o200kRanks: JSON.stringify(((await import(O200K_RANKS_MODULE)) as { default: unknown }).default),
  };
  await mkdir(DIST, { recursive: true });
  // A stale checksum list must never describe binaries from an earlier, different build.
  await rm(join(DIST, 'SHA256SUMS'), { force: true });

  const sums: string[] = [];
  for (const job of jobs) {
    const started = performance.now();
    try {
      if (job.target) await ensureKeyringAddon(job.target);
      await compile(job, inlined);
    } catch (error) {
      throw new Error(`${job.target ?? 'host'}: ${describe(error)}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const megabytes = ((await stat(job.outfile)).size / 1e6).toFixed(1);
    const sha = await sha256File(job.outfile);
    sums.push(`${sha}  ${basename(job.outfile)}`);
    console.log(`${relative(ROOT, job.outfile)}  ${megabytes} MB  ${seconds}s  sha256 ${sha}`);
  }
  await writeFile(join(DIST, 'SHA256SUMS'), `${sums.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
