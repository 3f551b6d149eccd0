// Compiles the CLI into one self-contained executable per target (Bun runtime included).
// Usage: bun scripts/build.ts [--target <t>]... | --target all
//   no --target: host build to dist/llm-mux
//   --target linux-arm64: dist/llm-mux-linux-arm64 (Bun fetches the target runtime from npm)
// Runs under Bun, but type-checks with the project's @types/node, hence the small Bun declaration.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

declare const Bun: {
  build(config: {
    entrypoints: string[];
    compile: { target?: string; outfile: string; autoloadDotenv: boolean; autoloadBunfig: boolean };
    minify: { whitespace: boolean; syntax: boolean; identifiers: boolean; keepNames: boolean };
    sourcemap: 'linked';
    define: Record<string, string>;
  }): Promise<{ outputs: { path: string; kind: string }[] }>;
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, '.tmp-entry/bad.ts');
const EXAMPLE_YAML = join(ROOT, 'llm-mux.example.yaml');
const DIST = join(ROOT, 'dist');

const TARGETS = {
  'linux-x64': 'bun-linux-x64',
  'linux-arm64': 'bun-linux-arm64',
  'darwin-x64': 'bun-darwin-x64',
  'darwin-arm64': 'bun-darwin-arm64',
  'windows-x64': 'bun-windows-x64',
} as const;
type Target = keyof typeof TARGETS;

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

async function compile(job: Job, exampleYaml: string): Promise<void> {
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
    define: {
      __LLM_MUX_EXAMPLE_YAML__: JSON.stringify(exampleYaml),
      'process.env.NODE_ENV': JSON.stringify('production'),
    },
  });
  // The embedded copy is enough; a loose .map beside the binary would only clutter dist/.
  for (const output of result.outputs) if (output.kind === 'sourcemap') await rm(output.path, { force: true });
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
  const exampleYaml = await readFile(EXAMPLE_YAML, 'utf8');
  await mkdir(DIST, { recursive: true });
  // A stale checksum list must never describe binaries from an earlier, different build.
  await rm(join(DIST, 'SHA256SUMS'), { force: true });

  const sums: string[] = [];
  for (const job of jobs) {
    const started = performance.now();
    try {
      await compile(job, exampleYaml);
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
