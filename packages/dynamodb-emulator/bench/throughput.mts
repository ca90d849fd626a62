import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { Target } from '../test/conformance/cases.ts';
import { startTarget } from '../test/conformance/targets.ts';

/**
 * npx tsx packages/dynamodb-emulator/bench/throughput.mts [--targets emulator,dynalite,moto,ddblocal] [--seconds 2] [--rounds 3]
 *
 * Requests per second through SDK v3 for PutItem, GetItem (consistent), Query and BatchWriteItem
 * (25 items), one at a time and 8 in flight, each for --seconds; and the start time (from start to
 * the first answered ListTables). The targets take turns for --rounds rounds and each figure is
 * the best round's (on a shared machine the best is the least disturbed). Prints a Markdown table.
 */
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'emulator,dynalite,moto,ddblocal' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
  },
  strict: true,
});
const seconds = Number(values.seconds);
const targets = (values.targets ?? '').split(',').filter(Boolean) as Target[];

const item = (i: number) => ({
  pk: { S: `p${i % 50}` },
  sk: { N: String(i) },
  body: { S: 'x'.repeat(200) },
  n: { N: String(i) },
});

async function rate(inFlight: number, work: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      for (let i = lane; performance.now() < end; i += inFlight) {
        await work(i);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const best = new Map<Target, Record<string, number>>();
for (let round = 0; round < Number(values.rounds); round++) {
  for (const target of targets) {
    const t0 = performance.now();
    const endpoint = await startTarget(target);
    const client = new DynamoDBClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      await client.send(new ListTablesCommand({}));
      const startMs = performance.now() - t0;
      const TableName = 'bench';
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'N' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      const figures: Record<string, number> = { 'start ms': -startMs };
      for (const inFlight of [1, 8]) {
        figures[`PutItem×${inFlight}`] = await rate(inFlight, (i) =>
          client.send(new PutItemCommand({ TableName, Item: item(i) })),
        );
        figures[`GetItem×${inFlight}`] = await rate(inFlight, (i) =>
          client.send(
            new GetItemCommand({ TableName, Key: { pk: item(i).pk, sk: item(i).sk }, ConsistentRead: true }),
          ),
        );
        figures[`Query×${inFlight}`] = await rate(inFlight, (i) =>
          client.send(
            new QueryCommand({
              TableName,
              KeyConditionExpression: 'pk = :p',
              ExpressionAttributeValues: { ':p': { S: `p${i % 50}` } },
              Limit: 10,
            }),
          ),
        );
        figures[`BatchWriteItem×${inFlight}`] = await rate(inFlight, (i) =>
          client.send(
            new BatchWriteItemCommand({
              RequestItems: {
                [TableName]: Array.from({ length: 25 }, (_, j) => ({
                  PutRequest: { Item: item(100_000 + i * 25 + j) },
                })),
              },
            }),
          ),
        );
      }
      const kept = best.get(target) ?? {};
      for (const [name, value] of Object.entries(figures))
        kept[name] = Math.max(kept[name] ?? Number.NEGATIVE_INFINITY, value);
      best.set(target, kept);
      process.stderr.write(
        `round ${round + 1} ${target}: ${JSON.stringify(figures, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}\n`,
      );
    } finally {
      client.destroy();
      await endpoint.close();
    }
  }
}
const names = Object.keys(best.values().next().value ?? {});
const rows = [`| target | ${names.join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`];
for (const [target, figures] of best) {
  rows.push(`| ${target} | ${names.map((name) => Math.round(Math.abs(figures[name] ?? 0))).join(' | ')} |`);
}
process.stdout.write(`${rows.join('\n')}\n`);
