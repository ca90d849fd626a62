/**
 * `dlq drop` on the local stack (the console's Drop button, the CLI without SQS queues): the
 * operator's decision recorded on the file's FAILED outcome item (core's decisions.ts: who, when,
 * why, which letter), as the CLI records it on AWS, so that `reconcile --fix` and `dlq replay` leave
 * the file alone. Not recorded (and said why) when the ledger holds another version or status. The
 * CLI's `dlq drop` on AWS records through the same `recordDropOn`.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeadLetter, DropDecision, FileState, RedriveObject } from '@eventline/core';
import { dropUpdate, errorMessage, fileKey, fileStateOf } from '@eventline/core';
import type { SqsDeadLetterStore } from './dead-letters.ts';
import { type DropRecord, dropLetter } from './replay.ts';

const sameVersion = (state: FileState, object: DroppedObject) =>
  (!object.versionId || !state.versionId || object.versionId === state.versionId) &&
  (!object.eTag || !state.eTag || object.eTag.replace(/"/g, '') === state.eTag.replace(/"/g, ''));

/** The object version a dropped letter is about. */
export type DroppedObject = Pick<RedriveObject, 'bucket' | 'key' | 'versionId' | 'eTag'>;

/**
 * Records a drop on the FAILED outcome of the object version (the local stack's and the CLI's `dlq drop`
 * alike): not when the ledger holds another version or another status (the letter is then about a
 * failure the ledger no longer holds). Retried when a concurrent write moved the revision on; refused
 * while an invocation holds the item.
 */
export async function recordDropOn(
  documents: DynamoDBDocumentClient,
  tableName: string,
  object: DroppedObject,
  decision: Omit<DropDecision, 'failedAt'>,
): Promise<DropRecord> {
  const pk = fileKey(object.bucket, object.key);
  for (let attempt = 1; attempt <= 3; attempt++) {
    let state: FileState | undefined;
    try {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }),
      );
      state = Item ? fileStateOf(Item) : undefined;
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
      const update = dropUpdate(tableName, pk, state, decision, now);
      await documents.send(new UpdateCommand(update));
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

/** Writes the decision on the letter's FAILED outcome (a raw event has none). */
export async function recordDrop(
  clients: { documents: DynamoDBDocumentClient },
  tableName: string,
  letter: Pick<DeadLetter, 'object'>,
  decision: Omit<DropDecision, 'failedAt'>,
): Promise<DropRecord> {
  const object = letter.object;
  if (!object) return { recorded: false, note: 'a raw event, not a file outcome' };
  return recordDropOn(clients.documents, tableName, object, decision);
}

/** Who drops, and why (default: the letter's own reason). */
export interface DropBy {
  by: string;
  reason?: string;
}

/** The stack's `drop`: ends the letter without replaying it, the decision recorded first. */
export function dropByHand(
  stack: {
    deadLetters: SqsDeadLetterStore;
    print: (line: string) => void;
    clients: { documents: DynamoDBDocumentClient };
    names: { tableName: string };
  },
  id: string,
  decision: DropBy,
): ReturnType<typeof dropLetter> {
  return dropLetter(stack, id, (letter) =>
    recordDrop(stack.clients, stack.names.tableName, letter, {
      by: decision.by,
      at: new Date().toISOString(),
      reason: decision.reason ?? letter.reason,
      letter: letter.id,
    }),
  );
}
