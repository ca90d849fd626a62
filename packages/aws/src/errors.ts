/**
 * AWS errors read the same way whichever client raised them (SDK v3 or the signed-request layer): which
 * are worth retrying, which mean that a named resource is missing, and an error that names it and its setting.
 */
// The errors face, not the whole of core: sqs-letters.ts, which imports this module, is loaded lazily,
// and esbuild wraps a lazily loaded module's imports for deferred init (a few bytes each).
import { EventlineError, PermanentError, TransientError } from '@eventline/core/errors';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalError',
  'InternalErrorException',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'TimeoutError',
  'KMSThrottlingException',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** Whether an SDK error is worth retrying: throttling, 5xx, or the endpoint being unreachable. */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    cause?: unknown;
  };
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return e.cause ? isTransientAwsError(e.cause) : false;
}

/**
 * Errors by which a service refuses this very request: retrying it unchanged cannot succeed, so the
 * file fails (recorded, dead-lettered, notified) instead of being retried until it is dropped.
 */
const PERMANENT_NAMES = new Set([
  'ValidationException',
  'KeyTooLongError',
  'EntityTooLarge',
  'InvalidArgument',
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValueException',
]);

/** The resource a request was about, and the setting that named it (`table.name`, `TABLE_NAME`...). */
export interface NamedResource {
  kind: 'table' | 'bucket' | 'topic';
  name: string;
  setting: string;
}

/** The error names by which DynamoDB, S3 and SNS say the resource itself does not exist. */
const MISSING: Record<NamedResource['kind'], ReadonlySet<string>> = {
  table: new Set(['ResourceNotFoundException']),
  bucket: new Set(['NoSuchBucket']),
  topic: new Set(['NotFound', 'NotFoundException', 'ResourceNotFound', 'ResourceNotFoundException']),
};

/** Whether an SDK error says that `resource` (the table, bucket or topic itself) does not exist. */
export function isMissing(error: unknown, kind: NamedResource['kind']): boolean {
  return MISSING[kind].has((error as { name?: string })?.name ?? '');
}

/** "the table "events" (table.name) does not exist", for messages that name resource and setting. */
export const describeMissing = (resource: NamedResource): string =>
  `the ${resource.kind} "${resource.name}" (${resource.setting}) does not exist`;

/**
 * Wraps an SDK error in a core error that says what was being done, keeping it as `cause`. When the
 * error says the resource itself is missing, the message names it and the setting that named it.
 */
export function translate(error: unknown, what: string, resource?: NamedResource): Error {
  if (error instanceof EventlineError) return error;
  const name = (error as { name?: string }).name ?? 'Error';
  const detail = `${name}: ${(error as Error)?.message ?? String(error)}`;
  const message =
    resource && isMissing(error, resource.kind)
      ? `${what}: ${describeMissing(resource)} (${detail})`
      : `${what}: ${detail}`;
  if (isTransientAwsError(error)) return new TransientError('aws-unavailable', message, { cause: error });
  if (PERMANENT_NAMES.has(name)) return new PermanentError('aws-rejected', message, { cause: error });
  return new EventlineError(message, { cause: error });
}
