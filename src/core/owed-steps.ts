import { isoNow, type UseCaseContext } from './context.ts';
import { errorMessage, TransientError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import { notificationFor } from './notification.ts';
import { clip, type Outcome, type OutcomeStatus } from './outcome.ts';
import type { FileState } from './ports.ts';

/**
 * The outbox of a terminal outcome: the dead letter (failures) and the notification are recorded as
 * PENDING with the outcome, then sent and marked SENT, so a crash in between re-sends them later.
 */

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` up to `attempts` times, waiting `delayMs` x 2^n (with jitter) between failures. */
export async function retrying<T>(work: () => Promise<T>, attempts: number, delayMs: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await pause(Math.random() * delayMs * 2 ** attempt);
    }
  }
}

/** Sends what a terminal outcome still owes: the dead letter (failures), then the notification. */
export async function finishSteps(
  ctx: UseCaseContext,
  state: FileState,
  event: ObjectEvent,
  status: OutcomeStatus,
): Promise<Outcome> {
  let current = state;
  const outcome = (): Outcome => {
    const o: Outcome = {
      status,
      bucket: current.bucket,
      key: current.key,
      route: current.route,
      counts: current.counts,
      notification: current.notification,
    };
    if (current.error) o.error = { code: current.error.code, message: current.error.message };
    if (current.durationMs !== undefined) o.durationMs = current.durationMs;
    return o;
  };
  const save = async (next: FileState) => {
    const written = await ctx.ledger.putFile(
      { ...next, rev: current.rev + 1, updatedAt: isoNow(ctx.clock) },
      current.rev,
    );
    if (written) current = { ...next, rev: current.rev + 1 };
    return written;
  };
  const giveBack = () => save({ ...current, leaseUntil: 0 }).catch(() => false);
  if (current.deadLetter.status === 'PENDING') {
    await ctx.deadLetters
      .send({
        code: current.error?.code ?? 'failed',
        reason: current.error?.message ?? 'failed',
        object: {
          bucket: current.bucket,
          key: current.key,
          ...(current.versionId ? { versionId: current.versionId } : {}),
          ...(current.sequencer ? { sequencer: current.sequencer } : {}),
        },
        event: { objectEvent: event },
        failedAt: isoNow(ctx.clock),
        attempts: current.attempts,
      })
      .catch(async (error: unknown) => {
        await giveBack();
        throw error;
      });
    ctx.metrics.count('FilesDeadLettered');
    if (!(await save({ ...current, deadLetter: { status: 'SENT', at: isoNow(ctx.clock) } })))
      return outcome();
  }
  if (current.notification.status === 'PENDING') {
    let messageId: string;
    try {
      ({ messageId } = await ctx.notifier.publish(notificationFor(current)));
    } catch (error) {
      ctx.metrics.count('NotificationsFailed');
      await save({
        ...current,
        leaseUntil: 0,
        notification: { status: 'PENDING', error: clip(errorMessage(error)) },
      }).catch(() => false);
      throw new TransientError(
        'notify-failed',
        `${current.key}: stored, but the notification failed: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    ctx.metrics.count('NotificationsSent');
    // Published: a failure to record it must not make a retry publish again (it would, after the
    // lease), so the record is retried here a few times (a repeated write is safe), then logged.
    const sent: FileState = {
      ...current,
      leaseUntil: 0,
      notification: { status: 'SENT', messageId, at: isoNow(ctx.clock) },
    };
    await retrying(() => save(sent), 4, 200).catch((error: unknown) =>
      ctx.logger.warn('notification sent but not recorded', {
        key: current.key,
        messageId,
        error: errorMessage(error),
      }),
    );
  } else if (current.leaseUntil !== 0) {
    await giveBack();
  }
  ctx.logger.info(current.status === 'FAILED' ? 'file failed' : 'file processed', {
    bucket: current.bucket,
    key: current.key,
    route: current.route,
    status: current.status,
    records: current.counts.written,
    rejected: current.counts.rejected,
    durationMs: current.durationMs,
    notification: current.notification.status,
    ...(current.error ? { reason: current.error.message } : {}),
  });
  return outcome();
}

/** Gives a claim back (best effort: if the ledger is down, the lease runs out on its own). */
export async function release(ctx: UseCaseContext, claimed: FileState): Promise<void> {
  await ctx.ledger
    .putFile({ ...claimed, rev: claimed.rev + 1, leaseUntil: 0, updatedAt: isoNow(ctx.clock) }, claimed.rev)
    .catch((error: unknown) =>
      ctx.logger.warn('could not release the claim', { key: claimed.key, error: errorMessage(error) }),
    );
}
