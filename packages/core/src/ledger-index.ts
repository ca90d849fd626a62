/**
 * The ledger's one secondary index, `attention`: a sparse global secondary index over the outcome
 * items an operator has to look at, so that `status`, `files --status FAILED|PROCESSING`,
 * `notifications --pending` and `reconcile` read a few items instead of scanning the table.
 *
 * Only an outcome that needs attention carries the index's key attributes (`ix`, `ixAt`); a file
 * processed on its first attempt never does, so the common path writes nothing to the index (on AWS
 * an index entry costs a write unit on every write that adds, changes or removes it: the cost of a
 * small file stays 3 WRU). What is in it, partitioned by route so that no single key takes every
 * write (`<route>#<state>`), newest last by `ixAt` (the outcome's `updatedAt`):
 *  - `FAILED`: every FAILED outcome (owing steps or not, dropped or not);
 *  - `OWES`: a PROCESSED outcome that still owes a step (its notification, an older version's);
 *  - `PROCESSING`: a file being processed again (attempt 2 and later) or continued across
 *    invocations (a checkpoint). A first attempt in flight is not indexed: reconcile finds one stuck
 *    past its lease from the bucket listing (it reads each listed object's outcome by key).
 */
import type { FileState } from './ports.ts';

export const ATTENTION_INDEX = {
  name: 'attention',
  /** `<route>#<AttentionState>` (string). */
  partitionKey: 'ix',
  /** The outcome's `updatedAt` (ISO text, string): newest first with ScanIndexForward false. */
  sortKey: 'ixAt',
} as const;

export type AttentionState = 'FAILED' | 'OWES' | 'PROCESSING';
export const ATTENTION_STATES: readonly AttentionState[] = ['FAILED', 'OWES', 'PROCESSING'];

/** Whether an outcome needs the operator's attention, and as what; undefined for a plain success. */
export function attentionOf(state: FileState): AttentionState | undefined {
  if (state.status === 'FAILED') return 'FAILED';
  const owes =
    state.notification.status === 'PENDING' ||
    state.deadLetter.status === 'PENDING' ||
    (state.owed?.length ?? 0) > 0;
  if (owes) return 'OWES';
  if (state.status === 'PROCESSING' && (state.attempts > 1 || state.handoff || state.checkpoint))
    return 'PROCESSING';
  return undefined;
}

export const attentionPartition = (route: string, state: AttentionState) => `${route}#${state}`;

/** The index's key attributes for an outcome item, or undefined: the item stays out of the index. */
export function attentionKey(state: FileState): { ix: string; ixAt: string } | undefined {
  const what = attentionOf(state);
  return what === undefined
    ? undefined
    : { ix: attentionPartition(state.route, what), ixAt: state.updatedAt };
}

/**
 * One page of the index for a route and state, newest first (document-client Query input). The
 * index projects every attribute: an item read there is the whole outcome item.
 */
export function attentionQuery(
  tableName: string,
  route: string,
  state: AttentionState,
  options: { limit?: number; startKey?: Record<string, unknown>; count?: boolean } = {},
) {
  return {
    TableName: tableName,
    IndexName: ATTENTION_INDEX.name,
    KeyConditionExpression: '#ix = :ix',
    ExpressionAttributeNames: { '#ix': ATTENTION_INDEX.partitionKey },
    ExpressionAttributeValues: { ':ix': attentionPartition(route, state) },
    ScanIndexForward: false,
    ...(options.limit !== undefined ? { Limit: options.limit } : {}),
    ...(options.startKey ? { ExclusiveStartKey: options.startKey } : {}),
    ...(options.count ? { Select: 'COUNT' as const } : {}),
    ReturnConsumedCapacity: 'TOTAL' as const,
  };
}
