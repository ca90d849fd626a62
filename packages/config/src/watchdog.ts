/**
 * The handler's watchdog, derived from the function's time budget: when an invocation still running
 * is about to time out without a checkpoint, and the metric it counts (the `TimeoutWithoutCheckpoint`
 * alarm reads it). One rule for the handler (packages/lambda) and the alarm (packages/infra).
 */

/** The metric of invocations about to time out without a checkpoint. */
export const TIMEOUT_WITHOUT_CHECKPOINT = 'TimeoutsWithoutCheckpoint';

/**
 * How long before its deadline an invocation still running is about to time out without a
 * checkpoint. A long file hands off earlier, at the deadline minus min(10 s, max(0.5 s, a quarter
 * of the budget)) (core's pipeline, `pauseAt`); this margin is always smaller, so segments that hand
 * off on purpose have returned by then and are never counted.
 */
export function watchdogMarginMs(budgetMs: number): number {
  return Math.min(2_000, Math.max(100, Math.floor(budgetMs / 20)));
}
