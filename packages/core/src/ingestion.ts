import type { Route } from '@eventline/config/runtime';
import { isLosslessNumber, stringify } from 'lossless-json';
import { NO_SEQUENCER_GUARD } from './claim.ts';
import type { UseCaseContext } from './context.ts';
import { describePosition, PermanentError, RecordError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import { sequencerSortKey } from './events.ts';
import { isFailure, limitText, maxBytesFor } from './formats/index.ts';
import type { DecodedRecord, DecoderResume, ResumePoint } from './formats/types.ts';
import { recordAttributes, recordKey } from './items.ts';
import { clip } from './outcome.ts';
import { openParquet } from './parquet-input.ts';
import type { Checkpoint, FileCounts, FileState, RejectedRecord } from './ports.ts';
import { type FileInput, noProgress, openStream } from './stream-input.ts';
import { applyTransform } from './transform.ts';
import { type AttributeMap, MAX_ITEM_BYTES, toItem } from './values.ts';

/**
 * Ingestion: streams one object through its decoder, builds the items and writes them to the
 * ledger. Throws PermanentError for a bad file; a bad record is rejected or fails the file as the
 * route's `onInvalid` says.
 */

/** Items close to DynamoDB's limit keep their payload in S3 (see DESIGN "DynamoDB limits"). */
const INLINE_ITEM_LIMIT = MAX_ITEM_BYTES - 8 * 1024;
const MAX_REJECTS_IN_LEDGER = 3;
const MAX_REJECTS_IN_OBJECT = 10_000;

export interface IngestResult {
  counts: FileCounts;
  rejects: RejectedRecord[];
  rejectsKey?: string;
  /** An `object` route's file: the content type detected from its bytes. */
  contentType?: string;
  /** Set when the file paused (its invocation ran out of time): where the next one resumes. */
  paused?: Checkpoint;
  /** The version S3 served (an event from a listing names none): the outcome's identity. */
  versionId?: string;
}

export interface IngestOptions {
  /**
   * Clock time after which a multi-record file pauses at its next record and checkpoints; a segment
   * pauses only once it has handled a record, so every segment makes progress.
   */
  pauseAt?: number;
  /**
   * Clock time by which a resumed segment must have reached its checkpoint (a gzip prefix inflated
   * again, an old checkpoint's records skipped), later than `pauseAt`: a prefix that runs past
   * `pauseAt` still leaves time to handle a record and pause. Past it the segment made no progress.
   */
  reachBy?: number;
  /** Fencing of record batches by the claim's lease (see lease.ts). */
  fence?: () => Promise<number>;
  /** Told the version S3 served as soon as it is known, so a failure after it names its write too. */
  served?: (versionId: string) => void;
  /**
   * Told the file's counts when the segment throws, with the records its batches wrote before the
   * failure (and those of the segments before it), so a FAILED outcome says what it left (hole 4).
   */
  failedWith?: (counts: FileCounts) => void;
}

/**
 * CSV columns kept in a checkpoint, in bytes (the file item holds at most 400 KB); a larger header
 * leaves the checkpoint without an offset, and the next segment re-reads and skips.
 */
const MAX_CHECKPOINT_COLUMNS_BYTES = 64 * 1024;
const columnsFit = (columns: string[]) =>
  columns.reduce((sum, name) => sum + Buffer.byteLength(name) + 3, 0) <= MAX_CHECKPOINT_COLUMNS_BYTES;

const rejectsKeyOf = (ctx: UseCaseContext, event: ObjectEvent, claimed: FileState, part: number) =>
  `${ctx.config.internalPrefix}rejects/${event.bucket}/${event.key}.${claimed.seq.replace(/0+$/, '') || 'x'}${part > 0 ? `.${part}` : ''}.ndjson`;

/** Adds the counts of the segments before this one (a continued file's checkpoint) to `counts`. */
function withEarlierSegments(counts: FileCounts, before: FileCounts | undefined): FileCounts {
  if (before) {
    counts.read += before.read;
    counts.written += before.written;
    counts.rejected += before.rejected;
    counts.duplicates += before.duplicates;
  }
  return counts;
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

/** Streams the object through its decoder into the ledger. Throws PermanentError for a bad file. */
export async function ingest(
  ctx: UseCaseContext,
  event: ObjectEvent,
  route: Route,
  claimed: FileState,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const max = maxBytesFor(route);
  if (event.size !== undefined && event.size > max) {
    throw new PermanentError('too-large', `${event.key}: ${event.size} bytes is over ${limitText(route)}`);
  }
  const resume = route.format === 'json' ? undefined : claimed.checkpoint;
  const at = resume?.offset;
  const expired = () => options.pauseAt !== undefined && ctx.clock.now() >= options.pauseAt;
  const reachBy = options.reachBy ?? options.pauseAt;
  const unreachable = () => reachBy !== undefined && ctx.clock.now() >= reachBy;
  const segment = resume?.segments ?? 1;
  const decoderResume: DecoderResume | undefined =
    at !== undefined && (at || route.format === 'parquet')
      ? {
          line: resume!.line,
          index: resume!.values,
          ...(resume!.columns ? { columns: resume!.columns } : {}),
        }
      : undefined;
  const input: FileInput =
    route.format === 'parquet'
      ? await openParquet(ctx, event, route, max, {
          ...(decoderResume ? { resume: decoderResume } : {}),
          ...(options.served ? { served: options.served } : {}),
        })
      : await openStream(ctx, event, route, max, {
          ...(resume ? { resume } : {}),
          ...(decoderResume ? { decoderResume } : {}),
          ...(options.served ? { served: options.served } : {}),
          unreachable,
        });
  const { records, lineEnds } = input;
  const linesBefore = decoderResume ? resume!.line : 0;
  const counts: FileCounts = { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 };
  const processedAt = claimed.startedAt;
  const allRejects: RejectedRecord[] = [];

  const transformTimeoutMs = ctx.config.function.timeoutSeconds * 1000;
  if (route.format === 'json') {
    for await (const decoded of records) {
      if (isFailure(decoded)) throw decoded.error;
      counts.read += 1;
      for (const made of await applyTransform(route, event, decoded, transformTimeoutMs)) {
        const item = await buildItem(ctx, event, route, made, false, processedAt);
        const result = await ctx.ledger.putRecord(item, {
          bucket: event.bucket,
          key: event.key,
          seq: event.sequencer ? claimed.seq : NO_SEQUENCER_GUARD,
        });
        if (result === 'written') counts.written += 1;
        else ctx.logger.warn('record key holds a newer version of this object; kept it', { key: event.key });
      }
    }
    counts.bytes = input.bytes();
    return { counts, rejects: [], ...(input.versionId ? { versionId: input.versionId } : {}) };
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

  const writer = ctx.ledger.recordWriter({
    parallelism: ctx.config.writes.parallelism,
    deadlineMs: ctx.config.writes.deadlineMs,
    ...(options.fence ? { fence: options.fence } : {}),
  });
  // Decoders number lines and indexes on from the checkpoint; an old checkpoint's skipped records
  // were handled before.
  const skip = resume && !at ? resume.records : 0;
  let seen = 0;
  /** The decoder's index of the next record (failures have one in some formats). */
  let nextIndex = at ? resume!.values : 0;
  let lastLine = linesBefore;
  /** Records handled by this segment: it pauses only after the first, so every segment progresses. */
  let handled = 0;
  let paused = false;
  let stopAt: ResumePoint | undefined;
  let contentType: string | undefined;
  try {
    for await (const decoded of records) {
      seen += 1;
      if (seen <= skip) {
        if (unreachable()) throw noProgress(event, segment, `skipping the ${skip} records handled before`);
        continue;
      }
      // Out of time: stop before this record; the checkpoint is where it starts. A segment
      // handles at least one record first, so that every continuation makes progress.
      if (handled > 0 && expired()) {
        paused = true;
        stopAt = decoded.resumeAt;
        break;
      }
      handled += 1;
      counts.read += 1;
      const index = isFailure(decoded) ? decoded.error.position?.index : decoded.position.index;
      if (index !== undefined) nextIndex = index + 1;
      if (isFailure(decoded)) {
        lastLine = decoded.error.position?.line ?? lastLine;
        reject(decoded.error);
      } else {
        if (route.format === 'object') {
          const detected = (decoded.value as { contentType?: unknown }).contentType;
          if (typeof detected === 'string') contentType = detected;
        }
        lastLine = decoded.position.line ?? lastLine;
        lineEnds?.after(lastLine - linesBefore); // keeps only the line ends of the read-ahead
        let made: DecodedRecord[] = [];
        try {
          made = await applyTransform(route, event, decoded, transformTimeoutMs);
        } catch (error) {
          if (!(error instanceof RecordError)) throw error;
          reject(error);
        }
        for (const record of made) {
          let item: AttributeMap | undefined;
          try {
            // An `object` record stands for the whole file: keyed by the object key when it has no key field.
            item = await buildItem(ctx, event, route, record, route.format !== 'object', processedAt);
          } catch (error) {
            if (!(error instanceof RecordError)) throw error;
            reject(error);
          }
          if (item) await writer.add(item);
        }
      }
    }
    // The guard whatever the format: a segment that handled nothing must not hand off for free.
    if (paused && handled === 0) throw noProgress(event, segment, 'reading up to its checkpoint');
    const written = await writer.finish();
    counts.written = written.written;
    counts.duplicates = written.duplicates;
  } catch (error) {
    // No write of this file may outlive its outcome: let the batches in flight finish first.
    const settled = await writer.settle();
    counts.written = settled.written;
    counts.duplicates = settled.duplicates;
    counts.bytes = input.bytes();
    options.failedWith?.(withEarlierSegments(counts, resume?.counts));
    throw error;
  }
  counts.bytes = input.bytes();
  withEarlierSegments(counts, resume?.counts);
  const part = resume?.rejectParts ?? 0;
  const result: IngestResult = { counts, rejects: allRejects.slice(0, MAX_REJECTS_IN_LEDGER) };
  if (input.versionId) result.versionId = input.versionId;
  if (contentType) result.contentType = contentType;
  if (allRejects.length > 0) {
    await ctx.source.putInternal(
      event.bucket,
      rejectsKeyOf(ctx, event, claimed, part),
      allRejects.map((r) => JSON.stringify({ object: event.key, ...r })).join('\n'),
      'application/x-ndjson',
    );
  }
  const parts = part + (allRejects.length > 0 ? 1 : 0);
  if (parts > 0) result.rejectsKey = rejectsKeyOf(ctx, event, claimed, 0);
  if (paused) {
    const gzip = input.gzip?.() ?? false;
    const checkpoint: Checkpoint = {
      line: lastLine,
      records: (resume?.records ?? 0) + handled,
      values: nextIndex,
      counts,
      rejectParts: parts,
      segments: segment + 1,
    };
    const base = input.base;
    if (stopAt && (stopAt.columns === undefined || columnsFit(stopAt.columns))) {
      checkpoint.offset = base + stopAt.byte;
      checkpoint.line = stopAt.line;
      checkpoint.values = stopAt.index;
      if (stopAt.columns) checkpoint.columns = stopAt.columns;
    } else if (lineEnds && !stopAt) {
      const after = lineEnds.after(lastLine - linesBefore);
      if (after !== undefined) checkpoint.offset = after;
    }
    // Without an offset (a CSV header too large to keep) the next segment re-reads and skips.
    if (checkpoint.offset !== undefined && (gzip || resume?.inflated)) checkpoint.inflated = true;
    result.paused = checkpoint;
  }
  return result;
}

/** Places a record error in its file: the message names the object key and the position. */
function located(error: RecordError, event: ObjectEvent, decoded: DecodedRecord): RecordError {
  return new RecordError(
    error.code,
    `${event.key}: ${describePosition(decoded.position)}: ${error.message}`,
    {
      cause: error,
      position: { ...decoded.position, ...error.position },
    },
  );
}

async function buildItem(
  ctx: UseCaseContext,
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
    throw located(error, event, decoded);
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
    if (error instanceof RecordError) throw located(error, event, decoded);
    throw error;
  }
  if (marshalled.size <= INLINE_ITEM_LIMIT) return marshalled.item;
  // Too large for one DynamoDB item: the payload goes to S3 (a non-routed prefix), the item points to it.
  const payloadKey = `${ctx.config.internalPrefix}payloads/${event.bucket}/${event.key}/${sequencerSortKey(event.sequencer).replace(/0+$/, '') || event.eTag || 'x'}/${decoded.position.index ?? 0}${decoded.part === undefined ? '' : `.${decoded.part}`}.json`;
  const body = stringify(decoded.value) ?? 'null';
  await ctx.source.putInternal(event.bucket, payloadKey, body, 'application/json');
  ctx.metrics.count('PayloadsOffloaded');
  return toItem({
    ...attributes,
    payload: null,
    payloadRef: { bucket: event.bucket, key: payloadKey, bytes: Buffer.byteLength(body) },
  }).item;
}
