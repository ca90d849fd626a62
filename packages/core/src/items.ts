import type { Route } from '@eventline/config/runtime';
import { isLosslessNumber } from 'lossless-json';
import { RecordError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import { compareSequencers, sequencerSortKey } from './events.ts';
import type { DecodedRecord } from './formats/types.ts';
import type { FileState } from './ports.ts';

/** Ledger keys of file outcome items start with this; record keys may not. */
export const FILE_KEY_PREFIX = '#file#';
export const MAX_KEY_BYTES = 2048;

export const fileKey = (bucket: string, key: string) => `${FILE_KEY_PREFIX}${bucket}/${key}`;

/**
 * The ledger's item layout for readers (the admin API, the console): the attribute names to
 * filter and page by. Writers build items with `recordAttributes` and the ledger adapter.
 */
export const ITEM = {
  /** The partition key: a record's key, or `fileKey(bucket, key)` for a file's outcome item. */
  key: 'pk',
  /** `ItemKind`: which of the two an item is. */
  kind: 'kind',
  /** On record items: `originOf(bucket, key)` of the object version they came from. */
  origin: 'origin',
} as const;

export type ItemKind = 'record' | 'file';

/** The `origin` of the record items that came from an object. */
export const originOf = (bucket: string, key: string) => `${bucket}/${key}`;

/** The key of an item as DynamoDB takes it to resume a scan after it (`ExclusiveStartKey`). */
export const itemKeyOf = (item: Record<string, unknown>): Record<string, unknown> => ({
  [ITEM.key]: item[ITEM.key],
});

/** The identity of the object version a record came from, stored on every record item. */
export function sourceOf(event: ObjectEvent): Record<string, unknown> {
  return {
    bucket: event.bucket,
    key: event.key,
    versionId: event.versionId,
    eTag: event.eTag,
    size: event.size,
    sequencer: event.sequencer,
    eventTime: event.eventTime,
  };
}

function keyText(value: unknown, what: string, position: DecodedRecord['position']): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    if (value === '') throw new RecordError('bad-key', `${what} is an empty string`, { position });
    return value;
  }
  if (isLosslessNumber(value)) return (value as { value: string }).value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new RecordError(
    'bad-key',
    `${what} must be a string or a number, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    {
      position,
    },
  );
}

function field(record: Record<string, unknown>, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const TEMPLATE = /\$\{([^}]+)\}/g;

/**
 * The ledger key of a record: the route's key field, template or function; when the record has
 * none, the object key (single-object files, as the seed does) or `<object key>#<line>`.
 */
export function recordKey(
  route: Route,
  objectKey: string,
  record: DecodedRecord,
  multiRecord: boolean,
): string {
  const { value, position } = record;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isLosslessNumber(value)) {
    throw new RecordError(
      'not-an-object',
      `expected a JSON object, got ${Array.isArray(value) ? 'an array' : isLosslessNumber(value) ? 'a number' : value === null ? 'null' : typeof value}`,
      { position },
    );
  }
  const fields = value as Record<string, unknown>;
  const base = multiRecord ? `${objectKey}#${position.line ?? (position.index ?? 0) + 1}` : objectKey;
  // Several records made of one by a transform: each its own fallback key.
  const fallback = record.part === undefined ? base : `${base}${multiRecord ? '.' : '#'}${record.part + 1}`;
  let pk: string | undefined;
  if (typeof route.key === 'function') {
    let made: unknown;
    try {
      made = route.key(fields, { key: objectKey, position: position.line ?? position.index ?? 0 });
    } catch (error) {
      // The route's own code failed on this record: the record is rejected, the file goes on.
      throw new RecordError('bad-key', `the key function failed: ${(error as Error)?.message ?? error}`, {
        cause: error,
        position,
      });
    }
    pk = keyText(made, 'the key function result', position);
  } else if (route.key.includes('${')) {
    pk = route.key.replace(TEMPLATE, (_, name: string) => {
      const part = keyText(field(fields, name.trim()), `key field "${name.trim()}"`, {
        ...position,
        field: name.trim(),
      });
      if (part === undefined) {
        throw new RecordError('missing-key', `key field "${name.trim()}" is missing`, {
          position: { ...position, field: name.trim() },
        });
      }
      return part;
    });
  } else {
    pk = keyText(field(fields, route.key), `key field "${route.key}"`, { ...position, field: route.key });
  }
  const key = pk ?? fallback;
  if (key.startsWith(FILE_KEY_PREFIX)) {
    throw new RecordError(
      'bad-key',
      `key "${key.slice(0, 40)}" starts with the reserved "${FILE_KEY_PREFIX}"`,
      { position },
    );
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new RecordError('bad-key', `key is longer than DynamoDB's ${MAX_KEY_BYTES} bytes`, { position });
  }
  return key;
}

/** The attributes of a record item, before marshalling. */
export function recordAttributes(args: {
  pk: string;
  payload: unknown;
  event: ObjectEvent;
  route: Route;
  record: DecodedRecord;
  processedAt: string;
}): Record<string, unknown> {
  const { event, record } = args;
  return {
    [ITEM.key]: args.pk,
    [ITEM.kind]: 'record' satisfies ItemKind,
    payload: args.payload,
    source: sourceOf(event),
    [ITEM.origin]: originOf(event.bucket, event.key),
    seq: sequencerSortKey(event.sequencer),
    route: args.route.id,
    line: record.position.line,
    index: record.position.index,
    processedAt: args.processedAt,
  };
}

/** The attribute DynamoDB's TTL deletes ledger items by (`ledger.ttlDays`): epoch seconds. */
export const TTL_ATTRIBUTE = 'expiresAt';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * When an item written at `writtenAtMs` expires under `ttlDays`, in epoch seconds (DynamoDB's TTL
 * format); undefined when the ledger keeps items forever.
 */
export function expiresAt(ttlDays: number | undefined, writtenAtMs: number): number | undefined {
  if (ttlDays === undefined) return undefined;
  return Math.floor(writtenAtMs / 1000) + ttlDays * DAY_SECONDS;
}

/*
 * Reading the ledger back (the CLI, the console): what the item layout above means, so that readers
 * never name raw attributes. Items are read unmarshalled; numbers may be wrapped (exact text).
 */

/** The `kind` attribute of every ledger item, for scan filters: `{ [KIND_ATTRIBUTE]: kind }`. */
export const KIND_ATTRIBUTE = 'kind';
export type LedgerItemKind = 'file' | 'record';

/** A scan filter keeping one kind of item (DynamoDB expression, names and values). */
export function kindFilter(kind: LedgerItemKind): {
  FilterExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, string>;
} {
  return {
    FilterExpression: '#kind = :kind',
    ExpressionAttributeNames: { '#kind': KIND_ATTRIBUTE },
    ExpressionAttributeValues: { ':kind': kind },
  };
}

/** The file state an outcome item holds (also reads items written before the slim layout). */
export function fileStateOf(item: Record<string, unknown>): FileState {
  const pk = String(item.pk);
  const path = pk.slice(FILE_KEY_PREFIX.length);
  const slash = path.indexOf('/');
  const stored = item.state as Partial<FileState> & Pick<FileState, 'sequencer'>;
  return {
    ...(stored as FileState),
    bucket: path.slice(0, slash),
    key: path.slice(slash + 1),
    seq: sequencerSortKey(stored.sequencer),
    rev: Number(item.rev),
    leaseUntil: Number(item.lease ?? stored.leaseUntil ?? 0),
  };
}

/** A record item as read back: its key, payload (numbers as stored) and where it came from. */
export interface StoredRecord {
  key: string;
  payload: unknown;
  source: { bucket?: string; key?: string; versionId?: string; eTag?: string; sequencer?: string };
  route?: string;
  line?: unknown;
  index?: unknown;
  processedAt?: string;
}

export function recordOf(item: Record<string, unknown>): StoredRecord {
  const source = (item.source ?? {}) as StoredRecord['source'];
  const record: StoredRecord = { key: String(item.pk), payload: item.payload, source };
  if (typeof item.route === 'string') record.route = item.route;
  if (item.line !== undefined) record.line = item.line;
  if (item.index !== undefined) record.index = item.index;
  if (typeof item.processedAt === 'string') record.processedAt = item.processedAt;
  return record;
}

const bareETag = (eTag: string | undefined) => eTag?.replace(/"/g, '');

/**
 * Whether a record's `source` names the version an outcome is about: by versionId when both have
 * one, else by sequencer, else by ETag (a listing's event names neither of the first two);
 * undefined when they share no identity.
 */
export function sameSourceVersion(
  source: StoredRecord['source'],
  state: Pick<FileState, 'versionId' | 'sequencer' | 'eTag'>,
): boolean | undefined {
  if (source.versionId && state.versionId) return source.versionId === state.versionId;
  if (source.sequencer && state.sequencer) return compareSequencers(source.sequencer, state.sequencer) === 0;
  if (source.eTag && state.eTag) return bareETag(source.eTag) === bareETag(state.eTag);
  return undefined;
}

/**
 * A superseded version's record (invariant I4, docs/protocol.md): the object it came from has a
 * PROCESSED outcome for another version, which did not write this key (a version that writes a key
 * replaces the record). The ledger keeps it: under a business key it is that entity's last known
 * state; `eventline records --stale` lists such records and `--prune` deletes them.
 */
export function supersededRecord(record: StoredRecord, outcome: FileState | undefined): boolean {
  if (outcome?.status !== 'PROCESSED') return false;
  if (record.source.bucket !== outcome.bucket || record.source.key !== outcome.key) return false;
  return sameSourceVersion(record.source, outcome) === false;
}
