import { userInfo } from 'node:os';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type DropDecision,
  dropUpdate,
  errorMessage,
  type FileState,
  fileKey,
  fileStateOf,
  type RedriveObject,
} from '@eventline/core';
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

const sameVersion = (state: FileState, object: RedriveObject) =>
  (!object.versionId || !state.versionId || object.versionId === state.versionId) &&
  (!object.eTag || !state.eTag || object.eTag.replace(/"/g, '') === state.eTag.replace(/"/g, ''));

export type DropRecord = { recorded: true; decision: DropDecision } | { recorded: false; note: string };

/**
 * Records a drop on the FAILED outcome of the letter's object version: not when the ledger holds
 * another version or another status (the letter is then about a failure the ledger no longer holds).
 * Retried when a concurrent write moved the revision on; refused while an invocation holds the item.
 */
export async function recordDrop(
  target: Target,
  object: RedriveObject,
  decision: Omit<DropDecision, 'failedAt'>,
): Promise<DropRecord> {
  const pk = fileKey(object.bucket, object.key);
  for (let attempt = 1; attempt <= 3; attempt++) {
    let state: FileState | undefined;
    try {
      state = await outcomeOf(target, object.bucket, object.key);
    } catch (error) {
      return { recorded: false, note: `GetItem ${pk} failed: ${errorMessage(error)}` };
    }
    if (!state) return { recorded: false, note: 'the ledger has no outcome for this object' };
    if (!sameVersion(state, object))
      return { recorded: false, note: "the ledger's outcome is for another version of the object" };
    if (state.status !== 'FAILED')
      return { recorded: false, note: `the ledger's outcome is ${state.status}, not FAILED` };
    const now = Date.now();
    try {
      const update = dropUpdate(target.table.name, pk, state, decision, now);
      await target.clients.documents.send(new UpdateCommand(update));
      return { recorded: true, decision: update.ExpressionAttributeValues[':d'] as DropDecision };
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException')
        return { recorded: false, note: `UpdateItem ${pk} failed: ${errorMessage(error)}` };
      if (state.leaseUntil >= now)
        return {
          recorded: false,
          note: 'an invocation holds the file right now: drop again once it is done',
        };
    }
  }
  return { recorded: false, note: 'the outcome kept changing while the decision was written: try again' };
}
