import type { EventlineConfig } from './schema.ts';

/**
 * Every duration derived from the function timeout, in one place: the claim's lease and its safety
 * margin, how long a held-back last delivery waits, the ingest queue's visibility timeout, the AWS
 * clients' socket timeouts, and the local stack's retry delays. The pipeline (core), the adapters'
 * clients (aws, lambda), the CDK app (infra) and the local stack (local) all read them from here;
 * docs/design.md has them as a table.
 */

/** How much longer than the function timeout a claim lasts, so that it outlives any live attempt. */
export const LEASE_BEYOND_TIMEOUT_MS = 30_000;

/** The claim an invocation holds on a file unless set otherwise: the function timeout + 30 s. */
export function defaultLeaseMs(timeoutSeconds: number): number {
  return timeoutSeconds * 1000 + LEASE_BEYOND_TIMEOUT_MS;
}

/**
 * A margin for clock skew and a request's flight time: record batches stop this long before the lease
 * ends (a quarter of the lease, at most 5 s).
 */
export function leaseSafetyMarginMs(leaseMs: number): number {
  return Math.min(5_000, Math.floor(leaseMs / 4));
}

/**
 * How long the last delivery of a message whose file another invocation holds is held back: that
 * holder may run up to the function timeout and renews its lease while it runs, so the timeout + the lease.
 */
export function lastDeliveryHoldMs(timeoutSeconds: number, leaseMs: number): number {
  return timeoutSeconds * 1000 + leaseMs;
}

/** SQS accepts at most 12 hours of visibility timeout. */
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/**
 * Lambda's guidance for SQS sources: the queue's visibility timeout is six times the function timeout
 * plus the batching window, so that a batch retried by the poller is not redelivered while in flight.
 */
export function visibilityTimeoutSeconds(config: EventlineConfig): number {
  const seconds = 6 * config.function.timeoutSeconds + config.trigger.maxBatchingWindowSeconds;
  return Math.min(seconds, MAX_VISIBILITY_SECONDS);
}

/**
 * Socket timeouts for a function timeout: connect in 3 s (a quarter of the timeout at most), at most a
 * third of the timeout of silence (20 s at most), kept below the function timeout so that a stalled
 * connection fails one request, retried, instead of the whole invocation. For SDK v3's clients and
 * the Lambda entry's signed requests alike.
 */
export function socketTimeoutsFor(timeoutSeconds: number): { connectionMs: number; requestMs: number } {
  const ms = timeoutSeconds * 1000;
  return {
    connectionMs: Math.min(3_000, Math.floor(ms / 4)),
    requestMs: Math.min(20_000, Math.floor(ms / 3)),
  };
}

/** The local stack's delays before the 1st and 2nd retry (Lambda waits about 60 s and 120 s). */
export const LOCAL_RETRY_DELAYS_MS: readonly number[] = [1000, 2000];

/** The delay before retry `attempt` (from 1): its own, else the last one given, else 1 s. */
export function retryDelayMs(delays: readonly number[], attempt: number): number {
  return delays[attempt - 1] ?? delays.at(-1) ?? 1000;
}
