/**
 * Figure 12, the operator's commands on a big ledger (issue 23, "Measured by"): a local stack whose
 * ledger holds `items` items (outcome items, `failed` of them FAILED and so in the sparse
 * `attention` index, and record items), loaded with BatchWriteItem in parallel (timed), and
 * `objects` objects in the bucket under a route (their S3 events dropped, so that nothing processes
 * them). Then each command runs in this process (the CLI's own code, `--json`, no process start-up)
 * and is timed, with the DynamoDB read units it consumed (ConsumedCapacity as the emulator reports
 * it): status, every listing's first page (index Queries, or a Scan page bounded by its budget),
 * reconcile; and beside them a full Scan (`files --all`), what every listing read before.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, DescribeTableCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { fileItem } from '@eventline/aws';
import { buildProgram, readMeter } from '@eventline/cli';
import { parseConfig } from '@eventline/config';
import type { FileState } from '@eventline/core';
import { LocalStack } from '@eventline/local';

export interface OperatorCommandRow {
  command: string;
  reads: string;
  wallS: number;
  readUnits: number;
  requests: number;
  /** Bounded whatever the table's size (an index or a budgeted page), or the full Scan beside them. */
  bounded: boolean;
}

export interface OperatorCommandsResult {
  items: number;
  outcomes: number;
  failed: number;
  objects: number;
  concurrency: number;
  loadS: number;
  tableItemCount?: number;
  rows: OperatorCommandRow[];
}

export interface OperatorCommandsOptions {
  items: number;
  objects: number;
  failed: number;
  concurrency: number;
  say?: (line: string) => void;
}

export async function runOperatorCommands(options: OperatorCommandsOptions): Promise<OperatorCommandsResult> {
  const { items: ITEMS, objects: OBJECTS, failed: FAILED, concurrency: CONCURRENCY } = options;
  const say = options.say ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'eventline-opbench-'));
  const stack = await LocalStack.start({
    config: parseConfig({ local: { port: 0 } }),
    dataDir: join(dir, 'data'),
    print: () => {},
    // The bucket's objects are for reconcile to list: none of them is processed.
    loseS3Event: () => true,
  });
  const table = stack.config.table.name;
  const bucket = stack.config.bucket.name;
  const route = stack.config.routes[0]!;
  try {
    // The objects reconcile lists.
    let t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < OBJECTS) {
          const i = next++;
          await stack.clients.s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `${route.prefix}obj-${i}.json`,
              Body: `{"id":"obj-${i}"}`,
            }),
          );
        }
      }),
    );
    say(`${OBJECTS} objects put in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // The ledger: one outcome per object (PROCESSED), FAILED outcomes, more outcomes and records to ITEMS.
    const now = new Date('2026-01-01T00:00:00Z').getTime();
    const outcome = (key: string, i: number, status: FileState['status']): WriteRequest => {
      const at = new Date(now + i * 1000).toISOString();
      const state: FileState = {
        bucket,
        key,
        route: route.id,
        // The object's own ETag (MD5 of its body), so that reconcile finds the outcome is for it.
        eTag: createHash('md5')
          .update(`{"id":"${key.slice(route.prefix.length, -'.json'.length)}"}`)
          .digest('hex'),
        seq: '',
        eventTime: at,
        status,
        rev: 3,
        leaseUntil: 0,
        attempts: 1,
        counts: { read: 1, written: status === 'FAILED' ? 0 : 1, rejected: 0, duplicates: 0, bytes: 20 },
        rejects: [],
        ...(status === 'FAILED'
          ? { error: { code: 'bad-format', message: 'malformed JSON at line 1' } }
          : {}),
        notification: { status: 'SENT', messageId: `m-${i}`, at },
        deadLetter: { status: status === 'FAILED' ? 'SENT' : 'NOT_NEEDED' },
        startedAt: at,
        finishedAt: at,
        durationMs: 5,
        updatedAt: at,
      };
      return { PutRequest: { Item: fileItem(state, `w${i}`) } };
    };
    const record = (i: number): WriteRequest => ({
      PutRequest: {
        Item: {
          pk: { S: `rec-${i}` },
          kind: { S: 'record' },
          payload: { M: { id: { S: `rec-${i}` }, total: { N: String(i % 1000) } } },
          source: { M: { bucket: { S: bucket }, key: { S: `${route.prefix}load-${i}.json` } } },
          origin: { S: `${bucket}/${route.prefix}load-${i}.json` },
          seq: { S: '' },
          route: { S: route.id },
          processedAt: { S: new Date(now).toISOString() },
        },
      },
    });
    const outcomes = Math.max(OBJECTS + FAILED, Math.floor(ITEMS / 10));
    const itemAt = (i: number): WriteRequest =>
      i < OBJECTS
        ? outcome(`${route.prefix}obj-${i}.json`, i, 'PROCESSED')
        : i < OBJECTS + FAILED
          ? outcome(`${route.prefix}failed-${i}.json`, i, 'FAILED')
          : i < outcomes
            ? outcome(`${route.prefix}old-${i}.json`, i, 'PROCESSED')
            : record(i);
    t = performance.now();
    let loaded = 0;
    let cursor = 0;
    let lastSay = t;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (cursor < ITEMS) {
          const start = cursor;
          const end = Math.min(ITEMS, cursor + 25);
          cursor = end;
          let pending: WriteRequest[] = [];
          for (let i = start; i < end; i++) pending.push(itemAt(i));
          while (pending.length > 0) {
            const out = await stack.clients.dynamodb.send(
              new BatchWriteItemCommand({ RequestItems: { [table]: pending } }),
            );
            pending = out.UnprocessedItems?.[table] ?? [];
          }
          loaded += end - start;
          if (performance.now() - lastSay > 10_000) {
            lastSay = performance.now();
            say(
              `loading: ${loaded} of ${ITEMS} items, ${Math.round(loaded / ((lastSay - t) / 1000))} items/s`,
            );
          }
        }
      }),
    );
    const loadS = (performance.now() - t) / 1000;
    const described = await stack.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    say(
      `${ITEMS} items (${outcomes} outcomes, ${FAILED} FAILED; table says ${described.Table?.ItemCount ?? '?'}) loaded in ${loadS.toFixed(1)} s (${Math.round(ITEMS / loadS)} items/s, BatchWriteItem x${CONCURRENCY})`,
    );

    // Each command in this process: wall time and read units; its output is counted, not printed.
    const rows: OperatorCommandRow[] = [];
    const run = async (command: string, reads: string, bounded = true) => {
      const { program, cli } = buildProgram();
      const write = process.stdout.write.bind(process.stdout);
      const writeErr = process.stderr.write.bind(process.stderr);
      let bytes = 0;
      process.stdout.write = ((chunk: string | Uint8Array) => {
        bytes += chunk.length;
        return true;
      }) as typeof process.stdout.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      const before = { ...readMeter };
      const start = performance.now();
      try {
        await program.parseAsync([
          'node',
          'eventline',
          '--endpoint',
          stack.url,
          '--json',
          ...command.split(' '),
        ]);
      } finally {
        process.stdout.write = write;
        process.stderr.write = writeErr;
        await cli.close();
      }
      const row: OperatorCommandRow = {
        command,
        reads,
        wallS: (performance.now() - start) / 1000,
        readUnits: readMeter.readUnits - before.readUnits,
        requests: readMeter.requests - before.requests,
        bounded,
      };
      rows.push(row);
      say(
        `${command}: ${row.wallS.toFixed(2)} s, ${row.readUnits.toFixed(1)} read units, ${row.requests} ledger requests, ${bytes} B out`,
      );
    };
    await run('status', 'attention index: Query COUNT + first page per state');
    await run('files --status FAILED', 'attention index: Query, first page');
    await run('files', 'Scan page: stops at 20 outcomes or 10,000 items read');
    await run('files --status PROCESSED', 'Scan page: stops at 20 PROCESSED or 10,000 items read');
    await run('files --search no-such-key', 'Scan page, nothing matches: reads its whole budget (the bound)');
    await run('notifications', 'Scan page: stops at 20 sent or 10,000 items read');
    await run('notifications --pending', 'attention index: every OWES and FAILED outcome');
    await run('records', 'Scan pages of 100 until 20 records');
    await run('reconcile', `list ${OBJECTS} objects, BatchGetItem by key, attention index`, false);
    await run('files --all', 'the full Scan every listing read before (--all still does)', false);
    return {
      items: ITEMS,
      outcomes,
      failed: FAILED,
      objects: OBJECTS,
      concurrency: CONCURRENCY,
      loadS,
      ...(described.Table?.ItemCount !== undefined ? { tableItemCount: described.Table.ItemCount } : {}),
      rows,
    };
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The figure as Markdown: a heading, how it was loaded, and one row per command. */
export function operatorCommandsMarkdown(result: OperatorCommandsResult, when?: string): string[] {
  return [
    `#### Figure 12 — operator commands on a ledger of ${result.items.toLocaleString('en')} items (local stack${when ? `, run of ${when}` : ''})`,
    '',
    `Loaded with BatchWriteItem, ${result.concurrency} requests in flight: ${result.loadS.toFixed(0)} s (${Math.round(result.items / result.loadS)} items/s). ` +
      `${result.outcomes.toLocaleString('en')} outcome items (${result.failed} FAILED), the rest records; ${result.objects.toLocaleString('en')} objects in the bucket.`,
    '',
    '| command | reads | wall s | read units | ledger requests |',
    '| --- | --- | --- | --- | --- |',
    ...result.rows.map(
      (r) =>
        `| ${r.command} | ${r.reads} | ${r.wallS.toFixed(2)} | ${r.readUnits.toFixed(1)} | ${r.requests} |`,
    ),
    '',
  ];
}

/** Figure 12's scale per bench profile: ledger items, bucket objects, FAILED outcomes. */
const SCALE = {
  full: { items: 1_000_000, objects: 10_000, failed: 1_000 },
  quick: { items: 100_000, objects: 2_000, failed: 200 },
  smoke: { items: 3_000, objects: 50, failed: 10 },
} as const;

/** `npm run bench`'s figure 12: `items` overrides the profile's ledger size (`--items`, EVENTLINE_BENCH_ITEMS). */
export async function runFigure12(options: {
  profile: keyof typeof SCALE;
  items?: number;
  progress: { begin(text: string): void; update(text: string): void; done(text: string): void };
}): Promise<OperatorCommandsResult> {
  const scale = SCALE[options.profile];
  const items = options.items ?? scale.items;
  options.progress.begin(
    `Figure 12: operator commands on a ledger of ${items.toLocaleString('en')} items (wall time, read units), beside a full Scan`,
  );
  const figure = await runOperatorCommands({
    items,
    objects: Math.min(scale.objects, Math.floor(items / 10)),
    failed: Math.min(scale.failed, Math.floor(items / 100)),
    concurrency: 16,
    say: (line) => options.progress.update(line),
  });
  options.progress.done(figure.rows.map((r) => `${r.command} ${r.wallS.toFixed(2)} s`).join(', '));
  return figure;
}

/** The issue's goal: status and every first page ≤ 2 s locally, read units bounded whatever the table's size. */
export function operatorGoal(result: OperatorCommandsResult) {
  const bounded = result.rows.filter((r) => r.bounded);
  const scan = result.rows.find((r) => r.command === 'files --all');
  const slowest = bounded.reduce((a, b) => (b.wallS > a.wallS ? b : a), bounded[0]!);
  const dearest = bounded.reduce((a, b) => (b.readUnits > a.readUnits ? b : a), bounded[0]!);
  return {
    figure: 12 as const,
    goal: `status and every listing's first page ≤ 2 s locally, read units bounded whatever the table's size (${result.items.toLocaleString('en')} items)`,
    measured: `slowest ${slowest.command} ${slowest.wallS.toFixed(2)} s; dearest ${dearest.command} ${dearest.readUnits.toFixed(1)} RRU; the full Scan ${scan?.wallS.toFixed(2)} s, ${scan?.readUnits.toFixed(1)} RRU`,
    // At a small scale the budgeted page may read the whole table: the bound shows from 100,000 items.
    met: result.items >= 100_000 ? slowest.wallS <= 2 && dearest.readUnits <= 1_000 : null,
  };
}
