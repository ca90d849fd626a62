import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { DynamoProtocolError } from './errors.ts';

/** dynalite's answer to one request: status, headers and body as dynalite sent them. */
export interface BackendReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const SHORT_TYPE = /#?([A-Za-z]+)$/;

/** The short error name of a DynamoDB JSON error body, e.g. `ConditionalCheckFailedException`. */
export function errorType(body: Record<string, unknown>): string | undefined {
  const type = body.__type;
  return typeof type === 'string' ? SHORT_TYPE.exec(type)?.[1] : undefined;
}

/**
 * dynalite over its public interface, HTTP on a loopback port. `forward` replays a client's
 * request as it came; `call` is the emulator's own request (dynalite wants a SigV4-shaped
 * Authorization header but never checks the signature).
 */
export class Backend {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(readonly port: number) {}

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

  close(): void {
    this.agent.destroy();
  }

  private send(path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<BackendReply> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, method: 'POST', path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
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
