import { Buffer } from 'node:buffer';

/** What the loopback HTTP client needs of a TCP connection. */
export interface Wire {
  write(data: string): void;
  /** In use: keeps the process alive. */
  busy(): void;
  /** Idle in the pool: does not keep the process alive. */
  idle(): void;
  destroy(): void;
  readonly destroyed: boolean;
}

export interface WireEvents {
  data(chunk: Buffer): void;
  /** Once, however the connection ended: an error, or undefined for a close. */
  closed(error: Error | undefined): void;
}

interface BunSocket {
  write(data: string | Uint8Array): number;
  terminate(): void;
  ref(): void;
  unref(): void;
}

declare const Bun:
  | {
      connect(options: {
        hostname: string;
        port: number;
        socket: {
          data(socket: BunSocket, chunk: Buffer): void;
          drain(socket: BunSocket): void;
          close(socket: BunSocket, error?: Error): void;
          error(socket: BunSocket, error: Error): void;
          connectError(socket: BunSocket, error: Error): void;
        };
      }): Promise<BunSocket>;
    }
  | undefined;

/**
 * A TCP connection: Bun's own sockets in the compiled binary (node:net's stream layer
 * there costs more than the request), node:net under Node.
 */
export function openWire(host: string, port: number, events: WireEvents): Promise<Wire> {
  return typeof Bun !== 'undefined' ? openBunWire(host, port, events) : openNodeWire(host, port, events);
}

/** `events.closed`, called once however many ways the connection ends (an error, the close, our destroy). */
function closedOnce(events: WireEvents): { close(error: Error | undefined): void; readonly closed: boolean } {
  let closed = false;
  return {
    close(error) {
      if (closed) return;
      closed = true;
      events.closed(error);
    },
    get closed() {
      return closed;
    },
  };
}

async function openBunWire(host: string, port: number, events: WireEvents): Promise<Wire> {
  let pending: Uint8Array | undefined;
  const ending = closedOnce(events);
  const socket = await Bun!.connect({
    hostname: host,
    port,
    socket: {
      data: (_socket, chunk) => events.data(chunk),
      // A write the kernel could not take whole goes on when it can.
      drain: (socket) => {
        if (!pending) return;
        const written = socket.write(pending);
        pending = written < pending.length ? pending.subarray(written) : undefined;
      },
      close: (_socket, error) => ending.close(error),
      error: (_socket, error) => ending.close(error),
      connectError: () => undefined,
    },
  });
  return {
    write(data) {
      if (pending) {
        pending = Buffer.concat([pending, Buffer.from(data)]);
        return;
      }
      const written = socket.write(data);
      // Negative on a closed socket, whose close handler fails the exchange.
      if (written >= 0 && written < Buffer.byteLength(data)) pending = Buffer.from(data).subarray(written);
    },
    busy: () => socket.ref(),
    idle: () => socket.unref(),
    destroy() {
      socket.terminate();
      ending.close(undefined);
    },
    get destroyed() {
      return ending.closed;
    },
  };
}

async function openNodeWire(host: string, port: number, events: WireEvents): Promise<Wire> {
  const { connect } = await import('node:net');
  const socket = connect({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
  const ending = closedOnce(events);
  socket.on('data', (chunk: Buffer) => events.data(chunk));
  socket.on('error', (error) => ending.close(error));
  socket.on('close', () => ending.close(undefined));
  return {
    write: (data) => void socket.write(data),
    busy: () => socket.ref(),
    idle: () => socket.unref(),
    destroy() {
      socket.destroy();
      ending.close(undefined);
    },
    get destroyed() {
      return ending.closed || socket.destroyed;
    },
  };
}
