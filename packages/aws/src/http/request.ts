import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  type Credentials,
  configuredEndpoint,
  credentialsFrom,
  encodeUri,
  regionOf,
  requestUrl,
} from './endpoint.ts';
import { type ErrorParser, header } from './errors.ts';
import {
  backoffMs,
  defaultMaxAttempts,
  honourRetryAfter,
  isThrottling,
  isTransient,
  RetryQuota,
  retryAfterAt,
} from './retry-policy.ts';
import { type AwsResponse, exchange, loadTransport, readText, type Transport } from './transport.ts';

/**
 * Signed requests to AWS without SDK v3, for the Lambda entry's hot path (see `clients.ts` here):
 * SigV4 by `@smithy/signature-v4` (the SDK's own signer, alone), and SDK v3's settings and behaviour
 * where the pipeline depends on them, one concern a module: where and as whom (endpoint.ts), when to
 * retry (retry-policy.ts, pure), the HTTP exchange and its timeouts (transport.ts), the errors
 * (errors.ts). The requester here composes them: sign, send, read an error, retry.
 */

export interface RequestSettings {
  region?: string;
  /** Overrides every service's endpoint (tests); otherwise AWS_ENDPOINT_URL* as SDK v3 reads them. */
  endpoint?: string;
  credentials?: Credentials;
  maxAttempts?: number;
  env?: NodeJS.ProcessEnv;
  timeouts?: { connectionMs?: number; requestMs?: number };
}

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

/** Waits `ms`, or less when `signal` aborts (the next try then sees it aborted). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** SDK v3's error for an aborted request: not retried (retry-policy.ts). */
const abortError = (request: AwsRequest) =>
  Object.assign(new Error(`${request.service} request aborted (its abort signal fired)`), {
    name: 'AbortError',
  });

/** SHA-256 and HMAC for the signer, from `node:crypto`. */
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

/** Sends requests to one region with one set of settings: the clients of `clients.ts` share one. */
export class AwsRequester {
  readonly region: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly maxAttempts: number | undefined;
  private readonly connectionMs: number;
  private readonly requestMs: number;
  private readonly signers = new Map<string, SignatureV4>();
  private readonly transports = new Map<string, Promise<Transport>>();
  private readonly quota = new RetryQuota();

  constructor(private readonly settings: RequestSettings = {}) {
    this.env = settings.env ?? process.env;
    this.region = regionOf(settings.region, this.env);
    this.maxAttempts = settings.maxAttempts;
    this.connectionMs = settings.timeouts?.connectionMs ?? 3_000;
    this.requestMs = settings.timeouts?.requestMs ?? 20_000;
  }

  /** The endpoint configured for a service (explicit, then `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`). */
  configuredEndpoint(service: string): string | undefined {
    return configuredEndpoint(this.settings.endpoint, this.env, service);
  }

  /** Where a request goes (endpoint.ts `requestUrl`). */
  url(request: AwsRequest): { origin: URL; path: string; href: string } {
    return requestUrl(this.configuredEndpoint(request.service), this.region, request);
  }

  private signer(service: string): SignatureV4 {
    let signer = this.signers.get(service);
    if (!signer) {
      signer = new SignatureV4({
        service,
        region: this.region,
        credentials: async () => credentialsFrom(this.settings.credentials, this.env),
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
      transport = loadTransport(protocol);
      this.transports.set(protocol, transport);
    }
    return transport;
  }

  /**
   * Sends a request, retried as SDK v3's standard mode retries (retry-policy.ts); an error response is
   * read and thrown by `parseError`. The response of a success is returned unread. `signal` ends it
   * as SDK v3's `abortSignal` does: the try in flight is abandoned, no other starts (AbortError).
   */
  async send(request: AwsRequest, parseError: ErrorParser, signal?: AbortSignal): Promise<AwsResponse> {
    const maxAttempts = this.maxAttempts ?? defaultMaxAttempts(request.service);
    let totalRetryDelay = 0;
    let retryCost = 0;
    for (let attempt = 1; ; attempt++) {
      let headers: IncomingHttpHeaders | undefined;
      try {
        if (signal?.aborted) throw abortError(request);
        const response = await this.attempt(request, signal);
        if (response.status >= 300) {
          headers = response.headers;
          const text = await readText(response.body);
          throw parseError(response.status, response.headers, text);
        }
        this.quota.refund(retryCost);
        return response;
      } catch (error) {
        if (signal?.aborted) throw abortError(request);
        const meta = (error as { $metadata?: Record<string, unknown> }).$metadata;
        if (meta) Object.assign(meta, { attempts: attempt, totalRetryDelay });
        const throttled = isThrottling(error);
        if (attempt >= maxAttempts || !(throttled || isTransient(error))) throw error;
        const cost = this.quota.take(throttled);
        if (cost === undefined) throw error;
        retryCost = cost;
        const now = Date.now();
        const after = retryAfterAt(headers ? header(headers, 'retry-after') : undefined, now);
        const delay = honourRetryAfter(backoffMs(attempt, throttled, request.service), after, now);
        totalRetryDelay += delay;
        await sleep(delay, signal);
      }
    }
  }

  private async attempt(request: AwsRequest, signal?: AbortSignal): Promise<AwsResponse> {
    const { origin: url, path } = this.url(request);
    const transport = await this.transport(url.protocol);
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
    return exchange(transport, {
      url,
      method: request.method,
      path: `${path}${search ? `?${search}` : ''}`,
      headers: signed.headers,
      ...(body === undefined ? {} : { body }),
      connectionMs: this.connectionMs,
      requestMs: this.requestMs,
      ...(signal ? { signal } : {}),
    });
  }
}
