import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback port nothing listens on: taken from the OS, then released. */
export async function unusedPort(): Promise<number> {
  const server = await listeningServer();
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback port held by another program until `close()`, e.g. to test a taken callback port. */
export async function occupiedPort(): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = await listeningServer();
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function listeningServer(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
