/**
 * A page of the ledger read by Scan at a cost bounded whatever the table's size, for the listings
 * no index answers (the CLI's `files` and `notifications`, the local console's Files and Ledger
 * tabs): the Scan stops as soon as the page holds `limit` matching items or has read `budget` items,
 * whichever comes first, and hands back the key to go on from. The order is the table's (DynamoDB's
 * hash order, no time order). The Scan itself is the caller's (a document client's `send`).
 */
import { ITEM } from './items.ts';

/** Items one page may read by default: about 300 read units for small items, ~1,250 for 1 KB outcomes. */
export const PAGE_BUDGET = 10_000;
/** Items a Scan request reads at most (DynamoDB also stops a request at 1 MB). */
const REQUEST_ITEMS = 1_000;

/** The Scan input the reader asks for (the caller adds its table name). */
export interface PageScanInput {
  Limit: number;
  ExclusiveStartKey?: Record<string, unknown>;
  FilterExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
  ReturnConsumedCapacity: 'TOTAL';
}

export interface PageScanOutput {
  Items?: Array<Record<string, unknown>>;
  LastEvaluatedKey?: Record<string, unknown>;
  ScannedCount?: number;
  ConsumedCapacity?: { CapacityUnits?: number };
}

export interface LedgerPage<T> {
  /** The matching items, in the table's order. */
  items: T[];
  /** The primary key to go on from; undefined when the table has been read to its end. */
  next?: Record<string, unknown>;
  /** Items read (ScannedCount), read units (ConsumedCapacity), Scan requests. */
  scanned: number;
  readUnits: number;
  requests: number;
}

/**
 * Reads one page: `filter` goes to DynamoDB (it does not lower the read cost, only what comes
 * back), `decode` and `match` run here. `budget` Infinity reads to `limit` or the table's end.
 */
export async function readLedgerPage<T>(
  scan: (input: PageScanInput) => Promise<PageScanOutput>,
  options: {
    filter: Pick<
      PageScanInput,
      'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >;
    decode: (item: Record<string, unknown>) => T;
    match?: (value: T) => boolean;
    limit: number;
    budget?: number;
    from?: Record<string, unknown>;
    /** Items one Scan request may read (default 1,000): fewer for a listing that usually fills at once. */
    requestItems?: number;
    /** After each Scan request: what the page has read so far (for progress lines). */
    onRead?: (page: LedgerPage<T>) => void;
  },
): Promise<LedgerPage<T>> {
  const budget = options.budget ?? PAGE_BUDGET;
  const page: LedgerPage<T> = { items: [], scanned: 0, readUnits: 0, requests: 0 };
  let start = options.from;
  for (;;) {
    const out = await scan({
      ...options.filter,
      Limit: Math.max(1, Math.min(options.requestItems ?? REQUEST_ITEMS, budget - page.scanned)),
      ...(start ? { ExclusiveStartKey: start } : {}),
      ReturnConsumedCapacity: 'TOTAL',
    });
    page.requests += 1;
    page.scanned += out.ScannedCount ?? 0;
    page.readUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
    const items = out.Items ?? [];
    for (const [i, item] of items.entries()) {
      const value = options.decode(item);
      if (options.match && !options.match(value)) continue;
      page.items.push(value);
      if (page.items.length >= options.limit) {
        // Full: go on after this item (the rest of this response is read again by the next page).
        if (i < items.length - 1 || out.LastEvaluatedKey) page.next = { [ITEM.key]: item[ITEM.key] };
        options.onRead?.(page);
        return page;
      }
    }
    options.onRead?.(page);
    start = out.LastEvaluatedKey;
    if (!start) return page;
    if (page.scanned >= budget) {
      page.next = start;
      return page;
    }
  }
}

/** A page's `next` key as opaque text for a cursor, and back (undefined for anything else). */
export const pageCursor = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

export function pageKeyOf(cursor: string): Record<string, unknown> | undefined {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && typeof (key as Record<string, unknown>)[ITEM.key] === 'string')
      return key as Record<string, unknown>;
  } catch {
    // not a cursor
  }
  return undefined;
}
