import { createHash, createHmac } from 'node:crypto';
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Signed requests to AWS without SDK v3, for the Lambda entry's hot path (see `clients.ts` here):
 * SigV4 by `@smithy/signature-v4` (the SDK's own signer, alone), Node's `http`/`https` with a
 * keep-alive agent, and SDK v3's settings and behaviour where the pipeline depends on them:
 * - endpoints: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL` (unless
 *   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), then AWS's regional endpoint; an explicit `endpoint` first;
 * - credentials from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 *   `AWS_SESSION_TOKEN`: what Lambda sets), read with the first request;
 * - timeouts as SDK v3's node-http-handler: `connectionMs` to connect, `requestMs` of silence on the
 *   socket (also while a response body streams), each failing with a `TimeoutError`;
 * - retries as SDK v3's standard mode (as of @smithy/core 3.40, its 2026 retry settings):
 *   `maxAttempts` in all (DynamoDB 4, the others 3), on throttling errors (backoff base 1 s) and
 *   transient ones (timeouts, connection errors, 500/502/503/504: base 25 ms for DynamoDB, 50 ms for
 *   the others), with full jitter, capped at 20 s, no shorter than a `Retry-After` asks (up to 5 s
 *   more), drawn from a retry quota of 500 (5 a throttling retry, 14 another, refunded on success);
 *   never on other errors (4xx client errors such as ConditionalCheckFailedException, a 501...);
 * - errors as SDK v3 throws them: `name` the AWS error code, `message`, `$fault`, `$metadata`
 *   (`httpStatusCode`, `requestId`, `attempts`, `totalRetryDelay`), and the error body's own fields.
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RequestSettings {
  region?: string;
  /** Overrides every service's endpoint (tests); otherwise AWS_ENDPOINT_URL* as SDK v3 reads them. */
  endpoint?: string;
  credentials?: Credentials;
  maxAttempts?: number;
  env?: NodeJS.ProcessEnv;
  timeouts?: { connectionMs?: number; requestMs?: number };
}

/** An AWS error as SDK v3 throws it (a `ServiceException`'s fields). */
export class AwsServiceError extends Error {
  $fault: 'client' | 'server';
  $metadata: {
    httpStatusCode?: number;
    requestId?: string;
    extendedRequestId?: string;
    attempts?: number;
    totalRetryDelay?: number;
  };
  [field: string]: unknown;

  constructor(name: string, message: string, status: number, headers: IncomingHttpHeaders) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    const requestId = header(headers, 'x-amzn-requestid') ?? header(headers, 'x-amz-request-id');
    const extendedRequestId = header(headers, 'x-amz-id-2');
    this.$metadata = {
      httpStatusCode: status,
      ...(requestId ? { requestId } : {}),
      ...(extendedRequestId ? { extendedRequestId } : {}),
    };
  }
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** One request, before signing. `path` is already URI-encoded; `query` values are raw. */
export interface AwsRequest {
  method: 'GET' | 'PUT' | 'POST' | 'HEAD';
  /** SigV4's signing name and the `AWS_ENDPOINT_URL_<SERVICE>` suffix: s3, dynamodb, sns, sqs, lambda. */
  service: string;
  /** S3: the bucket the request is about, for the virtual-hosted or path-style URL. */
  bucket?: string;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface AwsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it arrives: read it whole (`text`) or stream it; the socket timeout still applies. */
  body: IncomingMessage;
}

/** Reads an error body's code and message, and any other fields it carries, by protocol. */
export type ErrorParser = (status: number, headers: IncomingHttpHeaders, body: string) => AwsServiceError;

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

type Failure = {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
};

/** SDK v3's throttling errors: 429, or a throttling code. */
export function isThrottling(error: unknown): boolean {
  const e = error as Failure;
  return (
    e?.$metadata?.httpStatusCode === 429 ||
    THROTTLING.has(e?.name ?? '') ||
    e?.$retryable?.throttling === true
  );
}

/** SDK v3's transient errors: timeouts, connection errors, 500/502/503/504, an expired signature. */
export function isTransient(error: unknown, depth = 0): boolean {
  const e = error as Failure;
  if (!e || typeof e !== 'object' || e.name === 'AbortError') return false;
  return (
    e.$retryable !== undefined ||
    TRANSIENT.has(e.name ?? '') ||
    (e.name === 'InvalidSignatureException' && Boolean(e.message?.includes('Signature expired'))) ||
    NETWORK_CODES.has(e.code ?? '') ||
    TRANSIENT_STATUS.has(e.$metadata?.httpStatusCode ?? 0) ||
    (e.cause !== undefined && depth <= 10 && isTransient(e.cause, depth + 1))
  );
}

const RETRY_QUOTA = 500;
const THROTTLING_RETRY_COST = 5;
const RETRY_COST = 14;
const THROTTLING_DELAY_MS = 1_000;
const MAX_DELAY_MS = 20_000;

/** A `Retry-After` header (seconds, or an HTTP date) as a time, for the backoff. */
function retryAfter(headers: IncomingHttpHeaders | undefined): number | undefined {
  const value = headers ? header(headers, 'retry-after') : undefined;
  if (!value) return undefined;
  const at = /^\d+$/.test(value) ? Date.now() + Number(value) * 1000 : Date.parse(value);
  return Number.isFinite(at) ? at : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret
      ? createHmac('sha256', typeof secret === 'string' ? secret : bytes(secret))
      : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {}
}

const bytes = (data: ArrayBuffer | ArrayBufferView): Uint8Array =>
  ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);

/** SDK v3's `extendedEncodeURIComponent`: RFC 3986, `!'()*` escaped too. */
export const encodeUri = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The region's DNS suffix (China's partition has its own). */
const dnsSuffix = (region: string) => (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com');

/** A bucket name usable as a host label (no dots: TLS wildcard certificates cover one label). */
const virtualHostable = (bucket: string) => /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket);

type Transport = { request: typeof import('node:http').request; agent: HttpAgent };

/** Sends requests to one region with one set of settings: the clients of `clients.ts` share one. */
export class AwsRequester {
  readonly region: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly maxAttempts: number | undefined;
  private readonly connectionMs: number;
  private readonly requestMs: number;
  private readonly signers = new Map<string, SignatureV4>();
  private readonly transports = new Map<string, Promise<Transport>>();
  private quota = RETRY_QUOTA;

  constructor(private readonly settings: RequestSettings = {}) {
    this.env = settings.env ?? process.env;
    this.region = settings.region ?? this.env.AWS_REGION ?? this.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    this.maxAttempts = settings.maxAttempts;
    this.connectionMs = settings.timeouts?.connectionMs ?? 3_000;
    this.requestMs = settings.timeouts?.requestMs ?? 20_000;
  }

  /** The endpoint configured for a service (explicit, then `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`). */
  configuredEndpoint(service: string): string | undefined {
    if (this.settings.endpoint) return this.settings.endpoint;
    const ignore = (this.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase() === 'true';
    if (ignore) return undefined;
    return this.env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || this.env.AWS_ENDPOINT_URL || undefined;
  }

  /**
   * Where a request goes: the configured endpoint (S3 path-style there), or AWS's regional one. The
   * path is kept as built, never normalized by URL: `..` and `.` are parts of an S3 key.
   */
  url(request: AwsRequest): { origin: URL; path: string; href: string } {
    const configured = this.configuredEndpoint(request.service);
    const bucketPath = request.bucket === undefined ? '' : `/${encodeUri(request.bucket)}`;
    let origin: URL;
    let path: string;
    if (configured) {
      origin = new URL(configured);
      path = `${origin.pathname.replace(/\/+$/, '')}${bucketPath}${request.path}`;
    } else if (request.bucket !== undefined && virtualHostable(request.bucket)) {
      origin = new URL(`https://${request.bucket}.s3.${this.region}.${dnsSuffix(this.region)}`);
      path = request.path;
    } else {
      origin = new URL(`https://${request.service}.${this.region}.${dnsSuffix(this.region)}`);
      path = `${bucketPath}${request.path}`;
    }
    origin.pathname = '/';
    return { origin, path, href: `${origin.origin}${path}` };
  }

  private credentials(): Credentials {
    if (this.settings.credentials) return this.settings.credentials;
    const accessKeyId = this.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = this.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw Object.assign(
        new Error(
          'AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function role)',
        ),
        { name: 'CredentialsProviderError' },
      );
    }
    const sessionToken = this.env.AWS_SESSION_TOKEN;
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }

  private signer(service: string): SignatureV4 {
    let signer = this.signers.get(service);
    if (!signer) {
      signer = new SignatureV4({
        service,
        region: this.region,
        credentials: async () => this.credentials(),
        sha256: Sha256,
        // S3 signs the path as sent; every other service signs it encoded once more.
        uriEscapePath: service !== 's3',
      });
      this.signers.set(service, signer);
    }
    return signer;
  }

  private transport(protocol: string): Promise<Transport> {
    let transport = this.transports.get(protocol);
    if (!transport) {
      // Loaded with the first request: init opens nothing and loads no TLS it does not use.
      transport = (protocol === 'https:' ? import('node:https') : import('node:http')).then((m) => ({
        request: m.request as typeof import('node:http').request,
        agent: new m.Agent({ keepAlive: true, maxSockets: 50 }),
      }));
      this.transports.set(protocol, transport);
    }
    return transport;
  }

  /**
   * Sends a request, retried as SDK v3's standard mode retries; an error response is read and
   * thrown by `parseError`. The response of a success is returned unread.
   */
  async send(request: AwsRequest, parseError: ErrorParser): Promise<AwsResponse> {
    const dynamodb = request.service === 'dynamodb';
    const maxAttempts = this.maxAttempts ?? (dynamodb ? 4 : 3);
    let totalRetryDelay = 0;
    let retryCost = 0;
    for (let attempt = 1; ; attempt++) {
      let headers: IncomingHttpHeaders | undefined;
      try {
        const response = await this.attempt(request);
        if (response.status >= 300) {
          headers = response.headers;
          const text = await readText(response.body);
          throw parseError(response.status, response.headers, text);
        }
        this.quota = Math.min(RETRY_QUOTA, this.quota + (retryCost || 1));
        return response;
      } catch (error) {
        const meta = (error as { $metadata?: Record<string, unknown> }).$metadata;
        if (meta) Object.assign(meta, { attempts: attempt, totalRetryDelay });
        const throttled = isThrottling(error);
        if (attempt >= maxAttempts || !(throttled || isTransient(error))) throw error;
        const cost = throttled ? THROTTLING_RETRY_COST : RETRY_COST;
        if (this.quota < cost) throw error;
        this.quota -= cost;
        retryCost = cost;
        const base = throttled ? THROTTLING_DELAY_MS : dynamodb ? 25 : 50;
        let delay = Math.floor(Math.random() * Math.min(base * 2 ** (attempt - 1), MAX_DELAY_MS));
        const after = retryAfter(headers);
        if (after !== undefined) delay = Math.max(delay, Math.min(after - Date.now(), delay + 5_000));
        totalRetryDelay += delay;
        await sleep(delay);
      }
    }
  }

  private async attempt(request: AwsRequest): Promise<AwsResponse> {
    const { origin: url, path } = this.url(request);
    const { request: send, agent } = await this.transport(url.protocol);
    const body = request.body;
    const signed = await this.signer(request.service).sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path,
      query: request.query ?? {},
      headers: {
        host: url.host,
        ...request.headers,
        ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
      },
      ...(body === undefined ? {} : { body }),
    });
    const search = Object.entries(request.query ?? {})
      .map(([k, v]) => `${encodeUri(k)}=${encodeUri(v)}`)
      .join('&');
    return new Promise<AwsResponse>((resolve, reject) => {
      const req = send(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port || undefined,
          method: request.method,
          path: `${path}${search ? `?${search}` : ''}`,
          headers: signed.headers,
          agent,
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
          response.socket?.setTimeout(this.requestMs);
          return;
        }
        const error = Object.assign(
          new Error(`Connection timed out after ${this.requestMs} ms of inactivity`),
          {
            name: 'TimeoutError',
          },
        );
        response?.destroy(error);
        req.destroy(error);
      };
      const watch = (socket: import('node:net').Socket) => {
        socket.setTimeout(this.requestMs, onIdle);
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
              new Error(`Socket timed out without establishing a connection within ${this.connectionMs} ms`),
              { name: 'TimeoutError' },
            ),
          );
        }, this.connectionMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          watch(socket);
        });
        socket.once('close', () => clearTimeout(timer));
      });
      req.end(body === undefined ? undefined : body);
    });
  }
}

export async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The errors of the JSON protocols (DynamoDB, SQS, Lambda): `__type` or `x-amzn-errortype`, and the body's fields. */
export function jsonError(reviver?: (key: string, value: unknown) => unknown): ErrorParser {
  return (status, headers, text) => {
    let body: Record<string, unknown> = {};
    try {
      const parsed = text ? JSON.parse(text, reviver) : {};
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      body = {};
    }
    const raw =
      header(headers, 'x-amzn-errortype') ??
      (typeof body.__type === 'string' ? body.__type : undefined) ??
      (typeof body.code === 'string' ? body.code : undefined) ??
      (typeof body.Code === 'string' ? body.Code : undefined);
    const name = raw ? sanitizeErrorCode(raw) : unknownName(status);
    const message = String(body.message ?? body.Message ?? (text.slice(0, 300) || name));
    const error = new AwsServiceError(name, message, status, headers);
    for (const [key, value] of Object.entries(body)) {
      if (key !== '__type' && key !== 'message' && key !== 'Message' && !(key in error)) error[key] = value;
    }
    return error;
  };
}

/** SDK v3's sanitizeErrorCode: `aws.protocoltests#FooError:http://...` is `FooError`. */
const sanitizeErrorCode = (raw: string) => {
  let code = raw;
  if (code.includes(':')) code = code.split(':')[0] as string;
  if (code.includes('#')) code = code.split('#')[1] as string;
  return code;
};

const unknownName = (status: number) =>
  ({ 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 412: 'PreconditionFailed', 304: 'NotModified' })[
    status
  ] ?? 'UnknownError';

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export const xmlText = (value: string) =>
  value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (XML_ENTITIES[e] as string),
  );

/** The first `<tag>` element's text in an XML document, decoded. */
export function xmlElement(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? xmlText(match[1] as string) : undefined;
}

/** The errors of the XML protocols (S3, SNS): `<Code>` and `<Message>`; `names` maps a code to SDK v3's name. */
export function xmlError(names: Record<string, string> = {}): ErrorParser {
  return (status, headers, text) => {
    const code = xmlElement(text, 'Code');
    const name = code ? (names[code] ?? code) : unknownName(status);
    const error = new AwsServiceError(name, xmlElement(text, 'Message') ?? name, status, headers);
    if (code && code !== name) error.Code = code;
    return error;
  };
}
