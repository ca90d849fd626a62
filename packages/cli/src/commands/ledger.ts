import type { FileState, StoredRecord } from '@eventline/core';
import { type Command, Option } from 'commander';
import { type Cli, collect, positive, ROUTE_HELP } from '../context.ts';
import { attentionStates, newestFirst } from '../ledger.ts';
import { emit, exact, table } from '../output.ts';
import { pageNote, pageOptions, pageWindow, type ScanPage, scanOutcomes, scanRecords } from '../pages.ts';
import { progressOf } from '../progress.ts';
import { pruneRecord, staleRecords } from '../stale-records.ts';

/**
 * `files`, `records`, `notifications`: what the ledger says, read through DynamoDB. FAILED and
 * retried/continued PROCESSING files and owed notifications come from the sparse `attention` index
 * (a few items whatever the table's size); every other listing reads a page of the table at a time
 * (pages.ts: a Scan that stops at --limit matches or --budget items read, with a --next cursor).
 */

const NO_INDEX =
  'the ledger table has no "attention" index (a table made before it: a new local data directory, `npm start -- --data-dir <dir>`, has it; `npm run deploy` adds it to a deployed stack\'s table): reading the whole table';

const STATUSES = ['PROCESSING', 'PROCESSED', 'FAILED'] as const;

/** One file outcome as `--json` prints it; a file in progress with how far it has come. */
export function fileView(s: FileState) {
  const progress = progressOf(s);
  return {
    bucket: s.bucket,
    key: s.key,
    route: s.route,
    status: s.status,
    ...(s.versionId ? { versionId: s.versionId } : {}),
    ...(s.eTag ? { eTag: s.eTag } : {}),
    attempts: s.attempts,
    counts: s.counts,
    ...(progress ? { progress } : {}),
    ...(s.error ? { error: s.error } : {}),
    leaseUntil: s.leaseUntil,
    notification: s.notification,
    deadLetter: s.deadLetter,
    ...(s.dropped ? { dropped: s.dropped } : {}),
    startedAt: s.startedAt,
    ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
    ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
    updatedAt: s.updatedAt,
  };
}

export function filesTable(states: FileState[]): string {
  return table(
    ['STATUS', 'KEY', 'RECORDS', 'REJECTED', 'SEGMENTS', 'UPDATED', 'ERROR'],
    states.map((s) => {
      // A file in progress: the records and segments behind it (its checkpoint), not the running
      // segment's own counts, which start at 0.
      const progress = progressOf(s);
      return [
        s.status,
        s.key,
        progress ? progress.records : s.counts?.written,
        s.counts?.rejected,
        progress ? progress.segments : '',
        s.updatedAt,
        s.error?.message,
      ];
    }),
  );
}

export function register(program: Command, cli: Cli): void {
  pageOptions(
    program
      .command('files')
      .description(
        'list file outcomes from the ledger (FAILED and retried PROCESSING from the index, newest first; the rest a page of the table at a time)',
      )
      .option('-n, --limit <n>', 'how many', positive, 20)
      .addOption(
        new Option(
          '-s, --status <status>',
          'only files with this status (FAILED, and PROCESSING files retried or continued, from the index; PROCESSED and every status a page of the table at a time)',
        ).choices(STATUSES),
      )
      .option('-q, --search <text>', 'only keys containing this text')
      .option('--route <id>', ROUTE_HELP, collect, [])
      .option(
        '--scan',
        'read the table instead of the index (with --status PROCESSING: first attempts in flight too)',
      ),
  ).action(
    async (options: {
      limit: number;
      status?: string;
      search?: string;
      scan?: boolean;
      next?: Record<string, unknown>;
      all?: boolean;
      budget: number;
      route: string[];
    }) => {
      const target = await cli.target();
      const status = options.status;
      const matches = (s: FileState) =>
        (!status || s.status === status) && (!options.search || s.key.includes(options.search));
      let indexed: FileState[] | undefined;
      if (
        (status === 'FAILED' || status === 'PROCESSING') &&
        !options.scan &&
        !options.next &&
        !options.all
      ) {
        const routes = await cli.routeIds(options.route);
        indexed = await attentionStates(target, routes, status, options.search ? undefined : options.limit);
        // A file in progress that carries an older version's owed step is in the index as owing
        // one (core's ledger-index.ts): read those too (a few; the status filter below keeps them).
        if (indexed && status === 'PROCESSING') {
          const owing = await attentionStates(target, routes, 'OWES');
          indexed = owing && [...indexed, ...owing];
        }
        if (!indexed) cli.out.progress(NO_INDEX);
      }
      let page: ScanPage | undefined;
      if (!indexed) {
        page = await scanOutcomes(target, {
          match: matches,
          // --all: every page, then the newest --limit of them (the listing before pages).
          ...pageWindow(options),
          progress: cli.out.progress,
        });
        if (page.next && !options.all) cli.out.progress(pageNote(filesCommand(options), page, page.next));
      }
      const states = (indexed ?? page?.states ?? [])
        .filter(matches)
        .sort(newestFirst)
        .slice(0, options.limit);
      emit(
        cli.out,
        { files: states.map(fileView), ...(page?.next && !options.all ? { next: page.next } : {}) },
        () =>
          states.length === 0
            ? indexed && status === 'PROCESSING'
              ? 'no file retried or continued is in progress (a first attempt in flight is not indexed: --scan lists those too)\n'
              : page?.next && !options.all
                ? 'none in this page of the table (more: see --next below)\n'
                : 'no files yet\n'
            : filesTable(states),
      );
    },
  );

  pageOptions(
    program
      .command('records')
      .description(
        'list ledger records, their payloads exactly as stored (a page of the table at a time, --search too)',
      )
      .option('-n, --limit <n>', 'how many', positive, 20)
      .option('-q, --search <text>', 'only record keys containing this text')
      .option(
        '--stale',
        "only records a superseded version left under keys its object's current, PROCESSED version did not write (reads the whole table)",
      )
      .option('--prune', 'with --stale: delete them (each only if it still holds the write listed)'),
  ).action(
    async (options: {
      limit: number;
      search?: string;
      stale?: boolean;
      prune?: boolean;
      next?: Record<string, unknown>;
      all?: boolean;
      budget: number;
    }) => {
      const target = await cli.target();
      if (options.prune && !options.stale) throw new Error('records --prune: only with --stale');
      if (options.stale && (options.next || options.all))
        throw new Error('records --stale reads the whole table: --next and --all page the other listings');
      if (options.stale) {
        // The search filters before the limit counts: a stale record past `--limit` others still shows.
        const search = options.search;
        const stale = await staleRecords(target, options.limit, (key) => !search || key.includes(search));
        const pruned: string[] = [];
        if (options.prune) {
          for (const { record } of stale) if (await pruneRecord(target, record)) pruned.push(record.key);
        }
        const rows = stale.map(({ record, outcome }) => ({
          ...record,
          current: { versionId: outcome.versionId, eTag: outcome.eTag },
          ...(options.prune ? { pruned: pruned.includes(record.key) } : {}),
        }));
        emit(cli.out, { records: rows }, () =>
          rows.length === 0
            ? 'no stale records\n'
            : `${table(
                ['KEY', 'SOURCE', 'ITS VERSION', 'CURRENT VERSION', ...(options.prune ? ['PRUNED'] : [])],
                rows.map((r) => [
                  r.key,
                  r.source.key ?? '',
                  r.source.versionId ?? r.source.eTag ?? '',
                  r.current.versionId ?? r.current.eTag ?? '',
                  ...(options.prune ? [r.pruned ? 'yes' : 'no (replaced meanwhile)'] : []),
                ]),
              )}${options.prune ? '' : 'eventline records --stale --prune deletes them\n'}`,
        );
        return;
      }
      // One bounded page (a search too: no index holds record keys, and one would cost every
      // record a write unit): it stops at --limit matches or --budget items read; --next goes on.
      const search = options.search;
      const page = await scanRecords(target, {
        match: (r) => !search || r.key.includes(search),
        ...pageWindow(options),
        // A listing of every record usually fills from its first items: small requests read little.
        ...(search ? {} : { requestItems: 100 }),
        progress: cli.out.progress,
      });
      const next = options.all ? undefined : page.next;
      if (next) cli.out.progress(pageNote(recordsCommand(options), page, next));
      // --all: every page, then the newest --limit of them (by when each was written), as `files` does.
      const found = (options.all ? page.records.sort(newestRecordFirst) : page.records).slice(
        0,
        options.limit,
      );
      emit(cli.out, { records: found, ...(next ? { next } : {}) }, () =>
        found.length === 0
          ? next
            ? 'none in this page of the table (more: see --next below)\n'
            : search
              ? `no record key contains "${search}"\n`
              : 'no records yet\n'
          : table(
              ['KEY', 'SOURCE', 'PAYLOAD'],
              found.map((r) => [r.key, r.source.key, exact(r.payload)]),
            ),
      );
    },
  );

  pageOptions(
    program
      .command('notifications')
      .description(
        'list what was published to the topic, per file, from the ledger (a page of the table at a time; --pending from the index)',
      )
      .option('-n, --limit <n>', 'how many', positive, 20)
      .option('--pending', 'only notifications still owed (not yet published; from the index)')
      .option('--route <id>', ROUTE_HELP, collect, []),
  ).action(
    async (options: {
      limit: number;
      pending?: boolean;
      next?: Record<string, unknown>;
      all?: boolean;
      budget: number;
      route: string[];
    }) => {
      const target = await cli.target();
      const wanted = (s: FileState) =>
        options.pending ? s.notification?.status === 'PENDING' : s.notification?.status === 'SENT';
      let owing: FileState[] | undefined;
      if (options.pending && !options.next && !options.all) {
        const routes = await cli.routeIds(options.route);
        const [owes, failed] = await Promise.all([
          attentionStates(target, routes, 'OWES'),
          attentionStates(target, routes, 'FAILED'),
        ]);
        owing = owes && failed ? [...owes, ...failed] : undefined;
        if (!owing) cli.out.progress(NO_INDEX);
      }
      let page: ScanPage | undefined;
      if (!owing) {
        page = await scanOutcomes(target, {
          match: wanted,
          ...pageWindow(options),
          progress: cli.out.progress,
        });
        if (page.next && !options.all)
          cli.out.progress(pageNote(`notifications${options.pending ? ' --pending' : ''}`, page, page.next));
      }
      const sent = (owing ?? page?.states ?? [])
        .filter(wanted)
        .sort((a, b) => ((a.notification.at ?? '') < (b.notification.at ?? '') ? 1 : -1))
        .slice(0, options.limit);
      const view = sent.map((s) => ({
        key: s.key,
        status: s.status,
        notification: s.notification,
      }));
      emit(
        cli.out,
        { notifications: view, ...(page?.next && !options.all ? { next: page.next } : {}) },
        () =>
          view.length === 0
            ? page?.next && !options.all
              ? 'none in this page of the table (more: see --next below)\n'
              : options.pending
                ? 'no notifications owed\n'
                : 'no notifications yet\n'
            : table(
                ['PUBLISHED', 'KEY', 'FILE', 'MESSAGE ID', 'STATE'],
                view.map((n) => [
                  n.notification.at,
                  n.key,
                  n.status,
                  n.notification.messageId,
                  n.notification.status,
                ]),
              ),
      );
    },
  );
}

/** The command line that goes on from a page of `records`, with the options that shape it. */
function recordsCommand(options: { search?: string; limit: number }): string {
  const parts = ['records'];
  if (options.search) parts.push('--search', JSON.stringify(options.search));
  if (options.limit !== 20) parts.push('--limit', String(options.limit));
  return parts.join(' ');
}

/** The command line that goes on from a page of `files`, with the options that shape it. */
function filesCommand(options: { status?: string; search?: string; scan?: boolean; limit: number }): string {
  const parts = ['files'];
  if (options.status) parts.push('--status', options.status);
  if (options.search) parts.push('--search', JSON.stringify(options.search));
  if (options.scan) parts.push('--scan');
  if (options.limit !== 20) parts.push('--limit', String(options.limit));
  return parts.join(' ');
}

/** Newest written first; a record without `processedAt` (written before it was stored) last. */
function newestRecordFirst(a: StoredRecord, b: StoredRecord): number {
  return (b.processedAt ?? '').localeCompare(a.processedAt ?? '');
}
