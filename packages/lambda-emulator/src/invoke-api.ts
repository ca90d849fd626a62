import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from './errors.ts';

/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`, REST-JSON) for the stack's
 * one function, so that what calls Lambda on AWS calls it here too: a direct-mode continuation
 * (`LambdaContinuations`, an `Event` invocation from inside an instance), `aws lambda invoke`, a
 * test. `Event` joins the asynchronous invoker's queue (journaled, 2 retries, then the event DLQ:
 * the same path as S3's direct-mode events) and answers 202; `RequestResponse` runs the function
 * and answers with its result, or with its error and `X-Amz-Function-Error: Unhandled`, as Lambda
 * does; `DryRun` answers 204. Nothing else of Lambda's API is served.
 */

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

/** Payload limits: 1 MB for `Event` (raised from 256 KB in 2025), 6 MB for `RequestResponse`. */
const EVENT_PAYLOAD_LIMIT = 1_048_576;
const SYNC_PAYLOAD_LIMIT = 6_291_456;

export interface LambdaInvokeOptions {
  functionName: string;
  region: string;
  accountId: string;
  /** Queues an asynchronous invocation; resolves once it is durable. */
  submit: (event: Record<string, unknown>) => Promise<void>;
  /** Runs the function now; rejects with its error (`errorType`, `message`). */
  invoke: (event: Record<string, unknown>) => Promise<unknown>;
}

export interface LambdaInvokeRoute {
  /** Whether the request is a Lambda Invoke (by its path). */
  isLambdaRequest(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
}

export function createLambdaInvokeRoute(options: LambdaInvokeOptions): LambdaInvokeRoute {
  const arn = `arn:aws:lambda:${options.region}:${options.accountId}:function:${options.functionName}`;

  /** The function a `FunctionName` names: its name, its ARN or partial ARN, with `$LATEST` at most. */
  function names(ours: string, qualifier: string | null): boolean {
    if (qualifier !== null && qualifier !== '$LATEST') return false;
    const parts = ours.split(':');
    let name = ours;
    let version: string | undefined;
    if (ours.startsWith('arn:')) {
      // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
      if (parts[2] !== 'lambda' || parts[3] !== options.region || parts[4] !== options.accountId)
        return false;
      if (parts[5] !== 'function') return false;
      name = parts[6] ?? '';
      version = parts[7];
    } else if (parts.length >= 3 && parts[1] === 'function') {
      // <account>:function:<name>[:<qualifier>]
      if (parts[0] !== options.accountId) return false;
      name = parts[2] ?? '';
      version = parts[3];
    } else if (parts.length === 2) {
      [name, version] = parts as [string, string];
    }
    return name === options.functionName && (version === undefined || version === '$LATEST');
  }

  function reply(
    res: ServerResponse,
    status: number,
    requestId: string,
    body?: string,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'x-amzn-requestid': requestId,
      ...(body === undefined ? { 'content-length': '0' } : { 'content-type': 'application/json' }),
      ...headers,
    });
    res.end(body);
  }

  function error(
    res: ServerResponse,
    status: number,
    requestId: string,
    type: string,
    message: string,
  ): void {
    reply(res, status, requestId, JSON.stringify({ Type: 'User', message }), { 'x-amzn-errortype': type });
  }

  return {
    isLambdaRequest: (req) =>
      req.method === 'POST' && INVOKE_PATH.test(new URL(req.url ?? '/', 'http://edge').pathname),

    async handle(req, res, body) {
      const requestId = randomUUID();
      const url = new URL(req.url ?? '/', 'http://edge');
      const functionName = decodeURIComponent(INVOKE_PATH.exec(url.pathname)?.[1] ?? '');
      if (!names(functionName, url.searchParams.get('Qualifier'))) {
        const qualifier = url.searchParams.get('Qualifier');
        return error(
          res,
          404,
          requestId,
          'ResourceNotFoundException',
          `Function not found: ${functionName.startsWith('arn:') ? functionName : `arn:aws:lambda:${options.region}:${options.accountId}:function:${functionName}`}${qualifier ? `:${qualifier}` : ''} (this local stack runs one function: ${arn})`,
        );
      }
      const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (type !== 'Event' && type !== 'RequestResponse' && type !== 'DryRun') {
        return error(
          res,
          400,
          requestId,
          'InvalidParameterValueException',
          `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
        );
      }
      if (type === 'DryRun') return reply(res, 204, requestId);
      const limit = type === 'Event' ? EVENT_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
      if (body.length > limit) {
        return error(
          res,
          413,
          requestId,
          'RequestEntityTooLargeException',
          `Request must be smaller than ${limit} bytes for the ${type === 'Event' ? 'InvokeAsync' : 'Invoke'} operation`,
        );
      }
      let event: unknown;
      try {
        event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch (cause) {
        return error(
          res,
          400,
          requestId,
          'InvalidRequestContentException',
          `Could not parse request body into json: ${errorMessage(cause)}`,
        );
      }
      const record = (event ?? {}) as Record<string, unknown>;
      if (type === 'Event') {
        await options.submit(record);
        return reply(res, 202, requestId, undefined, { 'x-amz-executed-version': '$LATEST' });
      }
      try {
        const result = await options.invoke(record);
        return reply(res, 200, requestId, JSON.stringify(result ?? null), {
          'x-amz-executed-version': '$LATEST',
        });
      } catch (failure) {
        const shaped = failure as { errorType?: string; name?: string; message?: string; trace?: string[] };
        return reply(
          res,
          200,
          requestId,
          JSON.stringify({
            errorType: shaped.errorType ?? shaped.name ?? 'Error',
            errorMessage: shaped.message ?? String(failure),
            ...(shaped.trace ? { trace: shaped.trace } : {}),
          }),
          { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
        );
      }
    },
  };
}
