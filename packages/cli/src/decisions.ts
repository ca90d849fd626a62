import { userInfo } from 'node:os';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type DropDecision, type FileState, fileKey, fileStateOf, type RedriveObject } from '@eventline/core';
import { type DropRecord, recordDropOn } from '@eventline/local';
import type { Target } from './resources.ts';

/**
 * Operator decisions written to the ledger by the CLI (core's decisions.ts is the layout): `dlq drop`
 * records who dropped which failure, when and why, on the file's outcome item.
 */

/** Who runs the CLI, for a decision's `by`: `--by`, else $USER, else the OS account. */
export function operator(by?: string): string {
  if (by) return by;
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The outcome of one object, read strongly consistent (undefined when the ledger has none). */
export async function outcomeOf(target: Target, bucket: string, key: string): Promise<FileState | undefined> {
  const { Item } = await target.clients.documents.send(
    new GetCommand({ TableName: target.table.name, Key: { pk: fileKey(bucket, key) }, ConsistentRead: true }),
  );
  return Item ? fileStateOf(Item) : undefined;
}

export type { DropRecord };

/**
 * Records a drop on the FAILED outcome of the letter's object version (the local stack's
 * `recordDropOn`, one implementation for both): not when the ledger holds another version or another
 * status. Retried when a concurrent write moved the revision on; refused while an invocation holds the item.
 */
export function recordDrop(
  target: Target,
  object: RedriveObject,
  decision: Omit<DropDecision, 'failedAt'>,
): Promise<DropRecord> {
  return recordDropOn(target.clients.documents, target.table.name, object, decision);
}
