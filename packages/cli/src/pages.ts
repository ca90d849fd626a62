/**
 * Listings no index answers (`files` of every status or PROCESSED, `notifications` sent, `records`
 * with or without `--search`): core's
 * bounded ledger page (ledger-pages.ts, the local console reads the same way), a Scan that stops
 * as soon as the page is full or it has read its budget of items, with a cursor to go on from. The
 * first page's read units are bounded by the budget whatever the table's size; the order is the
 * table's (DynamoDB's hash order, no time order), sorted newest first only within a page.
 */
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { FileState, LedgerItemKind, StoredRecord } from '@eventline/core';
import {
  errorMessage,
  fileStateOf,
  kindFilter,
  PAGE_BUDGET,
  pageCursor,
  pageKeyOf,
  readLedgerPage,
  recordOf,
} from '@eventline/core';
import { type Command, InvalidArgumentError } from 'commander';
import { positive } from './context.ts';
import { readMeter } from './ledger.ts';
import type { Target } from './resources.ts';
import { Progress } from './throttle.ts';

export { PAGE_BUDGET as DEFAULT_BUDGET } from '@eventline/core';

/** `--next <cursor>`: a cursor this CLI printed, else a clear error. */
export function parseCursor(text: string): Record<string, unknown> {
  const key = pageKeyOf(text);
  if (key) return key;
  throw new InvalidArgumentError('not a cursor printed by this command ("more: … --next <cursor>")');
}

/** The paging options a listing of the table takes: `--next`, `--all`, `--budget`. */
export function pageOptions(command: Command): Command {
  return command
    .option('--next <cursor>', 'go on where the previous page stopped (the cursor it printed)', parseCursor)
    .option(
      '--all',
      'read the whole table (every page; read units grow with the table) and print the newest --limit',
    )
    .option('--budget <items>', 'items a page of the table may read before it stops', positive, PAGE_BUDGET);
}

/** What `scanOutcomes` reads for the paging options: --all, every page; else one page from --next. */
export function pageWindow(options: {
  limit: number;
  next?: Record<string, unknown>;
  all?: boolean;
  budget: number;
}) {
  return {
    limit: options.all ? Number.POSITIVE_INFINITY : options.limit,
    budget: options.all ? Number.POSITIVE_INFINITY : options.budget,
    ...(options.next ? { from: options.next } : {}),
  };
}

export interface ScanPage {
  /** The matching outcomes read, in the table's order. */
  states: FileState[];
  /** Where the next page starts (a cursor); undefined when the table has been read to its end. */
  next?: string;
  /** Items this page read (the Scan's ScannedCount) and their read units (ConsumedCapacity). */
  scanned: number;
  readUnits: number;
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
  const page = await scanKind(target, 'file', fileStateOf, options);
  const { items, ...rest } = page;
  return { states: items, ...rest };
}

/** Record items that `match`, a page at a time as `scanOutcomes` reads outcomes. */
export async function scanRecords(
  target: Target,
  options: {
    match: (record: StoredRecord) => boolean;
    limit: number;
    budget: number;
    from?: Record<string, unknown>;
    progress?: (line: string) => void;
    requestItems?: number;
  },
): Promise<Omit<ScanPage, 'states'> & { records: StoredRecord[] }> {
  const page = await scanKind(target, 'record', recordOf, options);
  const { items, ...rest } = page;
  return { records: items, ...rest };
}

async function scanKind<T>(
  target: Target,
  kind: LedgerItemKind,
  decode: (item: Record<string, unknown>) => T,
  options: {
    match: (value: T) => boolean;
    limit: number;
    budget: number;
    from?: Record<string, unknown>;
    progress?: (line: string) => void;
    requestItems?: number;
  },
): Promise<Omit<ScanPage, 'states'> & { items: T[] }> {
  const tick = options.progress ? new Progress(options.progress) : undefined;
  const started = Date.now();
  const page = await readLedgerPage(
    async (input) => {
      let out: ScanCommandOutput;
      try {
        out = await target.clients.documents.send(
          new ScanCommand({ TableName: target.table.name, ...input }),
        );
      } catch (error) {
        const missing = (error as { name?: string }).name === 'ResourceNotFoundException';
        throw new Error(
          `Scan of the ledger table "${target.table.name}" (${target.table.source}) at ${target.where} failed: ${missing ? 'the table does not exist' : errorMessage(error)}`,
        );
      }
      readMeter.requests += 1;
      readMeter.items += out.ScannedCount ?? 0;
      readMeter.readUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
      return out;
    },
    {
      filter: kindFilter(kind),
      decode,
      match: options.match,
      limit: options.limit,
      budget: options.budget,
      ...(options.from ? { from: options.from } : {}),
      ...(options.requestItems ? { requestItems: options.requestItems } : {}),
      onRead: (read) => {
        if (Date.now() - started > 1000)
          tick?.tick(
            () =>
              `reading the ledger (Scan): ${read.scanned} item(s), ${read.items.length} found, ${Math.round(read.readUnits)} read unit(s) so far`,
          );
      },
    },
  );
  return {
    items: page.items,
    ...(page.next ? { next: pageCursor(page.next) } : {}),
    scanned: page.scanned,
    readUnits: page.readUnits,
  };
}

/** The line on stderr under a page that did not reach the table's end: what it read and how to go on. */
export const pageNote = (
  command: string,
  page: Pick<ScanPage, 'scanned' | 'readUnits'>,
  next: string,
): string =>
  `this page read ${page.scanned} item(s), ${page.readUnits.toFixed(1)} read unit(s) (Scan, the table's order); more: eventline ${command} --next ${next}   (or --all to read the whole table)`;
