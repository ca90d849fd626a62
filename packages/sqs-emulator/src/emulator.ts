import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_VERSION, JSON_CONTENT_TYPE, JSON_ERROR_PREFIX, TARGET_PREFIX } from './constants.ts';
import { internalError, invalidAction, SqsApiError, SqsServerError } from './errors.ts';
import { StateLog } from './log.ts';
import { queryInput } from './query.ts';
import { SqsService } from './service.ts';
import type { ChangeListener, SqsEmulator, SqsEmulatorOptions, SqsListener } from './types.ts';
import type { Input } from './validation.ts';
import { errorXml, successXml } from './xml.ts';

/**
 * The emulator's HTTP face: tells the two protocols apart, converts Query input to the JSON
 * shape, calls the service and answers in the protocol the request came in.
 * - AWS JSON 1.0: `X-Amz-Target: AmazonSQS.<Action>`, JSON body; errors carry `__type` and
 *   `x-amzn-query-error: <code>;Sender`.
 * - Query: `Action=…` in a form body or the query string, at `/` or at a queue URL path
 *   (`/<account>/<queue>`, which names the queue unless `QueueUrl` is given); XML answers.
 */

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

/** Actions that name no queue: refused when sent to a queue URL (as AWS does). */
const ROOT_ACTIONS = new Set(['CreateQueue', 'ListQueues', 'GetQueueUrl']);

class BodyTooLargeError extends SqsServerError {
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

const isForm = (req: IncomingMessage): boolean =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

function signingService(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization ?? '';
  const match = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization);
  if (match) return match[1];
  const url = new URL(req.url ?? '/', 'http://sqs');
  const credential = url.searchParams.get('X-Amz-Credential');
  return credential?.split('/')[3];
}

export function createSqsEmulator(options: SqsEmulatorOptions): SqsEmulator {
  const warn = options.warn ?? ((message, details) => console.warn(message, details ?? ''));
  const listeners = new Set<ChangeListener>();
  const servers = new Set<Server>();
  let listenUrl: string | undefined;
  const endpoint = (): string => {
    if (typeof options.endpoint === 'function') return options.endpoint();
    if (options.endpoint) return options.endpoint;
    if (listenUrl) return listenUrl;
    return `http://sqs.${options.region}.localhost`;
  };
  let service: SqsService | undefined;
  const log = new StateLog(
    options.dataDir,
    () => service?.snapshot() ?? [],
    () => service?.liveRecords() ?? 0,
    options.compaction,
  );
  service = new SqsService({
    region: options.region,
    accountId: options.accountId,
    endpoint,
    log,
    warn,
    emit: (event) => {
      for (const listener of listeners) listener(event);
    },
  });
  const { records, tornLines } = log.load();
  for (const record of records) service.apply(record);
  if (tornLines > 0)
    warn('sqs: skipped an unfinished last record of the state log (a crash mid-write)', {
      path: log.path,
      tornLines,
    });
  service.resumeTasks();
  const sqs = service;
  const compacting = log.compactIfNeeded().catch((error: unknown) => {
    warn('sqs: could not compact the state log', { error: (error as Error).message });
  });

  const queuePath = new RegExp(`^/${options.accountId}/[A-Za-z0-9_-]{1,80}(\\.fifo)?/?$`);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  function isSqsRequest(req: IncomingMessage, body?: Buffer): boolean {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return target.startsWith(TARGET_PREFIX);
    const scope = signingService(req);
    if (scope !== undefined) return scope === 'sqs';
    const url = new URL(req.url ?? '/', 'http://sqs');
    if (url.searchParams.get('Version') === API_VERSION && url.searchParams.has('Action')) return true;
    if (body && req.method === 'POST' && isForm(req)) {
      const form = new URLSearchParams(body.toString('utf8'));
      if (form.get('Version') === API_VERSION && form.has('Action')) return true;
    }
    return (
      scope === undefined && queuePath.test(url.pathname) && (url.searchParams.has('Action') || isForm(req))
    );
  }

  function respondJson(
    res: ServerResponse,
    status: number,
    requestId: string,
    payload: unknown,
    error?: SqsApiError,
  ): void {
    const headers: Record<string, string> = {
      'Content-Type': JSON_CONTENT_TYPE,
      'x-amzn-RequestId': requestId,
    };
    if (error) headers['x-amzn-query-error'] = `${error.queryCode};${error.type}`;
    const text = JSON.stringify(payload);
    headers['Content-Length'] = String(Buffer.byteLength(text));
    res.writeHead(status, headers);
    res.end(text);
  }

  function respondXml(res: ServerResponse, status: number, requestId: string, text: string): void {
    res.writeHead(status, {
      'Content-Type': 'text/xml',
      'x-amzn-RequestId': requestId,
      'Content-Length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, given?: Buffer): Promise<void> {
    const requestId = randomUUID();
    const target = req.headers['x-amz-target'];
    const json = typeof target === 'string';
    const fail = (error: unknown): void => {
      const apiError = error instanceof SqsApiError ? error : internalError(error);
      if (!(error instanceof SqsApiError))
        warn('sqs: request failed', { error: (error as Error).message, url: req.url });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (json) {
        respondJson(
          res,
          apiError.httpStatus,
          requestId,
          { __type: `${JSON_ERROR_PREFIX}${apiError.jsonType}`, message: apiError.message },
          apiError,
        );
      } else {
        respondXml(res, apiError.httpStatus, requestId, errorXml(apiError, requestId));
      }
    };
    let body: Buffer;
    try {
      body = given ?? (await readBody(req, maxBody));
    } catch (error) {
      const tooLarge = error instanceof BodyTooLargeError;
      return fail(
        tooLarge
          ? new SqsApiError(
              'RequestEntityTooLarge',
              'RequestEntityTooLarge',
              413,
              `Request body over ${maxBody} bytes.`,
            )
          : error,
      );
    }
    const url = new URL(req.url ?? '/', 'http://sqs');
    const pathQueue = queuePath.test(url.pathname) ? url.pathname.replace(/\/$/, '') : undefined;
    let action: string;
    let input: Input;
    if (json) {
      action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      try {
        const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        input = parsed as Input;
      } catch (error) {
        return fail(
          new SqsApiError(
            'SerializationException',
            'SerializationException',
            400,
            `The request body is not a JSON object: ${(error as Error).message}`,
          ),
        );
      }
    } else {
      const params: Array<[string, string]> = [...url.searchParams];
      if (req.method === 'POST' && body.length > 0)
        params.push(...new URLSearchParams(body.toString('utf8')));
      const found = params.find(([key]) => key === 'Action')?.[1];
      if (!found) {
        if (req.method === 'GET' && pathQueue) {
          respondXml(res, 404, requestId, '<UnknownOperationException/>');
          return;
        }
        return fail(invalidAction(''));
      }
      action = found;
      if (pathQueue && ROOT_ACTIONS.has(action)) return fail(invalidAction(action));
      input = queryInput(action, params);
    }
    if (pathQueue && input.QueueUrl === undefined && !ROOT_ACTIONS.has(action)) input.QueueUrl = pathQueue;
    const controller = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort();
    };
    res.once('close', onClose);
    try {
      const output = await sqs.call(action, input, { signal: controller.signal });
      if (res.destroyed) return;
      if (json) respondJson(res, 200, requestId, output);
      else respondXml(res, 200, requestId, successXml(action, requestId, output));
    } catch (error) {
      fail(error);
    } finally {
      res.off('close', onClose);
    }
  }

  let closing: Promise<void> | undefined;
  const never = new AbortController().signal;
  return {
    call: (action, input) => sqs.call(action, input, { signal: never }),
    handle,
    isSqsRequest,
    metrics: () => sqs.metrics(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async listen(port = 0, host = '127.0.0.1'): Promise<SqsListener> {
      const server = createServer((req, res) => {
        handle(req, res).catch((error: unknown) => {
          warn('sqs: request failed', { error: (error as Error).message });
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        });
      });
      const bound = await new Promise<number>((resolve, reject) => {
        server.once('error', (error) =>
          reject(
            new SqsServerError(`SQS emulator cannot listen on ${host}:${port}: ${error.message}`, {
              cause: error,
            }),
          ),
        );
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      });
      servers.add(server);
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
      listenUrl ??= url;
      let stopped: Promise<void> | undefined;
      return {
        url,
        port: bound,
        close() {
          stopped ??= new Promise<void>((resolve) => {
            servers.delete(server);
            server.close(() => resolve());
            server.closeAllConnections();
          });
          return stopped;
        },
      };
    },
    close() {
      closing ??= (async () => {
        sqs.close();
        await compacting;
        await Promise.all(
          [...servers].map(
            (server) =>
              new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
              }),
          ),
        );
        servers.clear();
        await log.close();
      })();
      return closing;
    },
  };
}
