/**
 * Operator decisions recorded in the ledger, so that they outlive the command that made them. Today
 * one: `dlq drop` ends a FAILED file's dead letter without replaying it, and says so on the file's
 * outcome item (`state.dropped`). `reconcile --fix` and `dlq replay` read it and leave the file alone
 * unless told otherwise (`--include-dropped`); `backfill` never re-processes a FAILED version anyway.
 *
 * The decision names the failure it was about (`failedAt`: the outcome's `finishedAt` then): a later
 * replay that fails again is a new failure, and the old decision no longer covers it.
 */

import type { DropDecision, FileState } from './ports.ts';

/** The attribute under the outcome item's `state` that holds a drop decision. */
export const DROPPED_ATTRIBUTE = 'dropped';

/** The drop decision that still holds for this outcome: FAILED, and the same failure as when dropped. */
export function dropDecision(state: FileState): DropDecision | undefined {
  const decision = state.dropped;
  if (!decision || state.status !== 'FAILED') return undefined;
  if (decision.failedAt !== undefined && decision.failedAt !== state.finishedAt) return undefined;
  return decision;
}

/** One line for people: `dropped by ann at 2026-…: why`. */
export const describeDrop = (d: DropDecision) => `dropped by ${d.by} at ${d.at}: ${d.reason}`;

/**
 * The UpdateItem (document-client shape: plain values) that records `decision` on the outcome item
 * read as `state`: written only if the item is still at the revision read and nobody holds a lease on
 * it, so that no invocation's write is lost and the decision is not lost to one. Bumps `rev` like
 * every ledger write (docs/protocol.md, T11).
 */
export function dropUpdate(
  tableName: string,
  pk: string,
  state: Pick<FileState, 'rev' | 'finishedAt'>,
  decision: Omit<DropDecision, 'failedAt'>,
  now: number,
): {
  TableName: string;
  Key: { pk: string };
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const value: DropDecision = {
    ...decision,
    ...(state.finishedAt !== undefined ? { failedAt: state.finishedAt } : {}),
  };
  return {
    TableName: tableName,
    Key: { pk },
    UpdateExpression: 'SET #state.#dropped = :d, #w = :w ADD #rev :one',
    ConditionExpression:
      '#rev = :rev AND #status = :failed AND (attribute_not_exists(#lease) OR #lease < :now)',
    ExpressionAttributeNames: {
      '#state': 'state',
      '#dropped': DROPPED_ATTRIBUTE,
      '#w': 'w',
      '#rev': 'rev',
      '#status': 'status',
      '#lease': 'lease',
    },
    ExpressionAttributeValues: {
      ':d': value,
      ':w': `drop-${now.toString(36)}`,
      ':one': 1,
      ':rev': state.rev,
      ':failed': 'FAILED',
      ':now': now,
    },
  };
}
