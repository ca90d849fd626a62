/**
 * The ledger's record that a digest window is owed a close: one small "due" item per window, written
 * once per container and window before the window's first join (digest.ts), kept in the `attention`
 * index under `<route>#DIGEST` (sort: the window's end) until the close marks the window sent. A
 * sweep (`eventline reconcile`) queries it for windows past their end and sends their close again,
 * so a window whose close letters were all lost (dead-lettered, then dropped or expired) is not left
 * open forever (docs/protocol.md, T14, I13). A separate item, not the window's own: every join
 * updates the window item, and an indexed window would cost an index write per file.
 */
import type { WindowRef } from './digest-close.ts';
import { FILE_KEY_PREFIX } from './items.ts';
import { ATTENTION_INDEX } from './ledger-index.ts';

/** The `kind` of the due items (scans for `file` or `record` items leave them out). */
export const DIGEST_DUE_KIND = 'digest-due';

/**
 * A window item's key: under the outcome items' prefix, where no record key may be, and unlike any
 * outcome's (`#file#<bucket>/<key>`: a bucket name never starts with `#`).
 */
export const digestWindowKey = (ref: WindowRef): string =>
  `${FILE_KEY_PREFIX}#digest#${ref.route}#${ref.start}#${ref.part}`;

/** A window's due item's key (beside the window's, never containing `#digest#`). */
export const digestDueKey = (ref: WindowRef): string =>
  `${FILE_KEY_PREFIX}#due#${ref.route}#${ref.start}#${ref.part}`;

/** The `attention` index partition of a route's windows owed a close. */
export const digestDuePartition = (route: string): string => `${route}#DIGEST`;

/** The window a due item names (a document-client item), or undefined for another item. */
export function dueWindowOf(item: Record<string, unknown>): (WindowRef & { endsAt: number }) | undefined {
  if (item.kind !== DIGEST_DUE_KIND) return undefined;
  const route = item.route;
  const start = Number(item.start);
  const part = Number(item.part);
  if (typeof route !== 'string' || !Number.isInteger(start) || !Number.isInteger(part)) return undefined;
  return { route, start, part, endsAt: Number(item.endsAt ?? 0) };
}

/**
 * One page of a route's windows owed a close that ended before `endedBefore` (ms), oldest first
 * (document-client Query input on the `attention` index).
 */
export function digestDueQuery(
  tableName: string,
  route: string,
  endedBefore: number,
  options: { limit?: number; startKey?: Record<string, unknown> } = {},
) {
  return {
    TableName: tableName,
    IndexName: ATTENTION_INDEX.name,
    KeyConditionExpression: '#ix = :ix AND #ixAt < :before',
    ExpressionAttributeNames: { '#ix': ATTENTION_INDEX.partitionKey, '#ixAt': ATTENTION_INDEX.sortKey },
    ExpressionAttributeValues: {
      ':ix': digestDuePartition(route),
      ':before': new Date(endedBefore).toISOString(),
    },
    ScanIndexForward: true,
    ...(options.limit !== undefined ? { Limit: options.limit } : {}),
    ...(options.startKey ? { ExclusiveStartKey: options.startKey } : {}),
    ReturnConsumedCapacity: 'TOTAL' as const,
  };
}
