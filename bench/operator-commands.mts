/**
 * npx tsx bench/operator-commands.mts [--items 1000000] [--objects 10000] [--failed 1000] [--concurrency 16]
 *
 * The operator's commands on a big ledger (issue 23, item 4): a local stack whose ledger holds
 * `--items` items (outcome items, `--failed` of them FAILED and so in the sparse `attention` index,
 * and record items), loaded with BatchWriteItem in parallel (timed), and `--objects` objects in the
 * bucket under a route (their S3 events dropped, so that nothing processes them). Then each command
 * runs in this process (the CLI's own code, no process start-up) and is timed, with the DynamoDB read
 * units it consumed (ConsumedCapacity as the emulator reports it): status, files --status FAILED,
 * records (first page), reconcile; and beside them today's full Scan (`files --status FAILED --scan`,
 * which is what status, files and reconcile read before the index).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchWriteItemCommand, DescribeTableCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { fileItem } from '@eventline/aws';
import { buildProgram, readMeter } from '@eventline/cli';
import { parseConfig } from '@eventline/config';
import type { FileState } from '@eventline/core';
import { LocalStack } from '@eventline/local';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '1000000' },
    objects: { type: 'string', default: '10000' },
    failed: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const ITEMS = Number(values.items);
const OBJECTS = Number(values.objects);
const FAILED = Number(values.failed);
const CONCURRENCY = Number(values.concurrency);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

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
const say = (line: string) => process.stderr.write(`${line}\n`);

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
      ...(status === 'FAILED' ? { error: { code: 'bad-format', message: 'malformed JSON at line 1' } } : {}),
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
          say(`loading: ${loaded} of ${ITEMS} items, ${Math.round(loaded / ((lastSay - t) / 1000))} items/s`);
        }
      }
    }),
  );
  const loadSeconds = (performance.now() - t) / 1000;
  const described = await stack.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
  say(
    `${ITEMS} items (${outcomes} outcomes, ${FAILED} FAILED; table says ${described.Table?.ItemCount ?? '?'}) loaded in ${loadSeconds.toFixed(1)} s (${Math.round(ITEMS / loadSeconds)} items/s, BatchWriteItem x${CONCURRENCY})`,
  );

  // Each command in this process: wall time and read units.
  const rows: Array<[string, string, string, string, string]> = [];
  const run = async (label: string, args: string[], how: string) => {
    const { program, cli } = buildProgram();
    const write = process.stdout.write.bind(process.stdout);
    let bytes = 0;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      bytes += chunk.length;
      return true;
    }) as typeof process.stdout.write;
    const before = { ...readMeter };
    const start = performance.now();
    try {
      await program.parseAsync(['node', 'eventline', '--endpoint', stack.url, '--json', ...args]);
    } finally {
      process.stdout.write = write;
      await cli.close();
    }
    const seconds = (performance.now() - start) / 1000;
    const units = readMeter.readUnits - before.readUnits;
    const requests = readMeter.requests - before.requests;
    rows.push([label, how, seconds.toFixed(2), units.toFixed(1), String(requests)]);
    say(
      `${label}: ${seconds.toFixed(2)} s, ${units.toFixed(1)} read units, ${requests} ledger requests, ${bytes} B out`,
    );
  };
  await run('status', ['status'], 'attention index: Query COUNT + first page per state');
  await run('files --status FAILED', ['files', '--status', 'FAILED'], 'attention index: Query, first page');
  await run('records (first page)', ['records'], 'Scan pages of 100 until 20 records');
  await run('reconcile', ['reconcile'], `list ${OBJECTS} objects, BatchGetItem by key, attention index`);
  await run('files --status FAILED --scan', ['files', '--status', 'FAILED', '--scan'], "today's full Scan");
  process.exitCode = 0;

  process.stdout.write(
    `\n#### Operator commands on a ledger of ${ITEMS.toLocaleString('en')} items (local stack)\n\n` +
      `Loaded with BatchWriteItem, ${CONCURRENCY} requests in flight: ${loadSeconds.toFixed(0)} s (${Math.round(ITEMS / loadSeconds)} items/s). ` +
      `${outcomes.toLocaleString('en')} outcome items (${FAILED} FAILED), the rest records; ${OBJECTS.toLocaleString('en')} objects in the bucket.\n\n` +
      '| command | reads | wall s | read units | ledger requests |\n| --- | --- | --- | --- | --- |\n' +
      rows.map((r) => `| ${r.join(' | ')} |`).join('\n') +
      '\n',
  );
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
