import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { FileState } from '@eventline/core';
import {
  errorMessage,
  fileStateOf,
  kindFilter,
  type LedgerItemKind,
  recordOf,
  type StoredRecord,
} from '@eventline/core';
import type { Target } from './resources.ts';

/**
 * The ledger read back through DynamoDB Scan, decoded by core's item layout (never raw attributes
 * here). A scan reads the whole table: fine for the local stack and for an operator's occasional
 * look; `limit` stops early where the caller only needs a page.
 */

async function* scanItems(
  target: Target,
  kind: LedgerItemKind,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<Record<string, unknown>> {
  let start: Record<string, unknown> | undefined;
  let count = 0;
  do {
    let page: ScanCommandOutput;
    try {
      page = await target.clients.documents.send(
        new ScanCommand({
          TableName: target.table.name,
          ...kindFilter(kind),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
    } catch (error) {
      const missing = (error as { name?: string }).name === 'ResourceNotFoundException';
      throw new Error(
        `Scan of the ledger table "${target.table.name}" (${target.table.source}) at ${target.where} failed: ${missing ? 'the table does not exist' : errorMessage(error)}`,
      );
    }
    for (const item of page.Items ?? []) {
      yield item;
      if (++count >= limit) return;
    }
    start = page.LastEvaluatedKey;
  } while (start);
}

/** Every outcome item, as file states. */
export async function fileStates(target: Target): Promise<FileState[]> {
  const states: FileState[] = [];
  for await (const item of scanItems(target, 'file')) states.push(fileStateOf(item));
  return states;
}

/** Record items, at most `limit`, optionally only those whose key contains `search`. */
export async function records(target: Target, limit: number, search?: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for await (const item of scanItems(target, 'record')) {
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
