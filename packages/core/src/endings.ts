import type { UseCaseContext } from './context.ts';
import { continuationEvent } from './continuation.ts';
import {
  describeError,
  describePosition,
  errorMessage,
  PermanentError,
  SupersededError,
  TransientError,
} from './errors.ts';
import type { ObjectEvent } from './events.ts';
import type { IngestResult } from './ingestion.ts';
import type { Lease } from './lease.ts';
import { notificationFor, notificationWanted } from './notification.ts';
import { clip, OUTCOME_LIMITS, type Outcome } from './outcome.ts';
import { finishSteps, logOutcome, logUnsaved, outcomeOf, recordSent, release } from './owed-steps.ts';
import type { Continuations, FileCounts, FileState } from './ports.ts';

/**
 * How an invocation leaves a file: done (processed), failed, or paused for a continuation. Each
 * writes the file state under the invocation's lease, so a writer whose claim was taken over
 * leaves the newer claim's state alone.
 */

/** Writes a terminal state; if it cannot be stored, gives the claim back so the retry need not wait. */
export async function record(ctx: UseCaseContext, lease: Lease, next: FileState): Promise<boolean> {
  try {
    return await lease.save(next);
  } catch (error) {
    await release(ctx, lease);
    throw error;
  }
}

export function superseded(ctx: UseCaseContext, event: ObjectEvent, routeId: string): Outcome {
  ctx.logger.warn('a newer version took the file over while it was processed', {
    bucket: event.bucket,
    key: event.key,
  });
  return { bucket: event.bucket, key: event.key, route: routeId, status: 'superseded' };
}

/**
 * A file done: publish first, then one write records PROCESSED and SENT together (a lazy
 * checkpoint). PENDING is written only when Publish fails, or when older versions' owed steps ride
 * along (they go first).
 */
export async function complete(
  ctx: UseCaseContext,
  lease: Lease,
  event: ObjectEvent,
  routeId: string,
  result: IngestResult,
  started: number,
): Promise<Outcome> {
  const { clock, metrics } = ctx;
  const finishedAt = clock.now();
  const final: FileState = {
    ...lease.state,
    status: 'PROCESSED',
    counts: result.counts,
    rejects: result.rejects,
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - started,
  };
  delete final.checkpoint;
  delete final.handoff;
  delete final.lastError;
  // The version S3 served names the outcome when the event did not (a listing's re-drive).
  if (!final.versionId && result.versionId && result.versionId !== 'null') final.versionId = result.versionId;
  if (result.rejectsKey) final.rejectsKey = result.rejectsKey;
  if (result.contentType) final.contentType = result.contentType;
  metrics.count('FilesProcessed');
  metrics.count('RecordsWritten', result.counts.written);
  if (result.counts.rejected) metrics.count('RecordsRejected', result.counts.rejected);
  metrics.milliseconds('FileDuration', finishedAt - started);
  const wanted = notificationWanted(ctx.config.routes, routeId, 'PROCESSED');
  if ((final.owed?.length ?? 0) > 0) {
    const notification = { status: wanted ? ('PENDING' as const) : ('NOT_NEEDED' as const) };
    if (!(await record(ctx, lease, { ...final, notification }))) {
      return superseded(ctx, event, routeId);
    }
    return finishSteps(ctx, lease, event, 'processed');
  }
  if (!wanted) {
    // The route's policy sends nothing for a processed file: one write records it done.
    const done: FileState = { ...final, leaseUntil: 0, notification: { status: 'NOT_NEEDED' } };
    if (!(await record(ctx, lease, done))) return superseded(ctx, event, routeId);
    logOutcome(ctx, lease.state);
    return outcomeOf(lease.state, 'processed');
  }
  // Publish precedes the conditional write that records it, so first make sure the claim is still
  // this invocation's (hole 11): with its lease live nobody else may have taken the file over; a
  // lease less than half left is renewed by a conditional write, which fails when it was.
  try {
    await lease.fence();
  } catch (error) {
    if (!(error instanceof SupersededError)) throw error;
    ctx.metrics.count('FilesSuperseded');
    return superseded(ctx, event, routeId);
  }
  let messageId: string;
  try {
    ({ messageId } = await ctx.notifier.publish(
      notificationFor({ ...final, notification: { status: 'PENDING' } }),
    ));
  } catch (error) {
    metrics.count('NotificationsFailed');
    const owing: FileState = {
      ...final,
      leaseUntil: 0,
      notification: { status: 'PENDING', error: clip(errorMessage(error)) },
    };
    await record(ctx, lease, owing).catch((saveError: unknown) => logUnsaved(ctx, event.key, saveError));
    throw new TransientError(
      'notify-failed',
      `${event.key}: stored, but the notification failed: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  metrics.count('NotificationsSent');
  lease.state = { ...final, rev: lease.state.rev };
  await recordSent(ctx, lease, messageId);
  logOutcome(ctx, lease.state);
  return outcomeOf(lease.state, 'processed');
}

/** Records a permanent failure (long reasons go to S3, the item keeps a clipped one), then sends its steps. */
export async function fail(
  ctx: UseCaseContext,
  lease: Lease,
  event: ObjectEvent,
  started: number,
  error: PermanentError,
  served?: string,
  counts?: FileCounts,
): Promise<Outcome> {
  const { logger, metrics, clock } = ctx;
  served ??= await namedVersion(ctx, lease);
  const finishedAt = clock.now();
  const final: FileState = {
    ...lease.state,
    // The records it left in the ledger (hole 4): the failing segment's, else those up to the last
    // checkpoint (an attempt that died wrote an unknown number more).
    counts: counts ?? lease.state.checkpoint?.counts ?? lease.state.counts,
    status: 'FAILED',
    error: {
      code: error.code,
      message: clip(error.message, OUTCOME_LIMITS.message),
      ...(error.position ? { position: error.position } : {}),
    },
    notification: {
      status: notificationWanted(ctx.config.routes, lease.state.route, 'FAILED') ? 'PENDING' : 'NOT_NEEDED',
    },
    deadLetter: { status: 'PENDING' },
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - started,
  };
  delete final.checkpoint;
  delete final.handoff;
  // As complete() does: the version S3 served names the outcome when the event did not (a listing's).
  if (!final.versionId && served) final.versionId = served;
  if (error.message.length > OUTCOME_LIMITS.message) {
    const errorKey = `${ctx.config.internalPrefix}errors/${event.bucket}/${event.key}.${lease.state.seq.replace(/0+$/, '') || 'x'}.txt`;
    try {
      await ctx.source.putInternal(event.bucket, errorKey, error.message, 'text/plain; charset=utf-8');
      final.errorKey = errorKey;
    } catch (putError) {
      logger.warn('the whole error could not be stored; the outcome keeps it clipped', {
        key: event.key,
        error: describeError(putError),
      });
    }
  }
  metrics.count('FilesFailed');
  metrics.milliseconds('FileDuration', finishedAt - started);
  logger.error('file failed permanently', {
    bucket: event.bucket,
    key: event.key,
    route: lease.state.route,
    attempt: lease.state.attempts,
    code: error.code,
    reason: clip(error.message),
    where: describePosition(error.position),
  });
  if (!(await record(ctx, lease, final))) return superseded(ctx, event, lease.state.route);
  return finishSteps(ctx, lease, event, 'failed');
}

/**
 * The versionId a FAILED outcome is announced and dead-lettered under when neither its event nor a
 * read named one: a listing's claim (`backfill`, `reconcile --fix`, a restart) that failed before S3
 * served the object, e.g. `attempts-exhausted`. HeadObject names the current version when its ETag
 * is the claim's, so that the S3 event of that version finds this outcome its own and every
 * announcement and letter of it carries one key (I8, I10). Only on this path: an event with a
 * sequencer or a versionId, or a read that served the object, costs nothing more. Unanswered (S3
 * down), the claim is given back and the file fails on a later delivery, once S3 says which version
 * it is: never under a key the version's own event would not share. An ETag names the bytes, not the
 * write: identical bytes uploaded again after the listing (a new version, one ETag) would lend the
 * failure their versionId, and that write's own event would find it a duplicate, never tried
 * (finding 2). So the current version names it only if it was written in the second the listing
 * saw (the claim's `eventTime` is the listing's LastModified; HeadObject's is to the second).
 * Window: the same bytes written again within that second, or a listing with no LastModified.
 */
async function namedVersion(ctx: UseCaseContext, lease: Lease): Promise<string | undefined> {
  const state = lease.state;
  if (state.versionId || state.sequencer || !state.eTag || !ctx.source.current) return undefined;
  let head: { eTag?: string; versionId?: string; lastModified?: string } | undefined;
  try {
    head = await ctx.source.current(state.bucket, state.key);
  } catch (error) {
    await release(ctx, lease);
    throw error;
  }
  if (head?.eTag !== state.eTag) return undefined;
  const second = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : Number.NaN);
  const listed = second(state.eventTime);
  const written = second(head.lastModified);
  if (!Number.isNaN(listed) && !Number.isNaN(written) && listed !== written) return undefined;
  return head.versionId;
}

/** Out of time: records the checkpoint and hands the file to a continuation. */
export async function pause(
  ctx: UseCaseContext,
  continuations: Continuations,
  lease: Lease,
  event: ObjectEvent,
  routeId: string,
  result: IngestResult,
): Promise<Outcome> {
  const checkpoint = result.paused!;
  // The segment made progress (it pauses only after a record, I12): the next segment starts again
  // at attempt 1, so `files.maxAttempts` bounds the failures since the last progress, not those
  // over a whole multi-hour file (hole 13); a file's invocations stay bounded by its attempts
  // times its segments.
  const next: FileState = {
    ...lease.state,
    counts: result.counts,
    checkpoint,
    handoff: true,
    leaseUntil: 0,
    attempts: 1,
  };
  delete next.lastError;
  if (!(await record(ctx, lease, next))) return superseded(ctx, event, routeId);
  try {
    await continuations.schedule(continuationEvent(event));
  } catch (error) {
    // The checkpoint is stored: the retry of this event resumes from it.
    throw new TransientError(
      'continue-failed',
      `${event.key}: paused at line ${checkpoint.line}, but the continuation could not be sent: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  ctx.metrics.count('FilesContinued');
  ctx.logger.info('file paused before the invocation ends; it continues in another', {
    bucket: event.bucket,
    key: event.key,
    route: routeId,
    line: checkpoint.line,
    records: checkpoint.records,
    written: result.counts.written,
    rejected: result.counts.rejected,
    offset: checkpoint.offset,
    segment: checkpoint.segments,
  });
  return {
    bucket: event.bucket,
    key: event.key,
    route: routeId,
    status: 'continued',
    counts: result.counts,
    segments: checkpoint.segments,
  };
}

/** The failure that ends a file after its last attempt. */
export function exhausted(
  event: ObjectEvent,
  state: FileState,
  maxAttempts: number,
  cause?: unknown,
): PermanentError {
  return new PermanentError(
    'attempts-exhausted',
    `${event.key}: failed ${state.attempts} of ${maxAttempts} attempts${state.lastError ? `; last error: ${state.lastError}` : ' (the earlier attempts ended without a reason: a crash, a timeout or out of memory)'}`,
    cause === undefined ? {} : { cause },
  );
}
