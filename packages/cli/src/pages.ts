/**
 * Listings no index answers (`files` of every status or PROCESSED, `notifications` sent): the
 * ledger read a page at a time, by a Scan that stops as soon as the page is full or it has read
 * its budget of items, whichever comes first, and hands back a cursor to go on from. The first
 * page's read units are bounded by the budget whatever the table's size; the order is the table's
 * (DynamoDB's hash order, no time order), sorted newest first only within a page.
 */
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { FileState } from '@eventline/core';
import { errorMessage, fileStateOf, ITEM, kindFilter } from '@eventline/core';
import { InvalidArgumentError } from 'commander';
import { readMeter } from './ledger.ts';
import type { Target } from './resources.ts';
import { Progress } from './throttle.ts';

/** Items one page may read by default (about 300 read units for the bench's items, ~1,250 for 1 KB outcomes). */
export const DEFAULT_BUDGET = 10_000;
/** Items a Scan request reads at most (DynamoDB also stops a request at 1 MB). */
const REQUEST_ITEMS = 1_000;

/** Where a listing goes on: the primary key of the last item read, as opaque text. */
export const cursorText = (key: Record<string, unknown>) =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

/** `--next <cursor>`: a cursor this CLI printed, else a clear error. */
export function parseCursor(text: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && typeof (key as Record<string, unknown>)[ITEM.key] === 'string')
      return key as Record<string, unknown>;
  } catch {
    // falls through to the error
  }
  throw new InvalidArgumentError('not a cursor printed by this command ("more: … --next <cursor>")');
}

export interface ScanPage {
  /** The matching outcomes read, in the table's order. */
  states: FileState[];
  /** Where the next page starts; undefined when the table has been read to its end. */
  next?: string;
  /** Items this page read (the Scan's ScannedCount) and their read units (ConsumedCapacity). */
  scanned: number;
  readUnits: number;
  requests: number;
}

/**
 * Outcomes that `match`, read from `from` (or the table's start): stops when `limit` are found,
 * when `budget` items have been read, or at the end of the table. With `budget` Infinity it
 * reads on to `limit` or the end, reporting progress when it takes over a second.
 */
export async function scanOutcomes(
  target: Target,
  options: {
    match: (state: FileState) => boolean;
    limit: number;
    budget: number;
    from?: Record<string, unknown>;
    progress?: (line: string) => void;
  },
): Promise<ScanPage> {
  const page: ScanPage = { states: [], scanned: 0, readUnits: 0, requests: 0 };
  const tick = options.progress ? new Progress(options.progress) : undefined;
  const started = Date.now();
  let start = options.from;
  for (;;) {
    const room = options.budget - page.scanned;
    let out: ScanCommandOutput;
    try {
      out = await target.clients.documents.send(
        new ScanCommand({
          TableName: target.table.name,
          ...kindFilter('file'),
          Limit: Math.max(1, Math.min(REQUEST_ITEMS, room)),
          ...(start ? { ExclusiveStartKey: start } : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    } catch (error) {
      const missing = (error as { name?: string }).name === 'ResourceNotFoundException';
      throw new Error(
        `Scan of the ledger table "${target.table.name}" (${target.table.source}) at ${target.where} failed: ${missing ? 'the table does not exist' : errorMessage(error)}`,
      );
    }
    const units = out.ConsumedCapacity?.CapacityUnits ?? 0;
    readMeter.requests += 1;
    readMeter.items += out.ScannedCount ?? 0;
    readMeter.readUnits += units;
    page.requests += 1;
    page.scanned += out.ScannedCount ?? 0;
    page.readUnits += units;
    for (const item of out.Items ?? []) {
      const state = fileStateOf(item);
      if (!options.match(state)) continue;
      page.states.push(state);
      if (page.states.length >= options.limit) {
        // Full: go on after this item (the rest of this response is read again by the next page).
        const last = out.Items?.[out.Items.length - 1];
        if (item !== last || out.LastEvaluatedKey) page.next = cursorText({ [ITEM.key]: item[ITEM.key] });
        return page;
      }
    }
    start = out.LastEvaluatedKey;
    if (!start) return page;
    if (page.scanned >= options.budget) {
      page.next = cursorText(start);
      return page;
    }
    if (Date.now() - started > 1000)
      tick?.tick(
        () =>
          `reading the ledger (Scan): ${page.scanned} item(s), ${page.states.length} found, ${Math.round(page.readUnits)} read unit(s) so far`,
      );
  }
}

/** The line on stderr under a page that did not reach the table's end: what it read and how to go on. */
export const pageNote = (command: string, page: ScanPage, next: string): string =>
  `this page read ${page.scanned} item(s), ${page.readUnits.toFixed(1)} read unit(s) (Scan, the table's order); more: eventline ${command} --next ${next}   (or --all to read the whole table)`;
