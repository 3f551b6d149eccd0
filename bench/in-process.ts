/**
 * What llm-mux's own code costs per request of the translated suite's workloads, in one
 * process and without sockets: the request's translation (client body → canonical →
 * upstream body) and the answer stream's (upstream bytes → client bytes; for the
 * passthrough, the watching for usage), on the fake upstream's own stream bytes. Bun's server,
 * the sockets and the load generator are left out, and with them most of the VM's noise,
 * so a change of a microsecond shows; what it is worth under load is for
 * `bench/run.ts --suite translated` to say (there, everything costs about three times
 * what it costs here: caches are cold, and two cores are shared by four processes).
 *
 * One case goes further, for the proxy suite's non-streaming workload: the app's whole
 * answer to a Chat Completions request (routing, the upstream call over a loopback socket
 * to the fake upstream in a process of its own, usage and log line), 50 requests at once;
 * only Bun's server and the client's socket are left out. Its CPU includes this process's
 * socket syscalls, not the upstream's.
 *
 *   npx bun bench/in-process.ts [--against <checkout>] [--chunks 20] [--iterations 5000] [--rounds 30] [--only <case name part>]
 *
 * With --against (the root of another checkout, e.g. `git worktree add ../before HEAD~3`
 * with node_modules linked in), both are loaded in this process and timed in turn, case by
 * case, and the table adds the median of the paired ratios: drift hits both alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { StreamOutcome } from '../src/gateway/observe.ts';
import type { InboundCodec, OutboundCodec, StreamEncoder } from '../src/protocols/codec.ts';
import { streamedAnswer } from './fake-upstream.ts';
import { stopChild } from './lib/children.ts';
import { CLIENTS, type ClientProtocol } from './lib/clients.ts';
import { CHAT_PATH, chatBody, median } from './lib/load.ts';
import { REPO_ROOT, startUpstream } from './lib/stack.ts';
import { WORKLOADS, type Workload } from './lib/translated.ts';

const MODEL = 'bench-model';
/** The translated suite's chunk size. */
const CHUNK_SIZE = 8;

/** The modules a checkout is measured through. */
interface Checkout {
  observeStream(body: ReadableStream<Uint8Array>, codec: OutboundCodec, onEnd: (outcome: StreamOutcome) => void): ReadableStream<Uint8Array>;
  translateStream(body: ReadableStream<Uint8Array>, codec: OutboundCodec, encoder: StreamEncoder, onEnd: (outcome: StreamOutcome) => void): ReadableStream<Uint8Array>;
  outboundCodec(protocol: Workload['upstream']): OutboundCodec;
  inbound: Record<ClientProtocol, InboundCodec>;
  /** The app as `serve` runs it, on a config of its own. */
  app(configPath: string): Promise<{ fetch(request: Request): Response | Promise<Response> }>;
}

async function loadCheckout(root: string): Promise<Checkout> {
  const from = async <T>(path: string): Promise<T> => (await import(resolve(root, 'src', path))) as T;
  const [{ observeStream }, { translateStream }, { outboundCodec }, { chatInbound }, { anthropicInbound }, { geminiInbound }, { Runtime }, { createApp }] =
    await Promise.all([
      from<Pick<Checkout, 'observeStream'>>('gateway/observe.ts'),
      from<Pick<Checkout, 'translateStream'>>('gateway/translate-stream.ts'),
      from<Pick<Checkout, 'outboundCodec'>>('protocols/registry.ts'),
      from<{ chatInbound: InboundCodec }>('protocols/openai-chat/index.ts'),
      from<{ anthropicInbound: InboundCodec }>('protocols/anthropic/index.ts'),
      from<{ geminiInbound: InboundCodec }>('protocols/gemini/index.ts'),
      from<typeof import('../src/server/runtime.ts')>('server/runtime.ts'),
      from<typeof import('../src/server/app.ts')>('server/app.ts'),
    ]);
  return {
    observeStream,
    translateStream,
    outboundCodec,
    inbound: { 'openai-chat': chatInbound, anthropic: anthropicInbound, gemini: geminiInbound },
    // The log line is formatted as under `serve`; where it would be written is left out.
    app: async (configPath) => createApp(await Runtime.load({ configPath, logWrite: () => undefined })),
  };
}

/** Requests in flight at once in the app case, as the proxy suite's 50 connections keep them. */
const APP_CONCURRENCY = 50;

/** The proxy suite's non-streaming request through the app, APP_CONCURRENCY at once (one call). */
async function appCase(checkout: Checkout, upstreamUrl: string, workDir: string): Promise<Case> {
  const dir = mkdtempSync(join(workDir, 'checkout-'));
  const configPath = join(dir, 'config.yaml');
  const provider = ['providers:', '  openai-compatible:', '    - name: fake', `      base-url: ${upstreamUrl}/v1`, '      api-keys: ["sk-bench"]', `      models: [${MODEL}]`];
  writeFileSync(configPath, ['host: 127.0.0.1', ...provider, ''].join('\n'));
  const app = await checkout.app(configPath);
  const body = chatBody('non-streaming', MODEL);
  const one = async () => {
    const request = new Request(`http://127.0.0.1:8317${CHAT_PATH}`, { method: 'POST', headers: { host: '127.0.0.1:8317', 'content-type': 'application/json' }, body });
    const response = await app.fetch(request);
    const answer = await response.text();
    if (response.status !== 200) throw new Error(`the app answered ${response.status}: ${answer.slice(0, 200)}`);
  };
  return () => Promise.all(Array.from({ length: APP_CONCURRENCY }, one));
}

type Case = () => Promise<unknown>;

/** Each workload's request and stream, as cases of one checkout. */
function casesOf(checkout: Checkout, upstreamBodies: Map<Workload['upstream'], Uint8Array>): Map<string, Case> {
  const cases = new Map<string, Case>();
  for (const workload of WORKLOADS) {
    const outbound = checkout.outboundCodec(workload.upstream);
    const inbound = checkout.inbound[workload.client];
    const bytes = upstreamBodies.get(workload.upstream)!;
    const upstreamBody = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      });
    const passthrough = workload.client === workload.upstream;
    const clientBody = CLIENTS[workload.client].body(MODEL, 'streaming');
    const context = { model: MODEL };
    if (!passthrough) {
      cases.set(`${workload.id}: request`, async () =>
        JSON.stringify(outbound.encodeRequest({ ...inbound.decodeRequest(JSON.parse(clientBody), context), stream: true, model: MODEL })),
      );
    }
    const stream = passthrough
      ? () => checkout.observeStream(upstreamBody(), outbound, () => undefined)
      : () => checkout.translateStream(upstreamBody(), outbound, inbound.createStreamEncoder(context), () => undefined);
    cases.set(`${workload.id}: stream`, () => drain(stream()));
  }
  return cases;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader();
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return length;
    length += value.length;
  }
}

/** CPU µs per call over `iterations` calls. */
async function time(run: Case, iterations: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      against: { type: 'string' },
      chunks: { type: 'string', default: '20' },
      iterations: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '30' },
      only: { type: 'string' },
    },
  });
  const iterations = Number(values.iterations);
  const rounds = Number(values.rounds);
  const chunks = Number(values.chunks);
  const bodies = new Map(WORKLOADS.map((workload) => [workload.upstream, streamedAnswer(workload.upstream, chunks, CHUNK_SIZE)]));
  const thisCheckout = await loadCheckout(REPO_ROOT);
  const againstCheckout = values.against === undefined ? undefined : await loadCheckout(resolve(values.against));
  const current = casesOf(thisCheckout, bodies);
  const other = againstCheckout && casesOf(againstCheckout, bodies);

  const workDir = mkdtempSync(join(tmpdir(), 'llm-mux-in-process-'));
  const upstream = await startUpstream(workDir, chunks, CHUNK_SIZE);
  const appCaseName = `openai-chat ← openai-chat: whole answer through the app (per request, ${APP_CONCURRENCY} at once)`;
  current.set(appCaseName, await appCase(thisCheckout, upstream.url, workDir));
  if (againstCheckout) other!.set(appCaseName, await appCase(againstCheckout, upstream.url, workDir));
  const perRequest = (name: string) => (name === appCaseName ? APP_CONCURRENCY : 1);

  console.log(`In process, ${values.chunks}-chunk streams: CPU µs per call, the median of ${rounds} rounds of ${iterations} calls`);
  console.log('');
  console.log(other ? '| case | --against | this checkout | this ÷ --against (paired median) |' : '| case | this checkout |');
  console.log(other ? '| --- | --: | --: | --: |' : '| --- | --: |');
  for (const [name, run] of current) {
    if (values.only !== undefined && !name.includes(values.only)) continue;
    const before = other?.get(name);
    // A call of the app case is APP_CONCURRENCY requests: as many requests per round as the others' calls.
    const requests = perRequest(name);
    const calls = Math.max(1, Math.round(iterations / requests));
    // Warm both up first: the JIT settles on each before anything is timed.
    for (let i = 0; i < 3; i++) {
      await time(run, calls);
      if (before) await time(before, calls);
    }
    const mine: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const theirTime = before ? await time(before, calls) : undefined;
      const myTime = await time(run, calls);
      mine.push(myTime / requests);
      if (theirTime !== undefined) {
        theirs.push(theirTime / requests);
        ratios.push(myTime / theirTime);
      }
    }
    const cells = before ? [median(theirs).toFixed(2), median(mine).toFixed(2), median(ratios).toFixed(3)] : [median(mine).toFixed(2)];
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  await stopChild(upstream.child);
  rmSync(workDir, { recursive: true, force: true });
}

await main();
