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
 *   npx bun bench/in-process.ts [--against <checkout>] [--chunks 20] [--iterations 5000] [--rounds 30]
 *
 * With --against (the root of another checkout, e.g. `git worktree add ../before HEAD~3`
 * with node_modules linked in), both are loaded in this process and timed in turn, case by
 * case, and the table adds the median of the paired ratios: drift hits both alike.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { StreamOutcome } from '../src/gateway/observe.ts';
import type { InboundCodec, OutboundCodec, StreamEncoder } from '../src/protocols/codec.ts';
import { streamedAnswer } from './fake-upstream.ts';
import { CLIENTS, type ClientProtocol } from './lib/clients.ts';
import { median } from './lib/load.ts';
import { REPO_ROOT } from './lib/stack.ts';
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
}

async function loadCheckout(root: string): Promise<Checkout> {
  const from = async <T>(path: string): Promise<T> => (await import(resolve(root, 'src', path))) as T;
  const [{ observeStream }, { translateStream }, { outboundCodec }, { chatInbound }, { anthropicInbound }, { geminiInbound }] = await Promise.all([
    from<Pick<Checkout, 'observeStream'>>('gateway/observe.ts'),
    from<Pick<Checkout, 'translateStream'>>('gateway/translate-stream.ts'),
    from<Pick<Checkout, 'outboundCodec'>>('protocols/registry.ts'),
    from<{ chatInbound: InboundCodec }>('protocols/openai-chat/index.ts'),
    from<{ anthropicInbound: InboundCodec }>('protocols/anthropic/index.ts'),
    from<{ geminiInbound: InboundCodec }>('protocols/gemini/index.ts'),
  ]);
  return { observeStream, translateStream, outboundCodec, inbound: { 'openai-chat': chatInbound, anthropic: anthropicInbound, gemini: geminiInbound } };
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
    },
  });
  const iterations = Number(values.iterations);
  const rounds = Number(values.rounds);
  const chunks = Number(values.chunks);
  const bodies = new Map(WORKLOADS.map((workload) => [workload.upstream, streamedAnswer(workload.upstream, chunks, CHUNK_SIZE)]));
  const current = casesOf(await loadCheckout(REPO_ROOT), bodies);
  const other = values.against === undefined ? undefined : casesOf(await loadCheckout(resolve(values.against)), bodies);

  console.log(`In process, ${values.chunks}-chunk streams: CPU µs per call, the median of ${rounds} rounds of ${iterations} calls`);
  console.log('');
  console.log(other ? '| case | --against | this checkout | this ÷ --against (paired median) |' : '| case | this checkout |');
  console.log(other ? '| --- | --: | --: | --: |' : '| --- | --: |');
  for (const [name, run] of current) {
    const before = other?.get(name);
    // Warm both up first: the JIT settles on each before anything is timed.
    for (let i = 0; i < 3; i++) {
      await time(run, iterations);
      if (before) await time(before, iterations);
    }
    const mine: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const theirTime = before ? await time(before, iterations) : undefined;
      const myTime = await time(run, iterations);
      mine.push(myTime);
      if (theirTime !== undefined) {
        theirs.push(theirTime);
        ratios.push(myTime / theirTime);
      }
    }
    const cells = before ? [median(theirs).toFixed(2), median(mine).toFixed(2), median(ratios).toFixed(3)] : [median(mine).toFixed(2)];
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}

await main();
