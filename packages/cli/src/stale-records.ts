/**
 * `records --stale [--prune]`: the records a superseded version of an object left under keys its
 * current version did not write (invariant I4, docs/protocol.md: the ledger keeps them, told apart
 * by their `source`). Listing reads the record items (Scan) and the outcomes of the objects they came
 * from (BatchGetItem); pruning deletes each one on condition that it still holds the write it was
 * listed with (source and `processedAt`), so a record a newer write replaced meanwhile is kept.
 */
import { DeleteCommand, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import {
  errorMessage,
  type FileState,
  kindFilter,
  recordOf,
  type StoredRecord,
  supersededRecord,
} from '@eventline/core';
import { type LedgerReader, outcomesByKey } from './ledger.ts';

/**
 * Superseded versions' records, at most `limit` of those whose key `keep` accepts (all by default),
 * in Scan order; each with the outcome it lies beside.
 */
export async function staleRecords(
  target: LedgerReader,
  limit: number,
  keep: (key: string) => boolean = () => true,
): Promise<Array<{ record: StoredRecord; outcome: FileState }>> {
  const found: Array<{ record: StoredRecord; outcome: FileState }> = [];
  /** Outcomes read so far, by `bucket/key` (undefined: the object has none). */
  const outcomes = new Map<string, FileState | undefined>();
  let start: Record<string, unknown> | undefined;
  do {
    let page: ScanCommandOutput;
    try {
      page = await target.clients.documents.send(
        new ScanCommand({
          TableName: target.table.name,
          ...kindFilter('record'),
          Limit: 100,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
    } catch (error) {
      throw new Error(`Scan of the ledger table "${target.table.name}" failed: ${errorMessage(error)}`);
    }
    const records = (page.Items ?? []).map(recordOf).filter((record) => keep(record.key));
    const missing = new Map<string, Set<string>>();
    for (const { source } of records) {
      if (!source.bucket || !source.key || outcomes.has(`${source.bucket}/${source.key}`)) continue;
      const keys = missing.get(source.bucket) ?? new Set<string>();
      keys.add(source.key);
      missing.set(source.bucket, keys);
    }
    for (const [bucket, keys] of missing) {
      const states = await outcomesByKey(target, bucket, [...keys]);
      for (const key of keys) outcomes.set(`${bucket}/${key}`, states.get(key));
    }
    for (const record of records) {
      const outcome = outcomes.get(`${record.source.bucket}/${record.source.key}`);
      if (outcome && supersededRecord(record, outcome)) found.push({ record, outcome });
      if (found.length >= limit) return found;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

/**
 * Deletes a superseded record if it still holds the write it was listed with: its source (bucket,
 * key, versionId, sequencer, ETag) and its `processedAt` (the claim that wrote it). The source alone
 * does not name a write: a listing's names the bytes only (an ETag), which the same bytes written
 * again, by the object or by a copy of it, share. `false` when a write replaced it meanwhile (kept).
 * A payload kept in S3 (`payloadRef`, an item over DynamoDB's limit) stays in the bucket's internal prefix.
 */
export async function pruneRecord(target: LedgerReader, record: StoredRecord): Promise<boolean> {
  const names: Record<string, string> = { '#source': 'source', '#processedAt': 'processedAt' };
  const values: Record<string, unknown> = {};
  const parts: string[] = [];
  for (const field of ['bucket', 'key', 'versionId', 'sequencer', 'eTag'] as const) {
    const value = record.source[field];
    names[`#${field}`] = field;
    if (value === undefined) parts.push(`attribute_not_exists(#source.#${field})`);
    else {
      values[`:${field}`] = value;
      parts.push(`#source.#${field} = :${field}`);
    }
  }
  if (record.processedAt === undefined) parts.push('attribute_not_exists(#processedAt)');
  else {
    values[':processedAt'] = record.processedAt;
    parts.push('#processedAt = :processedAt');
  }
  try {
    await target.clients.documents.send(
      new DeleteCommand({
        TableName: target.table.name,
        Key: { pk: record.key },
        ConditionExpression: parts.join(' AND '),
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw new Error(
      `DeleteItem ${record.key} in the ledger table "${target.table.name}" failed: ${errorMessage(error)}`,
    );
  }
}
