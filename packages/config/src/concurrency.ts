import type { EventlineConfig } from './schema.ts';

/**
 * How many invocations of the function may run at once, and what that asks of the AWS account: one
 * rule for the CDK app, the local stack (its worker processes) and `eventline doctor`.
 */

/** Lambda keeps this much of an account's concurrency unreserved (all of it when the quota is lower). */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/** The local stack's bound in direct mode without a reservation (on AWS: the account's unreserved pool). */
export const LOCAL_DIRECT_CONCURRENCY = 10;

/** What bounds concurrent invocations, and by which setting (for banners and messages). */
export interface ConcurrencyBound {
  limit: number;
  setting: 'function.reservedConcurrency' | 'trigger.maxConcurrency' | 'local default (direct mode)';
}

/**
 * The bound: the reservation when set; else, in queue mode, the event source mapping's maximum
 * concurrency (Lambda starts no more pollers' invocations than that); else, locally in direct mode,
 * `LOCAL_DIRECT_CONCURRENCY`.
 */
export function concurrencyBound(config: EventlineConfig): ConcurrencyBound {
  const reserved = config.function.reservedConcurrency;
  if (reserved !== undefined) return { limit: reserved, setting: 'function.reservedConcurrency' };
  if (config.trigger.mode === 'queue') {
    return { limit: config.trigger.maxConcurrency, setting: 'trigger.maxConcurrency' };
  }
  return { limit: LOCAL_DIRECT_CONCURRENCY, setting: 'local default (direct mode)' };
}

/** The account concurrency a deploy needs: the reservation plus the minimum Lambda keeps unreserved. */
export function accountConcurrencyNeeded(config: EventlineConfig): number {
  const reserved = config.function.reservedConcurrency ?? 0;
  return reserved === 0 ? 0 : reserved + MIN_UNRESERVED_CONCURRENCY;
}

/** What the concurrency settings mean on AWS, in one line (synth prints it in direct mode). */
export function concurrencyNote(config: EventlineConfig): string {
  const reserved = config.function.reservedConcurrency;
  if (reserved !== undefined) {
    return `function.reservedConcurrency ${reserved}: the account needs a Lambda concurrency quota of at least ${accountConcurrencyNeeded(config)} (the reservation + ${MIN_UNRESERVED_CONCURRENCY} Lambda keeps unreserved); check with npx eventline doctor`;
  }
  if (config.trigger.mode === 'queue') {
    return `no reserved concurrency: the ingest queue's event source mapping runs at most trigger.maxConcurrency (${config.trigger.maxConcurrency}) invocations, from the account's unreserved concurrency`;
  }
  return "direct mode without function.reservedConcurrency: S3 events invoke the function with as much of the account's unreserved concurrency as they need (a burst can throttle the account's other functions); to cap it set function.reservedConcurrency, which needs a Lambda concurrency quota of at least that + 100 (npx eventline doctor checks)";
}
