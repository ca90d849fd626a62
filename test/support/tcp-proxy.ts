import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A real TCP proxy on a loopback port, for outages that are not mocks: `cut()` stops listening and
 * resets every open connection, so clients see ECONNREFUSED (new connections) and ECONNRESET (kept-
 * alive ones) exactly as when a service goes away; `restore()` listens again on the same port.
 * The target is read at each new connection, so the proxy can be started before what it fronts.
 */
export interface TcpProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** True between `cut()` and `restore()`. */
  readonly down: boolean;
  /** Connections accepted so far, and connection attempts refused while down are not counted (the kernel refuses them). */
  readonly stats: { accepted: number; reset: number; cuts: number };
  setTarget(port: number, host?: string): void;
  /** Refuses new connections and resets open ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(
  options: { targetPort?: number; targetHost?: string } = {},
): Promise<TcpProxy> {
  let target = { port: options.targetPort ?? 0, host: options.targetHost ?? '127.0.0.1' };
  const sockets = new Set<Socket>();
  const stats = { accepted: 0, reset: 0, cuts: 0 };
  let down = false;
  let closed = false;

  const onConnection = (client: Socket) => {
    stats.accepted += 1;
    const upstream = createConnection({ port: target.port, host: target.host });
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = (server: Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });

  let server = createServer(onConnection);
  await listen(server, 0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) {
        // A reset, not a polite FIN: the peer sees the connection die, as when a process is killed.
        socket.resetAndDestroy();
        stats.reset += 1;
      }
      sockets.clear();
    });

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get down() {
      return down;
    },
    stats,
    setTarget(targetPort, host = '127.0.0.1') {
      target = { port: targetPort, host };
    },
    async cut() {
      if (down || closed) return;
      down = true;
      stats.cuts += 1;
      await stop();
    },
    async restore() {
      if (!down || closed) return;
      server = createServer(onConnection);
      await listen(server, port);
      down = false;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!down) await stop();
    },
  };
}
