import { createServer, type IncomingHttpHeaders, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

/**
 * A real HTTP proxy in front of a DynamoDB endpoint (dynalite) that throttles BatchWriteItem the
 * way DynamoDB does, to provoke the ledger's retries for real:
 * - `unprocessed`: the first half of each table's write requests is forwarded and written, the
 *   rest comes back in `UnprocessedItems` of a valid 200 response (DynamoDB's partial success);
 * - `throttle`: a 400 `ProvisionedThroughputExceededException`, nothing written.
 * `times` says how many BatchWriteItem requests are treated so (Infinity: all). Under `unprocessed`
 * a request of one item gets the exception, as DynamoDB answers when it can process none of a
 * batch. Every other request is forwarded untouched. Counters say what happened.
 */

export type ThrottleMode = 'unprocessed' | 'throttle';

export interface ThrottlePlan {
  mode: ThrottleMode;
  times: number;
}

export interface ThrottleStats {
  /** BatchWriteItem requests received. */
  batchWrites: number;
  /** Put requests in the BatchWriteItem requests received (items the client asked to write). */
  batchPuts: number;
  /** Responses that carried UnprocessedItems made by the proxy. */
  unprocessedResponses: number;
  /** Write requests handed back unprocessed, in total. */
  itemsLeftUnprocessed: number;
  /** ProvisionedThroughputExceededException responses. */
  throttledResponses: number;
  /** Requests forwarded to the endpoint (whole or in part). */
  forwarded: number;
}

export interface ThrottlingProxy {
  url: string;
  stats: ThrottleStats;
  /** Replaces the plan (and keeps the counters). */
  plan(next: ThrottlePlan): void;
  close(): Promise<void>;
}

interface WriteRequest {
  PutRequest?: unknown;
  DeleteRequest?: unknown;
}
interface BatchWriteBody {
  RequestItems: Record<string, WriteRequest[]>;
  [other: string]: unknown;
}

const BATCH_WRITE = 'DynamoDB_20120810.BatchWriteItem';
const THROTTLED = {
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
};

function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

/** Sends a DynamoDB JSON response with the headers DynamoDB sets (length and CRC32 of the body). */
function answer(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': bytes.length,
    'x-amz-crc32': String(crc32(bytes)),
    'x-amzn-requestid': `throttling-proxy-${Date.now()}`,
  });
  res.end(bytes);
}

export async function startThrottlingProxy(options: {
  target: string;
  plan?: ThrottlePlan;
}): Promise<ThrottlingProxy> {
  const target = new URL(options.target);
  let plan: ThrottlePlan = options.plan ?? { mode: 'unprocessed', times: 0 };
  const stats: ThrottleStats = {
    batchWrites: 0,
    batchPuts: 0,
    unprocessedResponses: 0,
    itemsLeftUnprocessed: 0,
    throttledResponses: 0,
    forwarded: 0,
  };

  function forward(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    stats.forwarded += 1;
    const { host: _host, 'content-length': _length, ...rest } = headers;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          method,
          path,
          headers: { ...rest, host: target.host, 'content-length': body.length },
        },
        (res) => {
          readBody(res).then(
            (data) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: data }),
            reject,
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function handle(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    res: ServerResponse,
  ) {
    const batchWrite = headers['x-amz-target'] === BATCH_WRITE;
    if (batchWrite) {
      stats.batchWrites += 1;
      const { RequestItems } = JSON.parse(body.toString('utf8')) as BatchWriteBody;
      for (const writes of Object.values(RequestItems)) {
        stats.batchPuts += writes.filter((w) => w.PutRequest).length;
      }
    }
    if (batchWrite && plan.times > 0) {
      const request = JSON.parse(body.toString('utf8')) as BatchWriteBody;
      const size = Object.values(request.RequestItems).reduce((sum, writes) => sum + writes.length, 0);
      if (plan.mode === 'throttle' || size <= 1) {
        plan.times -= 1;
        stats.throttledResponses += 1;
        answer(res, 400, THROTTLED);
        return;
      }
      const kept: Record<string, WriteRequest[]> = {};
      const left: Record<string, WriteRequest[]> = {};
      let leftCount = 0;
      for (const [table, writes] of Object.entries(request.RequestItems)) {
        const keep = Math.ceil(writes.length / 2);
        kept[table] = writes.slice(0, keep);
        if (writes.length > keep) {
          left[table] = writes.slice(keep);
          leftCount += writes.length - keep;
        }
      }
      if (leftCount > 0) {
        plan.times -= 1;
        const partial = Buffer.from(JSON.stringify({ ...request, RequestItems: kept }));
        const response = await forward(method, path, headers, partial);
        if (response.status !== 200) {
          res.writeHead(response.status, response.headers);
          res.end(response.body);
          return;
        }
        const parsed = JSON.parse(response.body.toString('utf8')) as {
          UnprocessedItems?: Record<string, WriteRequest[]>;
        };
        const unprocessed: Record<string, WriteRequest[]> = { ...(parsed.UnprocessedItems ?? {}) };
        for (const [table, writes] of Object.entries(left)) {
          unprocessed[table] = [...(unprocessed[table] ?? []), ...writes];
        }
        stats.unprocessedResponses += 1;
        stats.itemsLeftUnprocessed += leftCount;
        answer(res, 200, { ...parsed, UnprocessedItems: unprocessed });
        return;
      }
    }
    const response = await forward(method, path, headers, body);
    res.writeHead(response.status, response.headers);
    res.end(response.body);
  }

  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(req.method ?? 'POST', req.url ?? '/', req.headers, body, res))
      .catch((error: unknown) => {
        if (!res.headersSent) answer(res, 500, { __type: 'InternalFailure', message: String(error) });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    plan(next) {
      plan = { ...next };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
