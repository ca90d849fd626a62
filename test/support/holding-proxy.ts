import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP proxy in front of a DynamoDB endpoint that can hold BatchWriteItem requests in the
 * network, for the fence's test (issue 22, hole 11): while `holding`, a BatchWriteItem request is
 * parked, neither written nor answered. `release()` sends the parked requests on to the server,
 * except those whose client already gave up (closed the connection): bytes the client abandoned
 * before they reached the server never land, as with a stalled TCP connection. Every other request
 * is forwarded at once.
 */
export interface HoldingProxy {
  readonly url: string;
  holding: boolean;
  /** BatchWriteItem requests parked so far. */
  readonly held: number;
  /** Parked requests dropped at release because their client had gone. */
  readonly dropped: number;
  /** Resolves when a BatchWriteItem request is parked. */
  waitForHeld(): Promise<void>;
  release(): Promise<void>;
  close(): Promise<void>;
}

interface Parked {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  gone: boolean;
}

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const to = new URL(target);
  const parked: Parked[] = [];
  let held = 0;
  let dropped = 0;
  let waiters: Array<() => void> = [];

  const forward = (p: Parked) => {
    const { host: _host, ...headers } = p.req.headers;
    const upstream = request(
      { host: to.hostname, port: to.port, method: p.req.method, path: p.req.url, headers },
      (answer) => {
        p.res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(p.res);
      },
    );
    upstream.on('error', () => p.res.destroy());
    upstream.end(p.body);
  };

  const server: Server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const p: Parked = { req, res, body, gone: false };
        if (proxy.holding && req.headers['x-amz-target'] === 'DynamoDB_20120810.BatchWriteItem') {
          held += 1;
          res.on('close', () => {
            if (!res.writableFinished) p.gone = true;
          });
          parked.push(p);
          for (const wake of waiters) wake();
          waiters = [];
          return;
        }
        forward(p);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const proxy: HoldingProxy = {
    url: `http://127.0.0.1:${port}`,
    holding: false,
    get held() {
      return held;
    },
    get dropped() {
      return dropped;
    },
    waitForHeld: () =>
      parked.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    async release() {
      proxy.holding = false;
      for (const p of parked.splice(0)) {
        if (p.gone) dropped += 1;
        else forward(p);
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
