/**
 * The sweep of digest windows owed a close (docs/protocol.md, T14): `reconcile` reads each route's
 * windows past their end from the `attention` index (`<route>#DIGEST`, their due items), then the
 * windows themselves by key, and `--fix` sends each unsent one its close again on the ingest queue.
 * A window's close letters can all be lost (dead-lettered after `maxReceiveCount` deliveries, then
 * dropped or expired); without this nothing would publish its digest.
 */
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { digestDueQuery, digestWindowKey, dueWindowOf, type WindowRef } from '@eventline/core';
import { itemsByKey, metered, noIndex, readError } from './ledger.ts';
import type { Target } from './resources.ts';

export interface DueWindow {
  ref: WindowRef;
  endsAt: number;
  /** The window item's counts and marks; undefined when no outcome ever joined it (no item). */
  window?: {
    files: number;
    processed: number;
    failed: number;
    closedAt?: string;
    sentAt?: string;
    /** While a close publishes the window: until when it holds it (epoch ms). */
    publishing?: number;
  };
}

/** Windows owed a close whose end is before `before` (ms), across `routes`; undefined without the index. */
export async function dueWindows(
  target: Target,
  routes: string[],
  before: number,
): Promise<DueWindow[] | undefined> {
  const due: DueWindow[] = [];
  for (const route of routes) {
    let start: Record<string, unknown> | undefined;
    do {
      let page: QueryCommandOutput;
      try {
        page = await target.clients.documents.send(
          new QueryCommand(
            digestDueQuery(target.table.name, route, before, start ? { startKey: start } : {}),
          ),
        );
      } catch (error) {
        if (noIndex(error)) return undefined;
        throw readError(target, 'Query', error);
      }
      metered(page);
      for (const item of page.Items ?? []) {
        const found = dueWindowOf(item);
        if (found) {
          const { endsAt, ...ref } = found;
          due.push({ ref, endsAt });
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  const byKey = new Map(due.map((d) => [digestWindowKey(d.ref), d]));
  await itemsByKey(target, [...byKey.keys()], (item) => {
    const d = byKey.get(String(item.pk));
    if (!d) return;
    d.window = {
      files: Number(item.files ?? 0),
      processed: Number(item.processed ?? 0),
      failed: Number(item.failed ?? 0),
      ...(typeof item.closedAt === 'string' ? { closedAt: item.closedAt } : {}),
      ...(typeof item.sentAt === 'string' ? { sentAt: item.sentAt } : {}),
      ...(item.publishing !== undefined ? { publishing: Number(item.publishing) } : {}),
    };
  });
  return due;
}
