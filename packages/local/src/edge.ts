import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from '@eventline/core';
import type { LambdaInvokeRoute } from '@eventline/lambda-emulator';
import { installS3ServerQuirks } from '@eventline/s3-emulator';
import { isLoopbackName } from './loopback.ts';

/**
 * The edge: one loopback port that speaks S3, DynamoDB and SNS, so that
 * `AWS_ENDPOINT_URL=http://127.0.0.1:4566` points any AWS client at the whole stack.
 * Dispatch is by what the request is, as AWS's own front ends would see it:
 * - `X-Amz-Target: DynamoDB_20120810.*` → the DynamoDB emulator (dynalite plus a layer; proxied);
 * - SQS (`X-Amz-Target: AmazonSQS.*`, the Query API with SQS's `Version`, a SigV4 scope of `sqs`, or
 *   a queue URL path) → the SQS emulator (@eventline/sqs-emulator), mounted as its README says;
 * - the SNS Query API (form body or query string with an SNS `Action`, or a SigV4 scope of `sns`)
 *   → the project's SNS service;
 * - Lambda's Invoke (`POST /2015-03-31/functions/{name}/invocations`) → the stack's function
 *   (@eventline/lambda-emulator's invoke-api.ts);
 * - `/_eventline/*` → the stack's own admin API (and `/_console` the console page);
 * - anything else → the project's S3 emulator, handed the request as it came (`req.url` untouched, the
 *   body streamed: uploads of any size are never buffered). It checks S3 signatures itself.
 * Every request is counted by service and operation (benchmarks read the counts).
 */

export type Service = 's3' | 'dynamodb' | 'sns' | 'sqs' | 'lambda' | 'admin';

export interface EdgeRoutes {
  /** The S3 emulator; it verifies S3's signatures itself (SigV4, presigned, signed chunks, SigV2). */
  s3: { handle(req: IncomingMessage, res: ServerResponse): Promise<void> };
  dynamoPort: number;
  sns: {
    isSnsRequest(req: IncomingMessage, body: Buffer): boolean;
    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
  };
  sqs?: {
    isSqsRequest(req: IncomingMessage, body?: Buffer): boolean;
    handle(req: IncomingMessage, res: ServerResponse, body?: Buffer): Promise<void>;
  };
  /** Lambda's Invoke API for the stack's function. */
  lambda?: LambdaInvokeRoute;
  /** Handles `/_eventline/*` and `/_console*`; returns false when it does not know the path. */
  admin?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Checks a DynamoDB or SNS request's signature before it is served (enforceAuth); returns a reason to refuse. */
  authorize?: (
    req: IncomingMessage,
    body: Buffer | undefined,
  ) => string | undefined | Promise<string | undefined>;
}

export interface Edge {
  server: Server;
  port: number;
  url: string;
  counts(): Record<string, number>;
  resetCounts(): void;
  close(): Promise<void>;
}

const MAX_BUFFERED = 32 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BUFFERED) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function proxy(req: IncomingMessage, res: ServerResponse, port: number, body?: Buffer): void {
  const upstream = httpRequest(
    {
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers: body ? { ...req.headers, 'content-length': String(body.length) } : req.headers,
    },
    (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
    },
  );
  // A client that goes away must not leave the request to the emulator hanging.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.on('error', (error) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`edge: upstream unavailable: ${error.message}`);
    } else {
      res.destroy(error);
    }
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}

/** The request again, its body (already read by the edge) to be read once more. */
function withBody(req: IncomingMessage, body: Buffer): IncomingMessage {
  const replay = Readable.from([body]) as unknown as IncomingMessage;
  Object.assign(replay, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    socket: req.socket,
  });
  return replay;
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0] ?? '';
}

/**
 * Refuses what a web page could make a browser send to a loopback port: a request whose Host is
 * not loopback (DNS rebinding) or whose Origin is another site (cross-site forms, images).
 */
function foreignRequest(req: IncomingMessage, anyHost: boolean): string | undefined {
  if (!anyHost && !isLoopbackName(hostnameOf(req.headers.host ?? ''))) {
    return `Host "${req.headers.host ?? ''}" is not a loopback name; use 127.0.0.1 or localhost`;
  }
  const origin = req.headers.origin;
  if (origin && origin !== 'null') {
    let originHost = '';
    try {
      originHost = new URL(origin).hostname;
    } catch {
      return `unreadable Origin "${origin}"`;
    }
    if (!isLoopbackName(originHost)) return `requests from ${origin} are not accepted`;
  } else if (origin === 'null') {
    return 'requests from opaque origins are not accepted';
  }
  return undefined;
}

/** SNS actions a person may open as a link (from a confirmation mail or message): unsigned GET. */
const LINK_ACTIONS = new Set(['ConfirmSubscription', 'Unsubscribe']);

function awsError(
  res: ServerResponse,
  status: number,
  service: Service,
  code: string,
  message: string,
): void {
  if (service === 'sqs') {
    // AWS JSON 1.0, as SDK v3 and current botocore speak it; botocore reads the query code from the header.
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': `${code};Sender`,
    });
    res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }));
    return;
  }
  if (service === 'lambda') {
    // REST-JSON: the code travels in a header.
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code });
    res.end(JSON.stringify({ Type: 'User', message }));
    return;
  }
  if (service === 'dynamodb') {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message }));
    return;
  }
  const text = message.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));
  res.writeHead(status, { 'content-type': service === 'sns' ? 'text/xml' : 'application/xml' });
  if (service === 'sns') {
    // The Query protocol's error shape, so SDK clients see the code (e.g. InvalidClientTokenId).
    res.end(
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${text}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
    return;
  }
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${text}</Message></Error>`,
  );
}

export async function startEdge(options: {
  host: string;
  port: number;
  routes: EdgeRoutes;
  logger: Logger;
  /** Accept any Host (the edge is bound to a non-loopback address, with authentication on). */
  anyHost?: boolean;
}): Promise<Edge> {
  const { routes, logger } = options;
  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('edge: request failed', {
        method: req.method,
        url: req.url,
        error: (error as Error).message,
      });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      } else {
        res.destroy();
      }
    });
  });

  // As S3: an Expect other than 100-continue is served, an unparsable request gets an XML error body.
  installS3ServerQuirks(server);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://edge');
    const foreign = foreignRequest(req, options.anyHost ?? false);
    if (foreign) {
      count('refused');
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`eventline edge: ${foreign}\n`);
      return;
    }
    if (
      url.pathname.startsWith('/_eventline/') ||
      url.pathname.startsWith('/_console') ||
      url.pathname === '/_health'
    ) {
      count('admin');
      if (routes.admin && (await routes.admin(req, res, url))) return;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `no such path: ${url.pathname}` }));
      return;
    }
    if (routes.lambda?.isLambdaRequest(req) && !/\/s3\/aws4_request/.test(req.headers.authorization ?? '')) {
      const body = await readBody(req);
      count('lambda:Invoke');
      const refusal = await routes.authorize?.(req, body);
      if (refusal) return awsError(res, 403, 'lambda', 'UnrecognizedClientException', refusal);
      await routes.lambda.handle(req, res, body);
      return;
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('DynamoDB_')) {
      const body = await readBody(req);
      count(`dynamodb:${target.split('.')[1] ?? '?'}`);
      const refusal = await routes.authorize?.(req, body);
      if (refusal) return awsError(res, 400, 'dynamodb', 'UnrecognizedClientException', refusal);
      proxy(req, res, routes.dynamoPort, body);
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    const authorization = req.headers.authorization ?? '';
    if (routes.sqs) {
      const isForm = contentType.startsWith('application/x-www-form-urlencoded');
      // Only bodies that can name an SQS action are read: S3 uploads stream through untouched.
      const mayBeSqs =
        (typeof target === 'string' && target.startsWith('AmazonSQS.')) ||
        /\/sqs\/aws4_request/.test(authorization) ||
        (req.method === 'POST' && isForm && !/\/s3\/aws4_request/.test(authorization)) ||
        routes.sqs.isSqsRequest(req);
      if (mayBeSqs) {
        const body = await readBody(req);
        if (routes.sqs.isSqsRequest(req, body)) {
          const action =
            typeof target === 'string' && target.startsWith('AmazonSQS.')
              ? target.slice('AmazonSQS.'.length)
              : (url.searchParams.get('Action') ??
                new URLSearchParams(body.toString('utf8')).get('Action') ??
                '?');
          count(`sqs:${action}`);
          const refusal = await routes.authorize?.(req, body);
          if (refusal) return awsError(res, 403, 'sqs', 'InvalidClientTokenId', refusal);
          await routes.sqs.handle(req, res, body);
          return;
        }
        return afterSqs(req, res, url, body);
      }
    }
    return afterSqs(req, res, url, undefined);
  }

  /** SNS and S3: what is not SQS. `read` is the body when the SQS check had to read it. */
  async function afterSqs(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    read: Buffer | undefined,
  ): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    const authorization = req.headers.authorization ?? '';
    const looksSns =
      /\/sns\/aws4_request/.test(authorization) ||
      (req.method === 'POST' &&
        url.pathname === '/' &&
        contentType.startsWith('application/x-www-form-urlencoded')) ||
      (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('Action')) ||
      url.pathname.startsWith('/_sns/');
    if (looksSns || read) {
      const body = read ?? (await readBody(req));
      if (routes.sns.isSnsRequest(req, body) || url.pathname.startsWith('/_sns/')) {
        const action =
          url.searchParams.get('Action') ?? new URLSearchParams(body.toString('utf8')).get('Action') ?? '?';
        count(`sns:${action}`);
        if (
          req.method === 'GET' &&
          !url.pathname.startsWith('/_sns/') &&
          !LINK_ACTIONS.has(action) &&
          !url.searchParams.has('X-Amz-Signature')
        ) {
          return awsError(
            res,
            403,
            'sns',
            'InvalidClientTokenId',
            `${action} must be sent signed (POST), not as a link`,
          );
        }
        const linkAction = req.method === 'GET' && LINK_ACTIONS.has(action);
        const refusal =
          url.pathname.startsWith('/_sns/') || linkAction ? undefined : await routes.authorize?.(req, body);
        if (refusal) return awsError(res, 403, 'sns', 'InvalidClientTokenId', refusal);
        await routes.sns.handle(req, res, body);
        return;
      }
      count(`s3:${req.method}`);
      await routes.s3.handle(withBody(req, body), res);
      return;
    }
    count(`s3:${req.method}`);
    await routes.s3.handle(req, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    counts: () => Object.fromEntries(counts),
    resetCounts: () => counts.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
