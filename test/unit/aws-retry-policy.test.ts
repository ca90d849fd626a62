import {
  backoffMs,
  defaultMaxAttempts,
  honourRetryAfter,
  isThrottling,
  isTransient,
  RetryQuota,
  retryAfterAt,
} from '@eventline/aws/http';
import { describe, expect, it } from 'vitest';

/**
 * The signed-request layer's retry policy, as pure functions (the parity suite holds the whole layer to
 * SDK v3 on live endpoints; this pins the numbers of SDK v3's standard mode one by one).
 */
describe('the retry policy (SDK v3 standard mode)', () => {
  it('retries throttling and transient failures, never a client error', () => {
    expect(isThrottling({ name: 'ThrottlingException' })).toBe(true);
    expect(isThrottling({ $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isTransient({ name: 'TimeoutError' })).toBe(true);
    expect(isTransient({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransient({ name: 'Wrapped', cause: { code: 'ECONNRESET' } })).toBe(true);
    expect(isTransient({ name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } })).toBe(
      false,
    );
    expect(isTransient({ $metadata: { httpStatusCode: 501 } })).toBe(false);
    expect(isTransient({ name: 'AbortError' })).toBe(false);
  });

  it('makes 4 attempts for DynamoDB and 3 for the others', () => {
    expect(defaultMaxAttempts('dynamodb')).toBe(4);
    expect(defaultMaxAttempts('s3')).toBe(3);
  });

  it('backs off with full jitter from 25 ms (DynamoDB), 50 ms (others) or 1 s (throttling), capped at 20 s', () => {
    expect(backoffMs(1, false, 'dynamodb', 0.999999)).toBe(24);
    expect(backoffMs(2, false, 's3', 0.999999)).toBe(99);
    expect(backoffMs(3, true, 'sqs', 0.999999)).toBe(3999);
    expect(backoffMs(10, true, 'sqs', 0.999999)).toBe(19999);
    expect(backoffMs(3, true, 'sqs', 0)).toBe(0);
  });

  it('waits for a Retry-After, by at most 5 s more than its own backoff', () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    expect(retryAfterAt('2', now)).toBe(now + 2000);
    expect(retryAfterAt('Mon, 07 Dec 2026 12:00:03 GMT', now)).toBe(now + 3000);
    expect(retryAfterAt('soon', now)).toBeUndefined();
    expect(honourRetryAfter(100, now + 2000, now)).toBe(2000);
    expect(honourRetryAfter(100, now + 60_000, now)).toBe(5100);
    expect(honourRetryAfter(100, undefined, now)).toBe(100);
  });

  it('draws retries from a quota of 500 (14 a retry, 5 a throttling one) that a success refunds', () => {
    const quota = new RetryQuota();
    const costs: number[] = [];
    for (let cost = quota.take(false); cost !== undefined; cost = quota.take(false)) costs.push(cost);
    expect(costs).toHaveLength(Math.floor(500 / 14));
    expect(quota.take(true)).toBe(5);
    quota.refund(14);
    expect(quota.take(false)).toBe(14);
  });
});
