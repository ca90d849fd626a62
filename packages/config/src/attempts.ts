/**
 * Attempts against deliveries (issue 22, hole 10): a file's attempts must be fewer than the times its
 * event is delivered, so the delivery after a crashed last attempt exists to record it FAILED. The
 * schema (schema.ts) refuses other settings with these messages and derives the default.
 */

export type TriggerSettings = { mode: 'queue' | 'direct'; maxReceiveCount: number; retryAttempts: number };

/** How many times an event is delivered to the function: SQS's receives, or Lambda's async tries. */
export function eventDeliveries(trigger: TriggerSettings): number {
  return trigger.mode === 'queue' ? trigger.maxReceiveCount : trigger.retryAttempts + 1;
}

/**
 * A crash or timeout cannot record its own failure: the delivery after it does (the claim past
 * `files.maxAttempts` records FAILED). So an event needs one delivery more than the attempts.
 */
export function attemptsProblem(
  trigger: TriggerSettings,
  maxAttempts: number | undefined,
): { path: Array<string | number>; message: string } | undefined {
  const deliveries = eventDeliveries(trigger);
  const setting = trigger.mode === 'queue' ? 'trigger.maxReceiveCount' : 'trigger.retryAttempts';
  const given = trigger.mode === 'queue' ? trigger.maxReceiveCount : trigger.retryAttempts;
  if (deliveries < 2) {
    return {
      path: ['trigger', trigger.mode === 'queue' ? 'maxReceiveCount' : 'retryAttempts'],
      message: `${setting} ${given} delivers an event once: a crash or timeout on that delivery would leave its file PROCESSING with no failure recorded; it must give at least 2 deliveries`,
    };
  }
  if (maxAttempts !== undefined && maxAttempts >= deliveries) {
    return {
      path: ['files', 'maxAttempts'],
      message: `files.maxAttempts ${maxAttempts} must be below the ${deliveries} deliveries of an event (${setting} ${given}${trigger.mode === 'direct' ? ' + 1' : ''}): a crash or timeout on the last attempt is recorded FAILED by the delivery after it. Set files.maxAttempts to at most ${deliveries - 1}, or raise ${setting}`,
    };
  }
  return undefined;
}
