import { isoNow, type UseCaseContext } from './context.ts';
import { describeError, errorMessage, TransientError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import type { Lease } from './lease.ts';
import { idempotencyKey, notificationFor } from './notification.ts';
import { clip, type Outcome, type OutcomeStatus } from './outcome.ts';
import type { FileState, OwedOutcome } from './ports.ts';

/**
 * The outbox of terminal outcomes: a dead letter (failures) and a notification, recorded as
 * PENDING when they could not be sent with the outcome, then sent and marked SENT, so that a crash
 * or an outage in between sends them later. Outcomes of superseded versions that still owe steps
 * ride along in `owed` and are sent first, by whoever holds the file.
 */

/** Runs `work` up to `attempts` times, waiting `delayMs` x 2^n (with jitter) between failures. */
export async function retrying<T>(
  ctx: Pick<UseCaseContext, 'sleep'>,
  work: () => Promise<T>,
  attempts: number,
  delayMs: number,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await ctx.sleep(Math.random() * delayMs * 2 ** attempt);
    }
  }
}

/** A superseded version's outcome seen as a file state (what its notification and dead letter read). */
function owedState(holder: FileState, owed: OwedOutcome): FileState {
  const state: FileState = {
    bucket: holder.bucket,
    key: holder.key,
    route: owed.route,
    seq: '',
    eventTime: holder.eventTime,
    status: owed.status,
    rev: holder.rev,
    leaseUntil: 0,
    attempts: owed.attempts,
    counts: owed.counts,
    rejects: [],
    notification: { status: owed.notification },
    deadLetter: { status: owed.deadLetter },
    startedAt: holder.startedAt,
    updatedAt: holder.updatedAt,
  };
  if (owed.versionId) state.versionId = owed.versionId;
  if (owed.eTag) state.eTag = owed.eTag;
  if (owed.sequencer) state.sequencer = owed.sequencer;
  if (owed.rejectsKey) state.rejectsKey = owed.rejectsKey;
  if (owed.contentType) state.contentType = owed.contentType;
  if (owed.error) state.error = owed.error;
  if (owed.finishedAt) state.finishedAt = owed.finishedAt;
  if (owed.durationMs !== undefined) state.durationMs = owed.durationMs;
  return state;
}

async function sendDeadLetter(ctx: UseCaseContext, state: FileState, event: unknown): Promise<void> {
  await ctx.deadLetters.send({
    code: state.error?.code ?? 'failed',
    reason: state.error?.message ?? 'failed',
    object: {
      bucket: state.bucket,
      key: state.key,
      ...(state.versionId ? { versionId: state.versionId } : {}),
      ...(state.eTag ? { eTag: state.eTag } : {}),
      ...(state.sequencer ? { sequencer: state.sequencer } : {}),
    },
    event,
    failedAt: isoNow(ctx.clock),
    attempts: state.attempts,
    dedupeKey: idempotencyKey(state),
  });
  ctx.metrics.count('FilesDeadLettered');
}

/** A best-effort write failed (the ledger is unwell): the lease runs out on its own; say so. */
export function logUnsaved(ctx: UseCaseContext, key: string, error: unknown): false {
  ctx.logger.warn('could not record the file state; its lease will run out on its own', {
    key,
    error: describeError(error),
  });
  return false;
}

export function outcomeOf(current: FileState, status: OutcomeStatus): Outcome {
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
}

function notifyFailed(ctx: UseCaseContext, key: string, error: unknown): TransientError {
  ctx.metrics.count('NotificationsFailed');
  return new TransientError(
    'notify-failed',
    `${key}: stored, but the notification failed: ${errorMessage(error)}`,
    {
      cause: error,
    },
  );
}

/** Sends the owed steps of superseded versions, recording each as it goes. Throws when one cannot be sent. */
async function sendOwed(ctx: UseCaseContext, lease: Lease): Promise<boolean> {
  while ((lease.state.owed?.length ?? 0) > 0) {
    const [first, ...rest] = lease.state.owed!;
    const owed = { ...first! };
    const state = owedState(lease.state, owed);
    if (owed.deadLetter === 'PENDING') {
      await sendDeadLetter(ctx, state, { object: { bucket: state.bucket, key: state.key } });
      owed.deadLetter = 'SENT';
    }
    if (owed.notification === 'PENDING') {
      try {
        await ctx.notifier.publish(notificationFor(state));
      } catch (error) {
        await lease
          .save({ ...lease.state, leaseUntil: 0, owed: [owed, ...rest] })
          .catch((saveError: unknown) => logUnsaved(ctx, lease.state.key, saveError));
        throw notifyFailed(ctx, state.key, error);
      }
      ctx.metrics.count('NotificationsSent');
    }
    ctx.logger.info('owed steps of a superseded version delivered', {
      bucket: state.bucket,
      key: state.key,
      versionId: owed.versionId,
      sequencer: owed.sequencer,
      status: owed.status,
    });
    const next: FileState = { ...lease.state };
    if (rest.length > 0) next.owed = rest;
    else delete next.owed;
    if (!(await retrying(ctx, () => lease.save(next), 3, 100))) return false;
  }
  return true;
}

/**
 * Sends what a terminal outcome still owes (the owed steps of superseded versions, then its own
 * dead letter, then its notification) and gives the claim back.
 */
export async function finishSteps(
  ctx: UseCaseContext,
  lease: Lease,
  event: ObjectEvent,
  status: OutcomeStatus,
): Promise<Outcome> {
  const giveBack = () =>
    lease
      .save({ ...lease.state, leaseUntil: 0 })
      .catch((error: unknown) => logUnsaved(ctx, lease.state.key, error));
  try {
    if (!(await sendOwed(ctx, lease))) return outcomeOf(lease.state, status);
  } catch (error) {
    if (!(error instanceof TransientError)) await giveBack();
    throw error;
  }
  if (lease.state.deadLetter.status === 'PENDING') {
    try {
      await sendDeadLetter(ctx, lease.state, { objectEvent: event });
    } catch (error) {
      await giveBack();
      throw error;
    }
    if (!(await lease.save({ ...lease.state, deadLetter: { status: 'SENT', at: isoNow(ctx.clock) } }))) {
      return outcomeOf(lease.state, status);
    }
  }
  if (lease.state.notification.status === 'PENDING') {
    let messageId: string;
    try {
      ({ messageId } = await ctx.notifier.publish(notificationFor(lease.state)));
    } catch (error) {
      await lease
        .save({
          ...lease.state,
          leaseUntil: 0,
          notification: { status: 'PENDING', error: clip(errorMessage(error)) },
        })
        .catch((saveError: unknown) => logUnsaved(ctx, lease.state.key, saveError));
      throw notifyFailed(ctx, lease.state.key, error);
    }
    ctx.metrics.count('NotificationsSent');
    await recordSent(ctx, lease, messageId);
  } else if (lease.state.leaseUntil !== 0) {
    await giveBack();
  }
  logOutcome(ctx, lease.state);
  return outcomeOf(lease.state, status);
}

/**
 * Published: a failure to record it must not make a retry publish again (it would, after the
 * lease), so the record is retried a few times (a repeated write is safe), then logged. This is
 * the one at-least-once window left: a crash here sends the notification again, with the same
 * idempotency key.
 */
export async function recordSent(ctx: UseCaseContext, lease: Lease, messageId: string): Promise<void> {
  const sent: FileState = {
    ...lease.state,
    leaseUntil: 0,
    notification: { status: 'SENT', messageId, at: isoNow(ctx.clock) },
  };
  await retrying(
    ctx,
    async () => {
      if (!(await lease.save(sent))) {
        ctx.logger.warn('notification sent, but a newer claim holds the file; its outcome stays', {
          key: sent.key,
          messageId,
        });
      }
    },
    4,
    200,
  ).catch((error: unknown) =>
    ctx.logger.error('notification sent but not recorded', {
      key: sent.key,
      messageId,
      error: describeError(error),
    }),
  );
}

export function logOutcome(ctx: UseCaseContext, state: FileState): void {
  ctx.logger.info(state.status === 'FAILED' ? 'file failed' : 'file processed', {
    bucket: state.bucket,
    key: state.key,
    route: state.route,
    status: state.status,
    records: state.counts.written,
    rejected: state.counts.rejected,
    durationMs: state.durationMs,
    attempts: state.attempts,
    notification: state.notification.status,
    ...(state.error ? { reason: state.error.message } : {}),
  });
}

/** Gives a claim back (best effort: if the ledger is down, the lease runs out on its own). */
export async function release(
  ctx: UseCaseContext,
  lease: Lease,
  extra: Partial<FileState> = {},
): Promise<void> {
  await lease
    .save({ ...lease.state, ...extra, leaseUntil: 0 })
    .catch((error: unknown) =>
      ctx.logger.warn('could not release the claim', { key: lease.state.key, error: describeError(error) }),
    );
}
