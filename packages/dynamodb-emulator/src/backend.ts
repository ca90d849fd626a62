import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { DynamoProtocolError } from './errors.ts';

/** dynalite's answer to one request: status, headers and body as dynalite sent them. */
export interface BackendReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An http.Server 'request' listener, as dynalite's server registers it. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const SHORT_TYPE = /#?([A-Za-z]+)$/;

/** The short error name of a DynamoDB JSON error body, e.g. `ConditionalCheckFailedException`. */
export function errorType(body: Record<string, unknown>): string | undefined {
  const type = body.__type;
  return typeof type === 'string' ? SHORT_TYPE.exec(type)?.[1] : undefined;
}

/**
 * dynalite through its public interface, its HTTP request handler, called in this process as
 * Node's http server calls it: a request stream (headers, method, url, body) and a response that
 * collects what dynalite sets and sends. This skips a loopback TCP hop and a second HTTP parse per
 * request (it doubled the layer's request rate). `forward` replays a client's request as it came;
 * `call` is the emulator's own request (dynalite wants a SigV4-shaped Authorization header but
 * never checks the signature).
 */
export class Backend {
  constructor(private readonly listener: RequestListener) {}

  forward(headers: IncomingHttpHeaders, body: Buffer, url = '/'): Promise<BackendReply> {
    return this.send(url, { ...headers, 'content-length': String(body.length) }, body);
  }

  /** One operation; a 200 answer's JSON, or a DynamoProtocolError carrying dynalite's error. */
  async call(operation: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const body = Buffer.from(JSON.stringify(params));
    const reply = await this.send(
      '/',
      {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(body.length),
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'x-amz-date': '20000101T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=emulator/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body,
    );
    const data = parseJson(reply.body);
    if (reply.status === 200) return data;
    const message = data.message ?? data.Message;
    throw new DynamoProtocolError(
      errorType(data) ?? 'InternalServerError',
      typeof message === 'string' ? message : `dynalite answered ${reply.status} to ${operation}`,
      {},
      reply.status,
    );
  }

  private send(url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<BackendReply> {
    return new Promise((resolve, reject) => {
      // The part of IncomingMessage dynalite uses (headers, method, url; 'data' and 'end'
      // events): an emitter, not a stream, as the body is whole already.
      const req = Object.assign(new EventEmitter(), { headers, method: 'POST', url });
      const res = new CollectedResponse(resolve);
      try {
        this.listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      } catch (error) {
        reject(error);
        return;
      }
      process.nextTick(() => {
        try {
          if (body.length > 0) req.emit('data', body);
          req.emit('end');
        } catch (error) {
          reject(error);
        }
      });
    });
  }
}

/** The part of ServerResponse dynalite uses (statusCode, setHeader, end), collected into a BackendReply. */
class CollectedResponse {
  statusCode = 200;
  private readonly headers: IncomingHttpHeaders = {};

  constructor(private readonly done: (reply: BackendReply) => void) {}

  setHeader(name: string, value: number | string | readonly string[]): this {
    this.headers[name.toLowerCase()] = typeof value === 'number' ? String(value) : (value as string);
    return this;
  }

  getHeader(name: string): unknown {
    return this.headers[name.toLowerCase()];
  }

  removeHeader(name: string): void {
    delete this.headers[name.toLowerCase()];
  }

  end(chunk?: string | Buffer): this {
    const body = chunk === undefined ? Buffer.alloc(0) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    this.done({ status: this.statusCode, headers: this.headers, body });
    return this;
  }
}

export function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
