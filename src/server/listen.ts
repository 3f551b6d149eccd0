import type { Server } from 'node:http';
import type { App } from './app.ts';

export interface RunningServer {
  /** e.g. http://127.0.0.1:8317 */
  url: string;
  port: number;
  /**
   * Stops accepting connections, lets running requests finish for up to `graceMs`,
   * then closes whatever is left.
   */
  close(graceMs?: number): Promise<void>;
}

interface BunServer {
  port: number;
  pendingRequests: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
declare const Bun: { serve(options: Record<string, unknown>): BunServer } | undefined;

export const DEFAULT_GRACE_MS = 10_000;

/** Serves `app` with Bun.serve in the compiled binary and @hono/node-server under Node. */
export async function listen(app: App, host: string, port: number): Promise<RunningServer> {
  return typeof Bun !== 'undefined' ? listenBun(app, host, port) : listenNode(app, host, port);
}

function displayUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function listenBun(app: App, host: string, port: number): RunningServer {
  // idleTimeout 0: a model may think for minutes before its next chunk. development false:
  // Bun defaults to true unless NODE_ENV is production in the environment, and would then
  // answer an error that escapes the app with a page showing its stack.
  const server = Bun!.serve({ fetch: app.fetch, hostname: host, port, idleTimeout: 0, development: false });
  return {
    url: displayUrl(host, server.port),
    port: server.port,
    async close(graceMs = DEFAULT_GRACE_MS) {
      const graceful = Promise.resolve(server.stop(false));
      const forced = await Promise.race([graceful.then(() => false), delay(graceMs).then(() => true)]);
      if (forced) await server.stop(true);
    },
  };
}

async function listenNode(app: App, host: string, port: number): Promise<RunningServer> {
  const { createAdaptorServer } = await import('@hono/node-server');
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host, port }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: displayUrl(host, actualPort),
    port: actualPort,
    async close(graceMs = DEFAULT_GRACE_MS) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections become idle as their last response ends: close them then,
      // rather than waiting out the keep-alive timeout.
      const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
      server.closeIdleConnections();
      await closed;
      clearInterval(idleSweep);
      clearTimeout(deadline);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
