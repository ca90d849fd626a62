/**
 * The ledger read back by the CLI, decoded by core's item layout (never raw attributes here), at a
 * cost that does not grow with the table where it can: the sparse `attention` index (core's
 * ledger-index.ts) for FAILED, owing and retried outcomes, BatchGetItem for outcomes by key, a Scan
 * page for the first records. A full Scan remains for listings of every outcome (`files` without
 * --status, `notifications`): it reports progress on stderr, and what it read.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { AttentionState, FileState } from '@eventline/core';
import {
  attentionQuery,
  errorMessage,
  fileKey,
  fileStateOf,
  kindFilter,
  type LedgerItemKind,
  recordOf,
  type StoredRecord,
} from '@eventline/core';
import type { Target } from './resources.ts';
import { Progress } from './throttle.ts';

/** What this process read from the ledger: requests, items and read units (ConsumedCapacity). */
export const readMeter = { requests: 0, items: 0, readUnits: 0 };

export function metered(output: {
  ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }>;
  Count?: number;
}): void {
  readMeter.requests += 1;
  readMeter.items += output.Count ?? 0;
  const consumed = output.ConsumedCapacity;
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : [])
    readMeter.readUnits += c.CapacityUnits ?? 0;
}

/** What reading the ledger needs of a target: its table and a DynamoDB document client. */
export type LedgerReader = Pick<Target, 'table' | 'where'> & {
  clients: Pick<Target['clients'], 'documents'>;
};

export function readError(target: LedgerReader, what: string, error: unknown): Error {
  const missing = (error as { name?: string }).name === 'ResourceNotFoundException';
  return new Error(
    `${what} of the ledger table "${target.table.name}" (${target.table.source}) at ${target.where} failed: ${missing ? 'the table does not exist' : errorMessage(error)}`,
  );
}

async function* scanItems(
  target: Target,
  kind: LedgerItemKind,
  options: { limit?: number; pageSize?: number; progress?: (line: string) => void } = {},
): AsyncGenerator<Record<string, unknown>> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const tick = options.progress ? new Progress(options.progress) : undefined;
  let start: Record<string, unknown> | undefined;
  let count = 0;
  let scanned = 0;
  // Quiet for the first second: a small table answers before anyone waits.
  const started = Date.now();
  do {
    let page: ScanCommandOutput;
    try {
      page = await target.clients.documents.send(
        new ScanCommand({
          TableName: target.table.name,
          ...kindFilter(kind),
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    } catch (error) {
      throw readError(target, 'Scan', error);
    }
    metered({ ...page, Count: page.ScannedCount ?? 0 });
    scanned += page.ScannedCount ?? 0;
    if (Date.now() - started > 1000)
      tick?.tick(
        () =>
          `reading the whole ledger (Scan): ${scanned} item(s), ${Math.round(readMeter.readUnits)} read unit(s) so far`,
      );
    for (const item of page.Items ?? []) {
      yield item;
      if (++count >= limit) return;
    }
    start = page.LastEvaluatedKey;
  } while (start);
}

/** Every outcome item, as file states: a full Scan (progress on stderr when given). */
export async function fileStates(target: Target, progress?: (line: string) => void): Promise<FileState[]> {
  const states: FileState[] = [];
  for await (const item of scanItems(target, 'file', progress ? { progress } : {}))
    states.push(fileStateOf(item));
  return states;
}

/**
 * The index is not there (a table made before it): the caller falls back to a scan. DynamoDB and
 * dynalite answer ValidationException; moto answers ResourceNotFoundException "Invalid index: …"
 * (not a missing table: that one names no index).
 */
export const noIndex = (error: unknown) => {
  const name = (error as { name?: string }).name;
  const message = errorMessage(error);
  return (
    (name === 'ValidationException' && /index/i.test(message)) ||
    (name === 'ResourceNotFoundException' && /invalid index/i.test(message))
  );
};

/**
 * The newest outcomes in `state` across `routes` from the `attention` index, at most `limit`
 * (every one when `limit` is unset); undefined when the table has no such index.
 */
export async function attentionStates(
  target: Target,
  routes: string[],
  state: AttentionState,
  limit?: number,
): Promise<FileState[] | undefined> {
  const perRoute = await Promise.all(
    routes.map(async (route) => {
      const found: FileState[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        let page: QueryCommandOutput;
        try {
          page = await target.clients.documents.send(
            new QueryCommand(
              attentionQuery(target.table.name, route, state, {
                ...(limit !== undefined ? { limit: limit - found.length } : {}),
                ...(start ? { startKey: start } : {}),
              }),
            ),
          );
        } catch (error) {
          if (noIndex(error)) return undefined;
          throw readError(target, 'Query', error);
        }
        metered(page);
        for (const item of page.Items ?? []) found.push(fileStateOf(item));
        start = page.LastEvaluatedKey;
      } while (start && (limit === undefined || found.length < limit));
      return found;
    }),
  );
  if (perRoute.some((r) => r === undefined)) return undefined;
  const all = (perRoute as FileState[][]).flat().sort(newestFirst);
  return limit === undefined ? all : all.slice(0, limit);
}

/**
 * How many outcomes are in `state` per route (Query with Select COUNT: read units grow with the
 * count, not the table), up to `cap` per route; undefined when the table has no such index.
 */
export async function attentionCount(
  target: Target,
  route: string,
  state: AttentionState,
  cap = 10_000,
): Promise<{ count: number; more: boolean } | undefined> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    let page: QueryCommandOutput;
    try {
      page = await target.clients.documents.send(
        new QueryCommand(
          attentionQuery(target.table.name, route, state, {
            count: true,
            limit: cap - count,
            ...(start ? { startKey: start } : {}),
          }),
        ),
      );
    } catch (error) {
      if (noIndex(error)) return undefined;
      throw readError(target, 'Query', error);
    }
    metered({ ...page, Count: 0 });
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start && count < cap);
  return { count, more: start !== undefined };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ledger items by their `pk` (BatchGetItem, 100 keys a request, eventually consistent): `onItem` gets
 * each item found; unprocessed keys are asked again with a jittered backoff, at most 8 times.
 */
export async function itemsByKey(
  target: LedgerReader,
  pks: string[],
  onItem: (item: Record<string, unknown>) => void,
): Promise<void> {
  const table = target.table.name;
  for (let i = 0; i < pks.length; i += 100) {
    let pending: Array<Record<string, unknown>> = pks.slice(i, i + 100).map((pk) => ({ pk }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      let page: BatchGetCommandOutput;
      try {
        page = await target.clients.documents.send(
          new BatchGetCommand({
            RequestItems: { [table]: { Keys: pending } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
      } catch (error) {
        throw readError(target, 'BatchGetItem', error);
      }
      const items = page.Responses?.[table] ?? [];
      metered({ ...page, Count: items.length });
      for (const item of items) onItem(item);
      pending = (page.UnprocessedKeys?.[table]?.Keys as Array<Record<string, unknown>> | undefined) ?? [];
      if (pending.length > 0) {
        if (attempt >= 8)
          throw readError(target, 'BatchGetItem', new Error('keys still unprocessed after 8 retries'));
        await sleep(Math.random() * Math.min(2_000, 50 * 2 ** attempt));
      }
    }
  }
}

/** The outcomes of these objects, read by key (`itemsByKey`). */
export async function outcomesByKey(
  target: LedgerReader,
  bucket: string,
  keys: string[],
): Promise<Map<string, FileState>> {
  const found = new Map<string, FileState>();
  await itemsByKey(
    target,
    keys.map((k) => fileKey(bucket, k)),
    (item) => {
      const state = fileStateOf(item);
      if (state.bucket === bucket) found.set(state.key, state);
    },
  );
  return found;
}

/**
 * Record items, at most `limit`, optionally only those whose key contains `search`: Scan pages of
 * 100 items, stopping as soon as `limit` are found (a search may read the whole table).
 */
export async function records(
  target: Target,
  limit: number,
  search?: string,
  progress?: (line: string) => void,
): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for await (const item of scanItems(target, 'record', {
    pageSize: 100,
    ...(progress ? { progress } : {}),
  })) {
    const record = recordOf(item);
    if (search && !record.key.includes(search)) continue;
    out.push(record);
    if (out.length >= limit) break;
  }
  return out;
}

/** Newest first (updatedAt, ISO text). */
export const newestFirst = (a: FileState, b: FileState) =>
  a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0;
