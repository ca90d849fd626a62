import type {
  Agent as HttpAgent,
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
} from 'node:http';
import type { Socket } from 'node:net';

/**
 * One HTTP exchange with AWS over Node's `http`/`https` and a keep-alive agent, with SDK v3's
 * node-http-handler timeouts: `connectionMs` to connect, `requestMs` of silence on the socket (also
 * while a response body streams), each failing with a `TimeoutError`. The modules load with the first
 * request: init opens nothing and loads no TLS it does not use.
 */

export interface AwsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it arrives: read it whole (`readText`) or stream it; the socket timeout still applies. */
  body: IncomingMessage;
}

export type Transport = { request: typeof import('node:http').request; agent: HttpAgent };

/** The transport of a protocol (`http:` or `https:`), its module loaded on first use. */
export function loadTransport(protocol: string): Promise<Transport> {
  return (protocol === 'https:' ? import('node:https') : import('node:http')).then((m) => ({
    request: m.request as typeof import('node:http').request,
    agent: new m.Agent({ keepAlive: true, maxSockets: 50 }),
  }));
}

export async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** A signed request, ready to send. */
export interface Exchange {
  url: URL;
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: OutgoingHttpHeaders;
  body?: string | Uint8Array;
  connectionMs: number;
  requestMs: number;
  /** Abandons the exchange (the socket is destroyed): SDK v3's `abortSignal`. */
  signal?: AbortSignal;
}

/** Sends one request; resolves with the response (body unread), rejects on a network error or a timeout. */
export function exchange(transport: Transport, x: Exchange): Promise<AwsResponse> {
  const { request: send, agent } = transport;
  const { url, body, requestMs, connectionMs } = x;
  return new Promise<AwsResponse>((resolve, reject) => {
    const req = send(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port || undefined,
        method: x.method,
        path: x.path,
        headers: x.headers,
        agent,
        ...(x.signal ? { signal: x.signal } : {}),
      },
      (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    req.on('error', reject);
    let response: IncomingMessage | undefined;
    req.once('response', (res: IncomingMessage) => {
      response = res;
    });
    // SDK v3's socket timeout (`requestMs`): this long without a byte either way fails the request,
    // or the body being streamed, with a TimeoutError; but not while the body's reader is behind.
    const onIdle = () => {
      if (response?.complete) return;
      if (response && response.readableLength > 0) {
        // Bytes wait unread: the silence is the reader's (backpressure while it writes what it
        // read), not the server's. Wait another period.
        response.socket?.setTimeout(requestMs);
        return;
      }
      const error = Object.assign(new Error(`Connection timed out after ${requestMs} ms of inactivity`), {
        name: 'TimeoutError',
      });
      response?.destroy(error);
      req.destroy(error);
    };
    const watch = (socket: Socket) => {
      socket.setTimeout(requestMs, onIdle);
      req.once('close', () => {
        socket.removeListener('timeout', onIdle);
        socket.setTimeout(0);
      });
    };
    req.on('socket', (socket) => {
      if (!socket.connecting) return watch(socket);
      // SDK v3's connectionTimeout: the socket must connect in time.
      const timer = setTimeout(() => {
        req.destroy(
          Object.assign(
            new Error(`Socket timed out without establishing a connection within ${connectionMs} ms`),
            {
              name: 'TimeoutError',
            },
          ),
        );
      }, connectionMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        watch(socket);
      });
      socket.once('close', () => clearTimeout(timer));
    });
    req.end(body === undefined ? undefined : body);
  });
}
