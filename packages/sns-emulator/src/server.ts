import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { internalError, requestEntityTooLarge, SnsError } from './errors.ts';
import { createSnsService } from './service.ts';
import type { SnsService, SnsServiceOptions } from './types.ts';
import { errorResponse } from './xml.ts';

/**
 * The SNS service on its own loopback HTTP server: for tests, and for running SNS without the edge.
 * The edge does the same job for all three APIs on one port.
 */

export interface SnsServerOptions extends Omit<SnsServiceOptions, 'publicUrl'> {
  /** Default: the server's own URL. */
  publicUrl?: () => string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest request body accepted; default 2 MiB (a 256 KB batch, percent-encoded, fits). */
  maxBodyBytes?: number;
}

export interface SnsServer {
  readonly url: string;
  readonly port: number;
  readonly service: SnsService;
  /** Closes the service (waiting for deliveries in progress), then the server; safe to call twice. */
  close(): Promise<void>;
}

export class SnsServerError extends SnsError {
  override name = 'SnsServerError';
}

class BodyTooLargeError extends SnsError {
  override name = 'BodyTooLargeError';
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`request body over ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new SnsServerError(`SNS server cannot listen on ${host}:${port}: ${error.message}`, { cause: error }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startSnsServer(options: SnsServerOptions): Promise<SnsServer> {
  const host = options.host ?? '127.0.0.1';
  const limit = options.maxBodyBytes ?? 2 * 1024 * 1024;
  let url = '';
  const { port: _port, host: _host, maxBodyBytes: _max, publicUrl, ...serviceOptions } = options;
  const service = createSnsService({ ...serviceOptions, publicUrl: publicUrl ?? (() => url) });
  const server = createServer((req, res) => {
    readBody(req, limit)
      .then((body) => service.handle(req, res, body))
      .catch((error: unknown) => {
        const tooLarge = error instanceof BodyTooLargeError;
        const apiError = tooLarge
          ? requestEntityTooLarge('Request body too large', { cause: error })
          : internalError({ cause: error });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const body = errorResponse(apiError, 'none');
        res.writeHead(apiError.httpStatus, { 'Content-Type': 'text/xml', Connection: 'close' });
        res.end(body);
      });
  });
  let port: number;
  try {
    port = await listen(server, options.port ?? 0, host);
  } catch (error) {
    await service.close();
    throw error;
  }
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    service,
    close() {
      closing ??= (async () => {
        await service.close();
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
