import { defaultLeaseMs, type Route } from '@eventline/config/runtime';
import { claimState, decide, sameVersion } from './claim.ts';
import { isoNow, realSleep, type UseCaseContext } from './context.ts';
import { continuationEvent } from './continuation.ts';
import { closeDigest } from './digest.ts';
import { DigestWindows } from './digest-windows.ts';
import { complete, exhausted, fail, pause } from './endings.ts';
import {
  describeError,
  errorMessage,
  InProgressError,
  isPermanent,
  isProgrammingError,
  PermanentError,
  SupersededError,
} from './errors.ts';
import type { InboundMessage, ObjectEvent } from './events.ts';
import { type IngestResult, ingest } from './ingestion.ts';
import { Lease } from './lease.ts';
import { notificationFor } from './notification.ts';
import { clip, type Outcome } from './outcome.ts';
import { finishSteps, release } from './owed-steps.ts';
import type {
  Clock,
  Continuations,
  DeadLetterQueue,
  DigestScheduler,
  FileCounts,
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
import type { PipelineSettings } from './settings.ts';

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
  config: PipelineSettings;
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
  /** How a file too long for one invocation continues in another; without it, files never pause. */
  continuations?: Continuations;
  /** How retries wait (default: real time); the protocol simulator passes its virtual clock's. */
  sleep?: (ms: number) => Promise<void>;
  /** How digest windows are closed (a delayed message on the ingest queue); needed by digest routes. */
  digests?: DigestScheduler;
}

export interface ProcessOptions {
  replay?: boolean;
  /** When the invocation ends (clock ms), as the handler reads it from the Lambda context. */
  deadline?: number;
  /** Direct mode: this invocation already waited once for an older version's lease (hole 12). */
  waited?: boolean;
}

export class Pipeline {
  readonly config: PipelineSettings;
  private readonly bucketName: string | undefined;
  private readonly ctx: UseCaseContext;
  private readonly continuations: Continuations | undefined;
  private readonly maxAttempts: number;

  constructor(deps: PipelineDeps) {
    this.config = deps.config;
    this.bucketName = deps.bucketName;
    this.continuations = deps.continuations;
    this.maxAttempts = deps.config.files.maxAttempts;
    this.ctx = {
      config: deps.config,
      source: deps.source,
      ledger: deps.ledger,
      notifier: deps.notifier,
      deadLetters: deps.deadLetters,
      logger: deps.logger ?? silentLogger,
      metrics: deps.metrics ?? noMetrics,
      clock: deps.clock ?? systemClock,
      leaseMs: deps.leaseMs ?? defaultLeaseMs(deps.config.function.timeoutSeconds),
      sleep: deps.sleep ?? realSleep,
      ...(deps.digests ? { digests: { windows: new DigestWindows(), scheduler: deps.digests } } : {}),
    };
    const digestRoute = deps.config.routes.find((route) => typeof route.notify === 'object');
    if (digestRoute && !deps.digests) {
      throw new Error(
        `route "${digestRoute.id}" has a digest policy, but the pipeline was given no way to close its windows (the ingest queue: trigger.mode 'queue')`,
      );
    }
  }

  /**
   * Handles one inbound message (an SQS message or a direct event record). Resolves when every
   * object in it has an outcome; throws (a TransientError or a bug) when it must be retried.
   * Unreadable messages are dead-lettered with their reason, never dropped.
   */
  async handleMessage(message: InboundMessage, options: { deadline?: number } = {}): Promise<Outcome[]> {
    const { logger, metrics } = this.ctx;
    if (message.kind === 'test') {
      logger.info('s3:TestEvent acknowledged and ignored', { messageId: message.id });
      return [];
    }
    if (message.kind === 'digest-close' && message.close) {
      await closeDigest(this.ctx, message.close);
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
    for (const event of message.objects) {
      // `eventline dlq replay` and `reconcile --fix` mark the events of files to process again.
      const replay = event.origin === 'replay';
      outcomes.push(await this.processObject(event, replay ? { ...options, replay } : options));
    }
    return outcomes;
  }

  /**
   * Processes one object version. `replay` re-drives a file that failed permanently; `deadline`
   * (clock ms) is when the invocation ends: a multi-record file that cannot finish by then pauses
   * at a checkpoint and continues in another invocation.
   */
  async processObject(event: ObjectEvent, options: ProcessOptions = {}): Promise<Outcome> {
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
    // One conditional write decides the common cases (a new object, a newer version); when it
    // refuses, it returns what the ledger holds and the decision below works from that.
    let current: FileState | undefined;
    let known = false;
    if (!options.replay) {
      const now = clock.now();
      const result = await ledger.claim(claimState(event, route, undefined, now, 1, leaseMs), now);
      if (result.claimed) return this.run(event, route, new Lease(this.ctx, result.state), options);
      current = result.current;
      known = true;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!known) current = await ledger.getFile(event.bucket, event.key);
      known = false;
      const now = clock.now();
      const decision = decide(current, event, now, options.replay ?? false);
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
          // A newer version behind an older one's live claim (a segment of a continued file, a
          // finished version sending its steps) waits for that lease without using up its event's
          // deliveries: the event is sent again for after it (hole 12).
          if (this.continuations && !sameVersion(current!, event)) {
            return this.defer(event, route, current!, options);
          }
          throw new InProgressError(
            'in-progress',
            `${event.key}: this object version is being processed elsewhere, under a lease until ${new Date(current!.leaseUntil).toISOString()}`,
            { heldUntil: current!.leaseUntil },
          );
        case 'finish': {
          // Owed steps are sent under a lease too, so two redeliveries cannot both publish.
          const lease = new Lease(this.ctx, current!);
          if (await lease.save({ ...current!, leaseUntil: now + leaseMs })) {
            return finishSteps(this.ctx, lease, event, 'finished');
          }
          break;
        }
        case 'drain': {
          // The item carries as many older outcomes as it may: deliver them, then claim.
          const lease = new Lease(this.ctx, current!);
          if (await lease.save({ ...current!, leaseUntil: now + leaseMs })) {
            logger.info('delivering the owed steps of older versions before this one', base);
            await finishSteps(this.ctx, lease, event, 'finished');
          }
          break;
        }
        case 'claim': {
          if (current && (await this.olderThanCurrent(event, current))) {
            logger.warn('a version that is no longer the current one; skipped', {
              ...base,
              eTag: event.eTag,
              versionId: event.versionId,
            });
            metrics.count('EventsStale');
            return { ...base, route: route.id, status: 'stale' };
          }
          const claimed = claimState(event, route, current, now, decision.attempts, leaseMs);
          if (!current) {
            const result = await ledger.claim(claimed, now);
            if (result.claimed) return this.run(event, route, new Lease(this.ctx, result.state), options);
            current = result.current;
            known = true;
          } else if (await ledger.putFile(claimed, current.rev)) {
            return this.run(event, route, new Lease(this.ctx, claimed), options);
          }
        }
      }
    }
    throw new InProgressError('contention', `${event.key}: could not claim the file after 5 attempts`);
  }

  /**
   * Hole 12: a newer version found an older version's claim live. Queue mode sends its event again
   * on the ingest queue, delayed until that lease ends (SQS delays up to 900 s); direct mode, whose
   * asynchronous invocation cannot be delayed, waits for the lease in this invocation (up to three
   * quarters of its time) and tries once more, else invokes the function again with the event after
   * that wait. Either way this
   * delivery succeeds: the event's deliveries are not used up by the wait, and nothing is written.
   */
  private async defer(
    event: ObjectEvent,
    route: Route,
    current: FileState,
    options: ProcessOptions,
  ): Promise<Outcome> {
    const { clock, logger, metrics, sleep } = this.ctx;
    const base = { bucket: event.bucket, key: event.key, route: route.id };
    const waitMs = Math.max(0, current.leaseUntil - clock.now()) + 1_000;
    const continuations = this.continuations!;
    if (!continuations.delays) {
      if (options.deadline === undefined) {
        throw new InProgressError(
          'in-progress',
          `${event.key}: an older version is being processed elsewhere, under a lease until ${new Date(current.leaseUntil).toISOString()}`,
          { heldUntil: current.leaseUntil },
        );
      }
      // Wait here, up to three quarters of this invocation's time (the rest to claim and work):
      // to the lease's end, then try once more; else invoke the function again after the wait,
      // so each invocation spends most of its time waiting, never a loop of short ones.
      const wait = Math.min(waitMs, Math.floor(((options.deadline - clock.now()) * 3) / 4));
      if (!options.waited && wait > 0) {
        await sleep(wait);
        if (wait >= waitMs) return this.processObject(event, { ...options, waited: true });
      }
    }
    await continuations.schedule(continuationEvent(event), waitMs / 1000);
    logger.info('an older version holds the file; this newer version waits for its lease', {
      ...base,
      heldUntil: new Date(current.leaseUntil).toISOString(),
    });
    metrics.count('EventsDeferred');
    return { ...base, status: 'deferred' };
  }

  /**
   * Whether `event` names another version than the ledger's and cannot be ordered against it by
   * sequencers (one of them came from a listing: backfill, reconcile, a restart): then S3 says which
   * is current, and a version that is not may not take the object over (holes 5 and 6). Costs a
   * HeadObject on this rare path only.
   */
  private async olderThanCurrent(event: ObjectEvent, current: FileState): Promise<boolean> {
    if (sameVersion(current, event) || (event.sequencer && current.sequencer)) return false;
    const source = this.ctx.source;
    if (!source.current) return false;
    const head = await source.current(event.bucket, event.key);
    if (!head) return true;
    if (event.versionId && head.versionId) return event.versionId !== head.versionId;
    return event.eTag === undefined || head.eTag !== event.eTag;
  }

  /**
   * When a multi-record file stops to continue elsewhere, leaving time to checkpoint and hand off
   * (`pauseAt`), and by when a resumed segment must have reached its checkpoint (`reachBy`, half
   * that margin later: room to handle one record and still pause, see IngestOptions).
   */
  private segmentTimes(
    route: Route,
    deadline: number | undefined,
  ): { pauseAt: number; reachBy: number } | undefined {
    if (deadline === undefined || !this.continuations || route.format === 'json') return undefined;
    const budget = deadline - this.ctx.clock.now();
    const margin = Math.min(10_000, Math.max(500, Math.floor(budget / 4)));
    return { pauseAt: deadline - margin, reachBy: deadline - Math.floor(margin / 2) };
  }

  private async run(
    event: ObjectEvent,
    route: Route,
    lease: Lease,
    options: ProcessOptions,
  ): Promise<Outcome> {
    const { logger, metrics, clock } = this.ctx;
    const claimed = lease.state;
    const started = clock.now();
    const log = { bucket: event.bucket, key: event.key, route: route.id, attempt: claimed.attempts };
    logger.debug('processing file', log);
    if (claimed.attempts > this.maxAttempts) {
      // Earlier attempts died without recording why they failed (a crash, a timeout, out of memory).
      return fail(this.ctx, lease, event, started, exhausted(event, claimed, this.maxAttempts));
    }
    let result: IngestResult;
    let served: string | undefined;
    /** What the failing segment left in the ledger (hole 4: a FAILED outcome counts its records). */
    let partial: FileCounts | undefined;
    try {
      const times = this.segmentTimes(route, options.deadline);
      result = await ingest(this.ctx, event, route, claimed, {
        ...times,
        fence: () => lease.fence(),
        served: (versionId) => {
          served = versionId;
        },
        failedWith: (counts) => {
          partial = counts;
        },
      });
    } catch (error) {
      if (error instanceof SupersededError) {
        await release(this.ctx, lease);
        logger.info('object replaced or claim taken over; the newer claim processes it', {
          ...log,
          reason: error.message,
        });
        metrics.count('FilesSuperseded');
        return { bucket: event.bucket, key: event.key, route: route.id, status: 'superseded' };
      }
      if (isPermanent(error)) return fail(this.ctx, lease, event, started, error, served, partial);
      if (isProgrammingError(error)) {
        logger.error('programming error: the file fails instead of being retried', {
          ...log,
          error: describeError(error),
        });
        return fail(
          this.ctx,
          lease,
          event,
          started,
          new PermanentError(
            'internal-error',
            `${event.key}: internal error: ${error.name}: ${error.message}`,
            {
              cause: error,
            },
          ),
          served,
          partial,
        );
      }
      const reason = `${(error as Error)?.name ?? 'Error'}: ${errorMessage(error)}`;
      if (claimed.attempts >= this.maxAttempts) {
        logger.error('transient failure on the last attempt; the file fails', {
          ...log,
          error: describeError(error),
        });
        return fail(
          this.ctx,
          lease,
          event,
          started,
          exhausted(event, { ...claimed, lastError: reason }, this.maxAttempts, error),
          served,
          partial,
        );
      }
      // Give the claim back so the retry need not wait for the lease to run out.
      await release(this.ctx, lease, { lastError: clip(reason, 512) });
      metrics.count('FilesRetried');
      logger.warn('transient failure; will be retried', { ...log, error: describeError(error) });
      throw error;
    }
    if (result.paused) return pause(this.ctx, this.continuations!, lease, event, route.id, result);
    return complete(this.ctx, lease, event, route.id, result, started);
  }

  notificationFor(state: FileState): Notification {
    return notificationFor(state);
  }
}
