// The emulator's calls to dynalite's engine (engine.ts): a client's request replayed, or an operation of its own.
import type { IncomingHttpHeaders } from 'node:http';
import type { BackendReply, Engine } from './engine.ts';
import { DynamoProtocolError } from './errors.ts';

export type { BackendReply } from './engine.ts';

const SHORT_TYPE = /#?([A-Za-z]+)$/;

/** The short error name of a DynamoDB JSON error body, e.g. `ConditionalCheckFailedException`. */
export function errorType(body: Record<string, unknown>): string | undefined {
  const type = body.__type;
  return typeof type === 'string' ? SHORT_TYPE.exec(type)?.[1] : undefined;
}

/**
 * dynalite's engine (engine.ts), called in this process with a request's headers and body: no
 * loopback TCP hop and no second HTTP parse per request. `forward` replays a client's request as it
 * came; `call` is the emulator's own request (dynalite wants a SigV4-shaped Authorization header but
 * never checks the signature).
 */
export class Backend {
  constructor(private readonly engine: Engine) {}

  forward(headers: IncomingHttpHeaders, body: Buffer, url = '/'): Promise<BackendReply> {
    return this.engine.serve(headers, body, url);
  }

  /** One operation; a 200 answer's JSON, or a DynamoProtocolError carrying dynalite's error. */
  async call(operation: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const body = Buffer.from(JSON.stringify(params));
    const reply = await this.engine.serve(CALL_HEADERS[operation] ?? callHeaders(operation), body);
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
}

const CALL_HEADERS: Record<string, IncomingHttpHeaders> = {};

function callHeaders(operation: string): IncomingHttpHeaders {
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `DynamoDB_20120810.${operation}`,
    'x-amz-date': '20000101T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=emulator/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  };
  CALL_HEADERS[operation] = headers;
  return headers;
}

export function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
