/**
 * SDK v3's standard retry mode (as of @smithy/core 3.40, its 2026 retry settings), as pure functions
 * of the failure and the attempt: `maxAttempts` in all (DynamoDB 4, the others 3), on throttling errors
 * (backoff base 1 s) and transient ones (timeouts, connection errors, 500/502/503/504: base 25 ms for
 * DynamoDB, 50 ms for the others), with full jitter, capped at 20 s, no shorter than a `Retry-After`
 * asks (up to 5 s more), drawn from a retry quota of 500 (5 a throttling retry, 14 another, refunded on
 * success); never on other errors (4xx client errors such as ConditionalCheckFailedException, a 501...).
 * The requester (request.ts) applies it; `test/contract/aws-http-parity.test.ts` holds it to SDK v3.
 */

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

/** Attempts in all unless set: DynamoDB 4, the others 3. */
export const defaultMaxAttempts = (service: string): number => (service === 'dynamodb' ? 4 : 3);

const RETRY_QUOTA = 500;
const THROTTLING_RETRY_COST = 5;
const RETRY_COST = 14;
const THROTTLING_DELAY_MS = 1_000;
const MAX_DELAY_MS = 20_000;
/** How much longer than its own backoff a retry waits for a `Retry-After`. */
const RETRY_AFTER_EXTRA_MS = 5_000;

/** The retry quota one requester draws from: a retry costs, a success refunds. */
export class RetryQuota {
  private available = RETRY_QUOTA;

  /** The cost of one more retry, taken from the quota; undefined when the quota cannot pay it. */
  take(throttled: boolean): number | undefined {
    const cost = throttled ? THROTTLING_RETRY_COST : RETRY_COST;
    if (this.available < cost) return undefined;
    this.available -= cost;
    return cost;
  }

  /** A success gives back the last retry's cost (or 1 when it took no retry). */
  refund(lastRetryCost: number): void {
    this.available = Math.min(RETRY_QUOTA, this.available + (lastRetryCost || 1));
  }
}

/** The full-jitter backoff before retry `attempt` (from 1), capped at 20 s. */
export function backoffMs(
  attempt: number,
  throttled: boolean,
  service: string,
  random = Math.random(),
): number {
  const base = throttled ? THROTTLING_DELAY_MS : service === 'dynamodb' ? 25 : 50;
  return Math.floor(random * Math.min(base * 2 ** (attempt - 1), MAX_DELAY_MS));
}

/** A `Retry-After` header's value (seconds, or an HTTP date) as a time, for the backoff. */
export function retryAfterAt(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const at = /^\d+$/.test(value) ? now + Number(value) * 1000 : Date.parse(value);
  return Number.isFinite(at) ? at : undefined;
}

/** The backoff, lengthened to reach a `Retry-After` time (by at most 5 s more). */
export function honourRetryAfter(delayMs: number, at: number | undefined, now: number): number {
  if (at === undefined) return delayMs;
  return Math.max(delayMs, Math.min(at - now, delayMs + RETRY_AFTER_EXTRA_MS));
}
