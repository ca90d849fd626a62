import type { EventlineConfig, Route } from '../config/schema.ts';
import { claimState, decide } from './claim.ts';
import { isoNow, type UseCaseContext } from './context.ts';
import { describePosition, errorMessage, InProgressError, isPermanent, SupersededError } from './errors.ts';
import type { InboundMessage, ObjectEvent } from './events.ts';
import { ingest } from './ingestion.ts';
import { notificationFor } from './notification.ts';
import { clip, type Outcome } from './outcome.ts';
import { finishSteps, release } from './owed-steps.ts';
import type {
  Clock,
  DeadLetterQueue,
  FileState,
  Ledger,
  Logger,
  Metrics,
  Notification,
  Notifier,
  ObjectSource,
} from './ports.ts';
import { noMetrics, silentLogger, systemClock } from './ports.ts';
import { matchRoute } from './routing.ts';

export { type Decision, decide } from './claim.ts';
export { clip, type Outcome, type OutcomeStatus } from './outcome.ts';

/**
 * The processing use case: one object version in, its records in the ledger, its outcome on the
 * file item, one notification out. Safe to run more than once for the same event (at-least-once
 * delivery in, exactly-once effect out) and safe against reordering (an older version never
 * overwrites a newer one). This module orchestrates; the claim protocol (claim.ts), ingestion
 * (ingestion.ts), the owed steps (owed-steps.ts) and the notification text (notification.ts) are
 * its parts.
 */

export interface PipelineDeps {
  config: EventlineConfig;
  /** The bucket this pipeline serves; events for other buckets are skipped. */
  bucketName?: string;
  source: ObjectSource;
  ledger: Ledger;
  notifier: Notifier;
  deadLetters: DeadLetterQueue;
  logger?: Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** How long a claim on a file is honoured before another attempt may take it over. */
  leaseMs?: number;
}

export class Pipeline {
  readonly config: EventlineConfig;
  private readonly bucketName: string | undefined;
  private readonly ctx: UseCaseContext;

  constructor(deps: PipelineDeps) {
    this.config = deps.config;
    this.bucketName = deps.bucketName;
    this.ctx = {
      config: deps.config,
      source: deps.source,
      ledger: deps.ledger,
      notifier: deps.notifier,
      deadLetters: deps.deadLetters,
      logger: deps.logger ?? silentLogger,
      metrics: deps.metrics ?? noMetrics,
      clock: deps.clock ?? systemClock,
      leaseMs: deps.leaseMs ?? deps.config.function.timeoutSeconds * 1000 + 30_000,
    };
  }

  /**
   * Handles one inbound message (an SQS message or a direct event record). Resolves when every
   * object in it has an outcome; throws (a TransientError or a bug) when it must be retried.
   * Unreadable messages are dead-lettered with their reason, never dropped.
   */
  async handleMessage(message: InboundMessage): Promise<Outcome[]> {
    const { logger, metrics } = this.ctx;
    if (message.kind === 'test') {
      logger.info('s3:TestEvent acknowledged and ignored', { messageId: message.id });
      return [];
    }
    if (message.kind === 'invalid') {
      const reason = message.reason ?? 'unreadable message';
      logger.error('unreadable event dead-lettered', { messageId: message.id, reason });
      metrics.count('EventsInvalid');
      await this.ctx.deadLetters.send({
        code: 'bad-event',
        reason,
        event: message.raw,
        failedAt: isoNow(this.ctx.clock),
      });
      return [];
    }
    for (const skipped of message.skipped) {
      logger.info('event is not an object creation; skipped', { messageId: message.id, ...skipped });
    }
    const outcomes: Outcome[] = [];
    for (const event of message.objects) outcomes.push(await this.processObject(event));
    return outcomes;
  }

  /** Processes one object version. `replay` re-drives a file that failed permanently. */
  async processObject(event: ObjectEvent, options: { replay?: boolean } = {}): Promise<Outcome> {
    const { ledger, logger, metrics, clock, leaseMs } = this.ctx;
    const base = { bucket: event.bucket, key: event.key };
    if (this.bucketName && event.bucket !== this.bucketName) {
      logger.warn('event for another bucket; skipped', { ...base, servedBucket: this.bucketName });
      return { ...base, status: 'ignored' };
    }
    const route = matchRoute(this.config.routes, event.key);
    if (!route) {
      logger.info('object outside every route; skipped', base);
      return { ...base, status: 'ignored' };
    }
    // Most objects are new: claim without reading first (one request less); when the ledger knows
    // the object already, the conditional write fails and the decision below reads it.
    if (!options.replay) {
      const fresh = claimState(event, route, undefined, clock.now(), 1, leaseMs);
      if (await ledger.putFile(fresh, undefined)) return this.run(event, route, fresh);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await ledger.getFile(event.bucket, event.key);
      const now = clock.now();
      const decision = decide(state, event, now, options.replay ?? false);
      switch (decision.kind) {
        case 'duplicate':
          logger.info('duplicate event: this object version already has its outcome', base);
          metrics.count('EventsDuplicate');
          return { ...base, route: route.id, status: 'duplicate' };
        case 'stale':
          logger.warn('older version than the ledger holds; skipped', {
            ...base,
            sequencer: event.sequencer,
          });
          metrics.count('EventsStale');
          return { ...base, route: route.id, status: 'stale' };
        case 'in-progress':
          throw new InProgressError(
            'in-progress',
            `${event.key}: this object version is being processed elsewhere`,
          );
        case 'finish': {
          // Owed steps are sent under a lease too, so two redeliveries cannot both publish.
          const leased: FileState = {
            ...state!,
            rev: state!.rev + 1,
            leaseUntil: now + leaseMs,
            updatedAt: isoNow(clock),
          };
          if (await ledger.putFile(leased, state!.rev))
            return finishSteps(this.ctx, leased, event, 'finished');
          break;
        }
        case 'claim': {
          const claimed = claimState(event, route, state, now, decision.attempts, leaseMs);
          if (await ledger.putFile(claimed, state?.rev)) return this.run(event, route, claimed);
        }
      }
    }
    throw new InProgressError('contention', `${event.key}: could not claim the file after 5 attempts`);
  }

  private async run(event: ObjectEvent, route: Route, claimed: FileState): Promise<Outcome> {
    const { ledger, logger, metrics, clock } = this.ctx;
    const started = clock.now();
    const log = { bucket: event.bucket, key: event.key, route: route.id, attempt: claimed.attempts };
    logger.debug('processing file', log);
    let final: FileState;
    try {
      const result = await ingest(this.ctx, event, route, claimed);
      final = {
        ...claimed,
        status: 'PROCESSED',
        counts: result.counts,
        rejects: result.rejects,
        notification: { status: 'PENDING' },
      };
      if (result.rejectsKey) final.rejectsKey = result.rejectsKey;
      metrics.count('FilesProcessed');
      metrics.count('RecordsWritten', result.counts.written);
      if (result.counts.rejected) metrics.count('RecordsRejected', result.counts.rejected);
    } catch (error) {
      if (error instanceof SupersededError) {
        await release(this.ctx, claimed);
        logger.info('object replaced since this event; the newer event processes it', log);
        return { bucket: event.bucket, key: event.key, route: route.id, status: 'superseded' };
      }
      if (!isPermanent(error)) {
        // Give the claim back so the retry need not wait for the lease to run out.
        await release(this.ctx, claimed);
        metrics.count('FilesRetried');
        logger.warn('transient failure; will be retried', { ...log, error: errorMessage(error) });
        throw error;
      }
      const where = describePosition(error.position);
      final = {
        ...claimed,
        status: 'FAILED',
        error: {
          code: error.code,
          message: clip(error.message),
          ...(error.position ? { position: error.position } : {}),
        },
        notification: { status: 'PENDING' },
        deadLetter: { status: 'PENDING' },
      };
      metrics.count('FilesFailed');
      logger.error('file failed permanently', {
        ...log,
        code: error.code,
        reason: clip(error.message),
        where,
      });
    }
    const finishedAt = clock.now();
    final = {
      ...final,
      rev: claimed.rev + 1,
      // The claim is kept until the owed steps are sent (finishSteps gives it back).
      leaseUntil: claimed.leaseUntil,
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: finishedAt - started,
      updatedAt: new Date(finishedAt).toISOString(),
    };
    metrics.milliseconds('FileDuration', finishedAt - started);
    let recorded: boolean;
    try {
      recorded = await ledger.putFile(final, claimed.rev);
    } catch (error) {
      // The outcome could not be stored: give the claim back, so the retry need not wait for the lease.
      await release(this.ctx, claimed);
      throw error;
    }
    if (!recorded) {
      logger.warn('a newer version took the file over while it was processed', log);
      return { bucket: event.bucket, key: event.key, route: route.id, status: 'superseded' };
    }
    return finishSteps(this.ctx, final, event, final.status === 'PROCESSED' ? 'processed' : 'failed');
  }

  notificationFor(state: FileState): Notification {
    return notificationFor(state);
  }
}
