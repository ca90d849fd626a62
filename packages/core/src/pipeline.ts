import type { EventlineConfig, Route } from '@eventline/config/schema.ts';
import { isLosslessNumber, stringify } from 'lossless-json';
import {
  describePosition,
  errorMessage,
  InProgressError,
  isPermanent,
  PermanentError,
  RecordError,
  SupersededError,
  TransientError,
} from './errors.ts';
import type { InboundMessage, ObjectEvent } from './events.ts';
import { compareSequencers, sequencerSortKey } from './events.ts';
import { decoderFor, isFailure, limitBytes, maxBytesFor, maybeGunzip } from './formats/index.ts';
import type { DecodedRecord } from './formats/types.ts';
import { recordAttributes, recordKey } from './items.ts';
import type {
  Clock,
  DeadLetterQueue,
  FileCounts,
  FileState,
  Ledger,
  Logger,
  Metrics,
  Notification,
  Notifier,
  ObjectSource,
  RejectedRecord,
} from './ports.ts';
import { noMetrics, silentLogger, systemClock } from './ports.ts';
import { matchRoute } from './routing.ts';
import { type AttributeMap, MAX_ITEM_BYTES, toItem } from './values.ts';

/**
 * The processing use case: one object version in, its records in the ledger, its outcome on the
 * file item, one notification out. Safe to run more than once for the same event (at-least-once
 * delivery in, exactly-once effect out) and safe against reordering (an older version never
 * overwrites a newer one).
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

export type OutcomeStatus =
  | 'processed'
  | 'failed'
  | 'duplicate'
  | 'stale'
  | 'ignored'
  | 'superseded'
  | 'finished';

export interface Outcome {
  status: OutcomeStatus;
  bucket: string;
  key: string;
  route?: string;
  counts?: FileCounts;
  error?: { code: string; message: string };
  notification?: FileState['notification'];
  durationMs?: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` up to `attempts` times, waiting `delayMs` x 2^n (with jitter) between failures. */
async function retrying<T>(work: () => Promise<T>, attempts: number, delayMs: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await pause(Math.random() * delayMs * 2 ** attempt);
    }
  }
}

/** Messages quote input (a cell, a number): keep them small enough for an item, an SNS or SQS message. */
export function clip(text: string, max = 1024): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Items close to DynamoDB's limit keep their payload in S3 (docs/design.md, "Guarantees": DynamoDB limits). */
const INLINE_ITEM_LIMIT = MAX_ITEM_BYTES - 8 * 1024;
const MAX_REJECTS_IN_LEDGER = 50;
const MAX_REJECTS_IN_OBJECT = 10_000;

type Decision =
  | { kind: 'claim'; attempts: number }
  | { kind: 'duplicate' }
  | { kind: 'stale' }
  | { kind: 'in-progress' }
  | { kind: 'finish' };

function sameVersion(state: FileState, event: ObjectEvent): boolean {
  if (event.versionId && state.versionId) return event.versionId === state.versionId;
  // Backfill and reconcile events come from a listing: no sequencer, the ETag names the content.
  if (!event.sequencer) return event.eTag !== undefined && event.eTag === state.eTag;
  if (state.sequencer) return compareSequencers(event.sequencer, state.sequencer) === 0;
  return event.eTag !== undefined && event.eTag === state.eTag;
}

/** The guard of conditional record writes; events without a sequencer (listings) are ordered by the file claim alone. */
const NO_SEQUENCER_GUARD = 'Z';

function hasPendingSteps(state: FileState): boolean {
  return state.notification.status === 'PENDING' || state.deadLetter.status === 'PENDING';
}

/** What to do with an event, given what the ledger knows of its object. */
export function decide(
  state: FileState | undefined,
  event: ObjectEvent,
  now: number,
  replay: boolean,
): Decision {
  if (!state) return { kind: 'claim', attempts: 1 };
  // A live lease means another invocation is working on this object right now.
  const leased = state.leaseUntil > now;
  if (sameVersion(state, event)) {
    if (state.status === 'PROCESSING') {
      return leased ? { kind: 'in-progress' } : { kind: 'claim', attempts: state.attempts + 1 };
    }
    if (state.status === 'FAILED' && replay) {
      return leased ? { kind: 'in-progress' } : { kind: 'claim', attempts: state.attempts + 1 };
    }
    if (!hasPendingSteps(state)) return { kind: 'duplicate' };
    return leased ? { kind: 'in-progress' } : { kind: 'finish' };
  }
  if (event.sequencer && state.sequencer && compareSequencers(event.sequencer, state.sequencer) < 0) {
    return { kind: 'stale' };
  }
  // A newer version waits for the older one's live claim to end: batched record writes are not
  // conditional, so two versions of one object must never be written at the same time.
  if (state.status === 'PROCESSING' && leased) return { kind: 'in-progress' };
  return { kind: 'claim', attempts: 1 };
}

/** Numbers as JS numbers, for schema validation only (the ledger keeps the exact text). */
function toPlain(value: unknown): unknown {
  if (isLosslessNumber(value)) return Number((value as { value: string }).value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
    return out;
  }
  return value;
}

export class Pipeline {
  readonly config: EventlineConfig;
  private readonly deps: PipelineDeps;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly clock: Clock;
  private readonly leaseMs: number;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
    this.config = deps.config;
    this.logger = deps.logger ?? silentLogger;
    this.metrics = deps.metrics ?? noMetrics;
    this.clock = deps.clock ?? systemClock;
    this.leaseMs = deps.leaseMs ?? deps.config.function.timeoutSeconds * 1000 + 30_000;
  }

  /**
   * Handles one inbound message (an SQS message or a direct event record). Resolves when every
   * object in it has an outcome; throws (a TransientError or a bug) when it must be retried.
   * Unreadable messages are dead-lettered with their reason, never dropped.
   */
  async handleMessage(message: InboundMessage): Promise<Outcome[]> {
    if (message.kind === 'test') {
      this.logger.info('s3:TestEvent acknowledged and ignored', { messageId: message.id });
      return [];
    }
    if (message.kind === 'invalid') {
      const reason = message.reason ?? 'unreadable message';
      this.logger.error('unreadable event dead-lettered', { messageId: message.id, reason });
      this.metrics.count('EventsInvalid');
      await this.deps.deadLetters.send({
        code: 'bad-event',
        reason,
        event: message.raw,
        failedAt: new Date(this.clock.now()).toISOString(),
      });
      return [];
    }
    for (const skipped of message.skipped) {
      this.logger.info('event is not an object creation; skipped', { messageId: message.id, ...skipped });
    }
    const outcomes: Outcome[] = [];
    for (const event of message.objects) outcomes.push(await this.processObject(event));
    return outcomes;
  }

  /** Processes one object version. `replay` re-drives a file that failed permanently. */
  async processObject(event: ObjectEvent, options: { replay?: boolean } = {}): Promise<Outcome> {
    const base = { bucket: event.bucket, key: event.key };
    if (this.deps.bucketName && event.bucket !== this.deps.bucketName) {
      this.logger.warn('event for another bucket; skipped', { ...base, servedBucket: this.deps.bucketName });
      return { ...base, status: 'ignored' };
    }
    const route = matchRoute(this.config.routes, event.key);
    if (!route) {
      this.logger.info('object outside every route; skipped', base);
      return { ...base, status: 'ignored' };
    }
    // Most objects are new: claim without reading first (one request less); when the ledger knows
    // the object already, the conditional write fails and the decision below reads it.
    if (!options.replay) {
      const fresh = this.claimState(event, route, undefined, this.clock.now(), 1);
      if (await this.deps.ledger.putFile(fresh, undefined)) return this.run(event, route, fresh);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await this.deps.ledger.getFile(event.bucket, event.key);
      const now = this.clock.now();
      const decision = decide(state, event, now, options.replay ?? false);
      switch (decision.kind) {
        case 'duplicate':
          this.logger.info('duplicate event: this object version already has its outcome', base);
          this.metrics.count('EventsDuplicate');
          return { ...base, route: route.id, status: 'duplicate' };
        case 'stale':
          this.logger.warn('older version than the ledger holds; skipped', {
            ...base,
            sequencer: event.sequencer,
          });
          this.metrics.count('EventsStale');
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
            leaseUntil: now + this.leaseMs,
            updatedAt: this.iso(),
          };
          if (await this.deps.ledger.putFile(leased, state!.rev))
            return this.finishSteps(leased, event, 'finished');
          break;
        }
        case 'claim': {
          const claimed = this.claimState(event, route, state, now, decision.attempts);
          if (await this.deps.ledger.putFile(claimed, state?.rev)) return this.run(event, route, claimed);
        }
      }
    }
    throw new InProgressError('contention', `${event.key}: could not claim the file after 5 attempts`);
  }

  private claimState(
    event: ObjectEvent,
    route: Route,
    previous: FileState | undefined,
    now: number,
    attempts: number,
  ): FileState {
    const at = new Date(now).toISOString();
    const state: FileState = {
      bucket: event.bucket,
      key: event.key,
      route: route.id,
      seq: sequencerSortKey(event.sequencer),
      eventTime: event.eventTime,
      status: 'PROCESSING',
      rev: (previous?.rev ?? 0) + 1,
      leaseUntil: now + this.leaseMs,
      attempts,
      counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
      rejects: [],
      notification: { status: 'NOT_NEEDED' },
      deadLetter: { status: 'NOT_NEEDED' },
      startedAt: at,
      updatedAt: at,
    };
    if (event.versionId) state.versionId = event.versionId;
    if (event.eTag) state.eTag = event.eTag;
    if (event.size !== undefined) state.size = event.size;
    if (event.sequencer) state.sequencer = event.sequencer;
    return state;
  }

  private async run(event: ObjectEvent, route: Route, claimed: FileState): Promise<Outcome> {
    const started = this.clock.now();
    const log = { bucket: event.bucket, key: event.key, route: route.id, attempt: claimed.attempts };
    this.logger.debug('processing file', log);
    let final: FileState;
    try {
      const result = await this.ingest(event, route, claimed);
      final = {
        ...claimed,
        status: 'PROCESSED',
        counts: result.counts,
        rejects: result.rejects,
        notification: { status: 'PENDING' },
      };
      if (result.rejectsKey) final.rejectsKey = result.rejectsKey;
      this.metrics.count('FilesProcessed');
      this.metrics.count('RecordsWritten', result.counts.written);
      if (result.counts.rejected) this.metrics.count('RecordsRejected', result.counts.rejected);
    } catch (error) {
      if (error instanceof SupersededError) {
        await this.release(claimed);
        this.logger.info('object replaced since this event; the newer event processes it', log);
        return { bucket: event.bucket, key: event.key, route: route.id, status: 'superseded' };
      }
      if (!isPermanent(error)) {
        // Give the claim back so the retry need not wait for the lease to run out.
        await this.release(claimed);
        this.metrics.count('FilesRetried');
        this.logger.warn('transient failure; will be retried', { ...log, error: errorMessage(error) });
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
      this.metrics.count('FilesFailed');
      this.logger.error('file failed permanently', {
        ...log,
        code: error.code,
        reason: clip(error.message),
        where,
      });
    }
    const finishedAt = this.clock.now();
    final = {
      ...final,
      rev: claimed.rev + 1,
      // The claim is kept until the owed steps are sent (finishSteps gives it back).
      leaseUntil: claimed.leaseUntil,
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: finishedAt - started,
      updatedAt: new Date(finishedAt).toISOString(),
    };
    this.metrics.milliseconds('FileDuration', finishedAt - started);
    let recorded: boolean;
    try {
      recorded = await this.deps.ledger.putFile(final, claimed.rev);
    } catch (error) {
      // The outcome could not be stored: give the claim back, so the retry need not wait for the lease.
      await this.release(claimed);
      throw error;
    }
    if (!recorded) {
      this.logger.warn('a newer version took the file over while it was processed', log);
      return { bucket: event.bucket, key: event.key, route: route.id, status: 'superseded' };
    }
    return this.finishSteps(final, event, final.status === 'PROCESSED' ? 'processed' : 'failed');
  }

  /** Sends what a terminal outcome still owes: the dead letter (failures), then the notification. */
  private async finishSteps(state: FileState, event: ObjectEvent, status: OutcomeStatus): Promise<Outcome> {
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
      const written = await this.deps.ledger.putFile(
        { ...next, rev: current.rev + 1, updatedAt: this.iso() },
        current.rev,
      );
      if (written) current = { ...next, rev: current.rev + 1 };
      return written;
    };
    const giveBack = () => save({ ...current, leaseUntil: 0 }).catch(() => false);
    if (current.deadLetter.status === 'PENDING') {
      await this.deps.deadLetters
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
          failedAt: this.iso(),
          attempts: current.attempts,
        })
        .catch(async (error: unknown) => {
          await giveBack();
          throw error;
        });
      this.metrics.count('FilesDeadLettered');
      if (!(await save({ ...current, deadLetter: { status: 'SENT', at: this.iso() } }))) return outcome();
    }
    if (current.notification.status === 'PENDING') {
      let messageId: string;
      try {
        ({ messageId } = await this.deps.notifier.publish(this.notificationFor(current)));
      } catch (error) {
        this.metrics.count('NotificationsFailed');
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
      this.metrics.count('NotificationsSent');
      // Published: a failure to record it must not make a retry publish again (it would, after the
      // lease), so the record is retried here a few times (a repeated write is safe), then logged.
      const sent: FileState = {
        ...current,
        leaseUntil: 0,
        notification: { status: 'SENT', messageId, at: this.iso() },
      };
      await retrying(() => save(sent), 4, 200).catch((error: unknown) =>
        this.logger.warn('notification sent but not recorded', {
          key: current.key,
          messageId,
          error: errorMessage(error),
        }),
      );
    } else if (current.leaseUntil !== 0) {
      await giveBack();
    }
    this.logger.info(current.status === 'FAILED' ? 'file failed' : 'file processed', {
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
  private async release(claimed: FileState): Promise<void> {
    await this.deps.ledger
      .putFile({ ...claimed, rev: claimed.rev + 1, leaseUntil: 0, updatedAt: this.iso() }, claimed.rev)
      .catch((error: unknown) =>
        this.logger.warn('could not release the claim', { key: claimed.key, error: errorMessage(error) }),
      );
  }

  notificationFor(state: FileState): Notification {
    const failed = state.status === 'FAILED';
    const text = failed
      ? `File failed: ${state.key}\nReason: ${state.error?.message ?? 'unknown'}\nBucket: ${state.bucket}\nRoute: ${state.route}`
      : `New file processed: ${state.key}\nRecords written: ${state.counts.written}${state.counts.rejected ? `, rejected: ${state.counts.rejected}` : ''}\nBucket: ${state.bucket}\nRoute: ${state.route}`;
    const json: Record<string, unknown> = {
      message: failed ? `File failed: ${state.key}` : `New file processed: ${state.key}`,
      status: state.status,
      bucket: state.bucket,
      key: state.key,
      versionId: state.versionId,
      eTag: state.eTag,
      route: state.route,
      records: state.counts,
      durationMs: state.durationMs,
      error: state.error,
      rejectsKey: state.rejectsKey,
      processedAt: state.finishedAt,
    };
    return {
      subject: failed ? 'S3 Event Failed' : 'S3 Event Processed',
      text,
      json,
      attributes: {
        status: { type: 'String', value: state.status },
        route: { type: 'String', value: state.route },
        bucket: { type: 'String', value: state.bucket },
        records: { type: 'Number', value: String(state.counts.written) },
      },
    };
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Streams the object through its decoder into the ledger. Throws PermanentError for a bad file. */
  private async ingest(
    event: ObjectEvent,
    route: Route,
    claimed: FileState,
  ): Promise<{ counts: FileCounts; rejects: RejectedRecord[]; rejectsKey?: string }> {
    const max = maxBytesFor(route);
    if (event.size !== undefined && event.size > max) {
      throw new PermanentError(
        'too-large',
        `${event.key}: ${event.size} bytes is over the route's limit of ${max} bytes`,
      );
    }
    const opened = await this.deps.source.open(event);
    if (opened.contentLength !== undefined && opened.contentLength > max) {
      throw new PermanentError(
        'too-large',
        `${event.key}: ${opened.contentLength} bytes is over the route's limit of ${max} bytes`,
      );
    }
    const raw = { bytes: 0 };
    const decompressed = limitBytes(
      maybeGunzip(limitBytes(opened.body, max, event.key, raw), {
        compression: route.compression,
        key: event.key,
        ...(opened.contentEncoding ? { contentEncoding: opened.contentEncoding } : {}),
      }),
      max,
      event.key,
      { bytes: 0 },
      'decompressed file',
    );
    const records = decoderFor(route.format)(decompressed, { route, key: event.key });
    const counts: FileCounts = { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 };
    const processedAt = claimed.startedAt;
    const allRejects: RejectedRecord[] = [];

    if (route.format === 'json') {
      for await (const decoded of records) {
        if (isFailure(decoded)) throw decoded.error;
        counts.read += 1;
        const item = await this.buildItem(event, route, decoded, false, processedAt);
        const result = await this.deps.ledger.putRecord(item, {
          bucket: event.bucket,
          key: event.key,
          seq: event.sequencer ? claimed.seq : NO_SEQUENCER_GUARD,
        });
        if (result === 'written') counts.written += 1;
        else this.logger.warn('record key holds a newer version of this object; kept it', { key: event.key });
      }
      counts.bytes = raw.bytes;
      return { counts, rejects: [] };
    }

    const reject = (error: RecordError) => {
      counts.rejected += 1;
      const entry: RejectedRecord = {
        position: error.position ?? {},
        code: error.code,
        reason: clip(error.message),
      };
      if (allRejects.length < MAX_REJECTS_IN_OBJECT) allRejects.push(entry);
      if (route.onInvalid === 'fail') {
        throw new PermanentError('invalid-record', clip(error.message), {
          cause: error,
          ...(error.position ? { position: error.position } : {}),
        });
      }
    };

    const writer = new BatchPipe(
      this.deps.ledger,
      this.config.writes.parallelism,
      this.config.writes.deadlineMs,
      this.clock,
    );
    let chunk = new Map<string, AttributeMap>();
    try {
      for await (const decoded of records) {
        counts.read += 1;
        if (isFailure(decoded)) {
          reject(decoded.error);
          continue;
        }
        let item: AttributeMap;
        try {
          item = await this.buildItem(event, route, decoded, true, processedAt);
        } catch (error) {
          if (error instanceof RecordError) {
            reject(error);
            continue;
          }
          throw error;
        }
        const pk = (item.pk as { S: string }).S;
        if (chunk.has(pk)) counts.duplicates += 1; // the later record of one key wins
        chunk.set(pk, item);
        if (chunk.size === 25) {
          await writer.write([...chunk.values()]);
          chunk = new Map();
        }
      }
      if (chunk.size > 0) await writer.write([...chunk.values()]);
      counts.written = await writer.done();
    } catch (error) {
      // No write of this file may outlive its outcome: let the batches in flight finish first.
      await writer.settle();
      throw error;
    }
    counts.bytes = raw.bytes;
    const result: { counts: FileCounts; rejects: RejectedRecord[]; rejectsKey?: string } = {
      counts,
      rejects: allRejects.slice(0, MAX_REJECTS_IN_LEDGER),
    };
    if (allRejects.length > 0) {
      const rejectsKey = `${this.config.internalPrefix}rejects/${event.bucket}/${event.key}.${claimed.seq.replace(/0+$/, '') || 'x'}.ndjson`;
      await this.deps.source.putInternal(
        event.bucket,
        rejectsKey,
        allRejects.map((r) => JSON.stringify({ object: event.key, ...r })).join('\n'),
        'application/x-ndjson',
      );
      result.rejectsKey = rejectsKey;
    }
    return result;
  }

  private async buildItem(
    event: ObjectEvent,
    route: Route,
    decoded: DecodedRecord,
    multiRecord: boolean,
    processedAt: string,
  ): Promise<AttributeMap> {
    let pk: string;
    try {
      pk = recordKey(route, event.key, decoded, multiRecord);
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      throw new RecordError(
        error.code,
        `${event.key}: ${describePosition(decoded.position)}: ${error.message}`,
        {
          cause: error,
          position: { ...decoded.position, ...error.position },
        },
      );
    }
    if (route.schema) {
      const checked = route.schema.safeParse(toPlain(decoded.value));
      if (!checked.success) {
        const issue = checked.error?.issues[0];
        const field = issue?.path.map(String).join('.') ?? '';
        throw new RecordError(
          'invalid-record',
          `${event.key}: ${describePosition({ ...decoded.position, field })}: ${issue?.message ?? 'invalid'}`,
          {
            position: { ...decoded.position, field },
          },
        );
      }
    }
    const attributes = recordAttributes({
      pk,
      payload: decoded.value,
      event,
      route,
      record: decoded,
      processedAt,
    });
    let marshalled: ReturnType<typeof toItem>;
    try {
      marshalled = toItem(attributes);
    } catch (error) {
      if (error instanceof RecordError) {
        throw new RecordError(
          error.code,
          `${event.key}: ${describePosition(decoded.position)}: ${error.message}`,
          {
            cause: error,
            position: { ...decoded.position, ...error.position },
          },
        );
      }
      throw error;
    }
    if (marshalled.size <= INLINE_ITEM_LIMIT) return marshalled.item;
    // Too large for one DynamoDB item: the payload goes to S3 (a non-routed prefix), the item points to it.
    const payloadKey = `${this.config.internalPrefix}payloads/${event.bucket}/${event.key}/${sequencerSortKey(event.sequencer).replace(/0+$/, '') || event.eTag || 'x'}/${decoded.position.index ?? 0}.json`;
    const body = stringify(decoded.value) ?? 'null';
    await this.deps.source.putInternal(event.bucket, payloadKey, body, 'application/json');
    this.metrics.count('PayloadsOffloaded');
    return toItem({
      ...attributes,
      payload: null,
      payloadRef: { bucket: event.bucket, key: payloadKey, bytes: Buffer.byteLength(body) },
    }).item;
  }
}

/** BatchWriteItem chunks with bounded parallelism; the first failure fails the file. */
class BatchPipe {
  private readonly inflight = new Set<Promise<void>>();
  /** The batch in flight that writes each key (at most 25 x parallelism keys). */
  private readonly byKey = new Map<string, Promise<void>>();
  private failure: unknown;
  private written = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly parallelism: number,
    private readonly deadlineMs: number,
    private readonly clock: Clock,
  ) {}

  async write(items: AttributeMap[]): Promise<void> {
    if (this.failure) throw this.failure;
    // A key's later record must not be overtaken by an earlier batch still being retried.
    const keys = items.map((item) => (item.pk as { S: string }).S);
    const earlier = new Set(keys.map((key) => this.byKey.get(key)).filter((w) => w !== undefined));
    if (earlier.size > 0) await Promise.all(earlier);
    if (this.failure) throw this.failure;
    const p: Promise<void> = this.ledger
      .putRecords(items, { deadline: this.clock.now() + this.deadlineMs })
      .then(
        () => {
          this.written += items.length;
        },
        (error: unknown) => {
          this.failure ??= error;
        },
      )
      .finally(() => {
        this.inflight.delete(p);
        for (const key of keys) if (this.byKey.get(key) === p) this.byKey.delete(key);
      });
    this.inflight.add(p);
    for (const key of keys) this.byKey.set(key, p);
    if (this.inflight.size >= this.parallelism) await Promise.race(this.inflight);
    if (this.failure) throw this.failure;
  }

  /** Waits for every batch in flight, whatever its result (they never reject). */
  async settle(): Promise<void> {
    await Promise.all(this.inflight);
  }

  async done(): Promise<number> {
    await Promise.all(this.inflight);
    if (this.failure) throw this.failure;
    return this.written;
  }
}
