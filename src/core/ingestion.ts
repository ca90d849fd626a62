import { isLosslessNumber, stringify } from 'lossless-json';
import type { Route } from '../config/schema.ts';
import { NO_SEQUENCER_GUARD } from './claim.ts';
import type { UseCaseContext } from './context.ts';
import { describePosition, PermanentError, RecordError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import { sequencerSortKey } from './events.ts';
import { decoderFor, isFailure, limitBytes, maxBytesFor, maybeGunzip } from './formats/index.ts';
import type { DecodedRecord } from './formats/types.ts';
import { recordAttributes, recordKey } from './items.ts';
import { clip } from './outcome.ts';
import type { FileCounts, FileState, RejectedRecord } from './ports.ts';
import { type AttributeMap, MAX_ITEM_BYTES, toItem } from './values.ts';

/**
 * Ingestion: streams one object through its decoder, builds the items and writes them to the
 * ledger. Throws PermanentError for a bad file; a bad record is rejected or fails the file as the
 * route's `onInvalid` says.
 */

/** Items close to DynamoDB's limit keep their payload in S3 (see DESIGN "DynamoDB limits"). */
const INLINE_ITEM_LIMIT = MAX_ITEM_BYTES - 8 * 1024;
const MAX_REJECTS_IN_LEDGER = 50;
const MAX_REJECTS_IN_OBJECT = 10_000;

export interface IngestResult {
  counts: FileCounts;
  rejects: RejectedRecord[];
  rejectsKey?: string;
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
): Promise<IngestResult> {
  const max = maxBytesFor(route);
  if (event.size !== undefined && event.size > max) {
    throw new PermanentError(
      'too-large',
      `${event.key}: ${event.size} bytes is over the route's limit of ${max} bytes`,
    );
  }
  const opened = await ctx.source.open(event);
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
      const item = await buildItem(ctx, event, route, decoded, false, processedAt);
      const result = await ctx.ledger.putRecord(item, {
        bucket: event.bucket,
        key: event.key,
        seq: event.sequencer ? claimed.seq : NO_SEQUENCER_GUARD,
      });
      if (result === 'written') counts.written += 1;
      else ctx.logger.warn('record key holds a newer version of this object; kept it', { key: event.key });
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

  const writer = ctx.ledger.recordWriter({
    parallelism: ctx.config.writes.parallelism,
    deadlineMs: ctx.config.writes.deadlineMs,
  });
  try {
    for await (const decoded of records) {
      counts.read += 1;
      if (isFailure(decoded)) {
        reject(decoded.error);
        continue;
      }
      let item: AttributeMap;
      try {
        item = await buildItem(ctx, event, route, decoded, true, processedAt);
      } catch (error) {
        if (error instanceof RecordError) {
          reject(error);
          continue;
        }
        throw error;
      }
      await writer.add(item);
    }
    const written = await writer.finish();
    counts.written = written.written;
    counts.duplicates = written.duplicates;
  } catch (error) {
    // No write of this file may outlive its outcome: let the batches in flight finish first.
    await writer.settle();
    throw error;
  }
  counts.bytes = raw.bytes;
  const result: IngestResult = { counts, rejects: allRejects.slice(0, MAX_REJECTS_IN_LEDGER) };
  if (allRejects.length > 0) {
    const rejectsKey = `${ctx.config.internalPrefix}rejects/${event.bucket}/${event.key}.${claimed.seq.replace(/0+$/, '') || 'x'}.ndjson`;
    await ctx.source.putInternal(
      event.bucket,
      rejectsKey,
      allRejects.map((r) => JSON.stringify({ object: event.key, ...r })).join('\n'),
      'application/x-ndjson',
    );
    result.rejectsKey = rejectsKey;
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
  const payloadKey = `${ctx.config.internalPrefix}payloads/${event.bucket}/${event.key}/${sequencerSortKey(event.sequencer).replace(/0+$/, '') || event.eTag || 'x'}/${decoded.position.index ?? 0}.json`;
  const body = stringify(decoded.value) ?? 'null';
  await ctx.source.putInternal(event.bucket, payloadKey, body, 'application/json');
  ctx.metrics.count('PayloadsOffloaded');
  return toItem({
    ...attributes,
    payload: null,
    payloadRef: { bucket: event.bucket, key: payloadKey, bytes: Buffer.byteLength(body) },
  }).item;
}
