import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runAction } from './api.ts';
import { type RequestContext, SnsBackend } from './backend.ts';
import { CERT_PATH, DEFAULT_DELIVERY, INTERNAL_PATH_PREFIX, SNS_ACTIONS } from './constants.ts';
import { DeliveryDispatcher } from './delivery/dispatcher.ts';
import { EmailSender } from './delivery/email.ts';
import { HttpPoster } from './delivery/http.ts';
import { internalError, invalidAction, SnsApiError } from './errors.ts';
import { NotificationLog } from './notification-log.ts';
import { QueryParams } from './query.ts';
import { createSigner } from './signing.ts';
import { SnsStore } from './store.ts';
import type { Logger, Protocol, SnsService, SnsServiceOptions, SubscribeOptions } from './types.ts';
import { errorResponse, successResponse } from './xml.ts';

/**
 * The SNS service the edge mounts: HTTP in (Query protocol, POST form or GET query string), XML out,
 * plus the programmatic surface the local stack uses (createTopic, subscribe, notifications).
 */

const SILENT: Logger = { info() {}, warn() {}, error() {}, debug() {} };

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

interface Scope {
  region: string;
  service: string;
}

function scopeOf(req: IncomingMessage, url: URL): Scope | undefined {
  const header = req.headers.authorization;
  const match = header ? CREDENTIAL_SCOPE.exec(header) : undefined;
  if (match?.[1] && match[2]) return { region: match[1], service: match[2] };
  const credential = url.searchParams.get('X-Amz-Credential')?.split('/');
  if (credential && credential.length >= 5 && credential[2] && credential[3]) {
    return { region: credential[2], service: credential[3] };
  }
  return undefined;
}

const isJsonProtocol = (req: IncomingMessage): boolean =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-amz-json');

const requestUrl = (req: IncomingMessage): URL => new URL(req.url ?? '/', 'http://sns.local');

function formBody(req: IncomingMessage, body: Buffer): URLSearchParams {
  if (req.method !== 'POST' || body.length === 0 || isJsonProtocol(req)) return new URLSearchParams();
  return new URLSearchParams(body.toString('utf8'));
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  requestId: string,
): void {
  const payload = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(payload.length),
    'x-amzn-RequestId': requestId,
  });
  res.end(payload);
}

export function createSnsService(options: SnsServiceOptions): SnsService {
  const logger = options.logger ?? SILENT;
  const delivery = { ...DEFAULT_DELIVERY, ...stripUndefined(options.delivery ?? {}) };
  const events = new EventEmitter();
  const store = new SnsStore(options.dataDir);
  const log = new NotificationLog({
    historyLimit: options.historyLimit ?? 1000,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  if (log.skippedLines > 0)
    logger.warn('SNS notification log had unreadable lines (skipped)', { lines: log.skippedLines });
  const signer = createSigner({
    commonName: `eventline local SNS ${options.region}`,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  const http = new HttpPoster();
  const email = options.smtp ? new EmailSender(options.smtp, delivery.timeoutMs) : undefined;
  const dispatcher = new DeliveryDispatcher({
    retries: delivery.retries,
    retryDelayMs: delivery.retryDelayMs,
    concurrency: delivery.concurrency,
    events,
    logger,
  });
  const backend = new SnsBackend({
    region: options.region,
    ...(options.accountId ? { accountId: options.accountId } : {}),
    store,
    log,
    dispatcher,
    signer,
    http,
    email,
    ...(options.targets ? { targets: options.targets } : {}),
    publicUrl: options.publicUrl,
    events,
    logger,
    timeoutMs: delivery.timeoutMs,
    retries: delivery.retries,
    retryDelayMs: delivery.retryDelayMs,
    console: options.console === true,
  });
  const ownContext: RequestContext = { region: options.region, signed: true };

  const housekeeping = log
    .compactIfNeeded()
    .then(() => {
      const resumed = backend.resumeUnfinished();
      if (resumed > 0) logger.info('SNS resumed unfinished deliveries', { deliveries: resumed });
    })
    .catch((error: unknown) => logger.error('SNS start-up housekeeping failed', { error }));

  let closed: Promise<void> | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    let action: string | undefined;
    try {
      const url = requestUrl(req);
      if (url.pathname.startsWith(INTERNAL_PATH_PREFIX)) {
        if (url.pathname === CERT_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
          send(res, 200, 'application/x-x509-ca-cert', signer.certificatePem, requestId);
        } else {
          send(res, 404, 'text/plain; charset=utf-8', 'not found\n', requestId);
        }
        return;
      }
      if (isJsonProtocol(req)) {
        // SNS is awsQuery only today; should it move to JSON like SQS, this is where it would go.
        const refusal = invalidAction('The local SNS service speaks the Query protocol only');
        const error = { __type: refusal.code, message: refusal.message };
        res.setHeader('x-amzn-query-error', `${refusal.code};${refusal.type}`);
        send(res, 400, 'application/x-amz-json-1.0', JSON.stringify(error), requestId);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'POST') {
        throw invalidAction(`HTTP method ${req.method ?? ''} is not supported; use POST or GET`);
      }
      const params = QueryParams.fromSearchParams(url.searchParams, formBody(req, body));
      action = params.get('Action');
      const scope = scopeOf(req, url);
      const context: RequestContext = {
        region: scope?.region ?? options.region,
        signed: scope !== undefined,
      };
      const result = await runAction(backend, action, params, context);
      send(res, 200, 'text/xml', successResponse(action as string, requestId, result), requestId);
    } catch (error) {
      if (error instanceof SnsApiError) {
        logger.debug('SNS request rejected', { action, code: error.code, message: error.message });
        send(res, error.httpStatus, 'text/xml', errorResponse(error, requestId), requestId);
        return;
      }
      logger.error('SNS request failed', { action, requestId, error });
      const internal = internalError({ cause: error });
      if (!res.headersSent) send(res, 500, 'text/xml', errorResponse(internal, requestId), requestId);
      else res.destroy();
    }
  }

  function isSnsRequest(req: IncomingMessage, body: Buffer): boolean {
    const url = requestUrl(req);
    if (url.pathname.startsWith(INTERNAL_PATH_PREFIX)) return true;
    const scope = scopeOf(req, url);
    if (scope) return scope.service === 'sns';
    if (isJsonProtocol(req)) return (req.headers['x-amz-target'] ?? '').toString().startsWith('AmazonSNS');
    const action = url.searchParams.get('Action') ?? formBody(req, body).get('Action');
    return action !== null && SNS_ACTIONS.has(action);
  }

  async function close(): Promise<void> {
    closed ??= (async () => {
      await housekeeping;
      const left = await dispatcher.close(delivery.timeoutMs + 1000);
      if (left > 0) logger.warn('SNS closed with deliveries still running', { deliveries: left });
      await log.close();
      await store.flush();
      email?.close();
      http.close();
    })();
    return closed;
  }

  return {
    handle,
    isSnsRequest,
    createTopic: (name: string) => backend.createTopic(ownContext, name),
    subscribe: async (
      topicArn: string,
      protocol: Protocol,
      endpoint: string,
      subscribeOptions: SubscribeOptions = {},
    ) => {
      const result = await backend.subscribe({
        topicArn,
        protocol,
        endpoint,
        ...(subscribeOptions.attributes ? { attributes: subscribeOptions.attributes } : {}),
        returnSubscriptionArn: true,
        ...(subscribeOptions.confirmed ? { confirmed: true } : {}),
      });
      return result.subscriptionArn;
    },
    notifications: async (query) => backend.notifications(query),
    phoneMessages: async (query) => backend.phoneMessages(query),
    get signingCertificate() {
      return signer.certificatePem;
    },
    events,
    close,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
