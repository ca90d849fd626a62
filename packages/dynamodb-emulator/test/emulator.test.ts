import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireDirectoryLock, type DynamoEmulator, startDynamoEmulator } from '../src/index.ts';

/**
 * What the conformance cases cannot show through the API alone: expiry of TTL'd items (sweep now,
 * and the periodic sweep), state kept across a restart, and that ALL_OLD reads and transactions
 * are atomic with respect to concurrent requests.
 */

let dir: string;
const running: DynamoEmulator[] = [];
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynamodb-emulator-'));
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const emulator of running.splice(0)) await emulator.close();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startDynamoEmulator>[0] = {}) {
  const emulator = await startDynamoEmulator({ ttlSweepIntervalMs: 0, ...options });
  running.push(emulator);
  const client = new DynamoDBClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  clients.push(client);
  return { emulator, client };
}

async function table(client: DynamoDBClient, name: string) {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}

const get = async (client: DynamoDBClient, name: string, pk: string) =>
  (await client.send(new GetItemCommand({ TableName: name, Key: { pk: { S: pk } }, ConsistentRead: true })))
    .Item;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('TTL expiry', () => {
  it('deletes items whose TTL has passed, and only those, when swept', async () => {
    const { emulator, client } = await start();
    await table(client, 'ttl');
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: 'ttl',
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' },
      }),
    );
    const now = Math.floor(Date.now() / 1000);
    const items: Record<string, Record<string, { S: string } | { N: string }>> = {
      expired: { expires: { N: String(now - 60) } },
      future: { expires: { N: String(now + 3600) } },
      // AWS leaves alone a TTL more than five years in the past, and one that is not a Number.
      ancient: { expires: { N: String(now - 6 * 365 * 24 * 3600) } },
      text: { expires: { S: String(now - 60) } },
      none: {},
    };
    for (const [pk, extra] of Object.entries(items)) {
      await client.send(new PutItemCommand({ TableName: 'ttl', Item: { pk: { S: pk }, ...extra } }));
    }
    // Expired but not yet swept: still there, as on AWS until its background deletion.
    expect(await get(client, 'ttl', 'expired')).toBeDefined();

    expect(await emulator.sweepExpired()).toBe(1);

    expect(await get(client, 'ttl', 'expired')).toBeUndefined();
    for (const pk of ['future', 'ancient', 'text', 'none'])
      expect(await get(client, 'ttl', pk)).toBeDefined();
    expect(await emulator.sweepExpired()).toBe(0);
  });

  it('sweeps by itself every ttlSweepIntervalMs', async () => {
    const { client } = await start({ ttlSweepIntervalMs: 20 });
    await table(client, 'auto');
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: 'auto',
        TimeToLiveSpecification: { Enabled: true, AttributeName: 't' },
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName: 'auto',
        Item: { pk: { S: 'gone' }, t: { N: String(Math.floor(Date.now() / 1000) - 1) } },
      }),
    );
    await until('the periodic sweep', async () => ((await get(client, 'auto', 'gone')) ? undefined : true));
  });
});

describe('tables', () => {
  it('a table takes writes as soon as CreateTable has answered (dynalite activates it on a timer)', async () => {
    const { client } = await start();
    for (let i = 0; i < 100; i++) {
      await table(client, `fresh-${i}`);
      await client.send(new PutItemCommand({ TableName: `fresh-${i}`, Item: { pk: { S: 'first' } } }));
    }
  });
});

describe('state on disk', () => {
  it('keeps items and TTL settings across a restart', async () => {
    const path = join(dir, 'restart', 'dynamodb');
    const first = await start({ path });
    await table(first.client, 'kept');
    await first.client.send(
      new UpdateTimeToLiveCommand({
        TableName: 'kept',
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' },
      }),
    );
    await first.client.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: 'a' } } }));
    await first.emulator.close();
    running.splice(running.indexOf(first.emulator), 1);

    const second = await start({ path });
    expect(await get(second.client, 'kept', 'a')).toEqual({ pk: { S: 'a' } });
    const described = await second.client.send(new DescribeTimeToLiveCommand({ TableName: 'kept' }));
    expect(described.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  });

  it('refuses a directory another live emulator holds, naming it', async () => {
    const path = join(dir, 'held', 'dynamodb');
    await start({ path });
    await expect(startDynamoEmulator({ path, ttlSweepIntervalMs: 0 })).rejects.toThrow(
      `data directory "${path}" is in use by a DynamoDB emulator (pid ${process.pid}`,
    );
  });
});

describe('atomic with respect to concurrent requests', () => {
  const ROUNDS = 60;
  const WORKERS = 8;

  it('an ALL_OLD item is the item that failed the condition, under concurrent claims and releases', async () => {
    const { client } = await start();
    await table(client, 'race');
    await client.send(new PutItemCommand({ TableName: 'race', Item: { pk: { S: 'lease' } } }));
    const wrong: string[] = [];
    let failures = 0;
    // Workers claim the lease (only if nobody holds it) and release it. A failed claim's ALL_OLD
    // must show a holder: an item without one would be a read made after someone released it.
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        const me = { S: `worker-${worker}` };
        for (let round = 0; round < ROUNDS; round++) {
          try {
            await client.send(
              new UpdateItemCommand({
                TableName: 'race',
                Key: { pk: { S: 'lease' } },
                UpdateExpression: 'SET holder = :me',
                ConditionExpression: 'attribute_not_exists(holder)',
                ExpressionAttributeValues: { ':me': me },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              }),
            );
            await client.send(
              new UpdateItemCommand({
                TableName: 'race',
                Key: { pk: { S: 'lease' } },
                UpdateExpression: 'REMOVE holder',
                ConditionExpression: 'holder = :me',
                ExpressionAttributeValues: { ':me': me },
              }),
            );
          } catch (error) {
            failures += 1;
            const item = (error as { Item?: Record<string, { S?: string }> }).Item;
            if (!item?.holder?.S)
              wrong.push(`round ${round}: ALL_OLD without a holder: ${JSON.stringify(item)}`);
          }
        }
      }),
    );
    expect(failures).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it('a transaction is seen whole or not at all by TransactGetItems', async () => {
    const { client } = await start();
    await table(client, 'bank');
    for (const pk of ['a', 'b']) {
      await client.send(new PutItemCommand({ TableName: 'bank', Item: { pk: { S: pk }, v: { N: '100' } } }));
    }
    const sums = new Set<number>();
    const move = (from: string, to: string) =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: 'bank',
                Key: { pk: { S: from } },
                UpdateExpression: 'ADD v :minus',
                ExpressionAttributeValues: { ':minus': { N: '-1' } },
              },
            },
            {
              Update: {
                TableName: 'bank',
                Key: { pk: { S: to } },
                UpdateExpression: 'ADD v :plus',
                ExpressionAttributeValues: { ':plus': { N: '1' } },
              },
            },
          ],
        }),
      );
    const read = async () => {
      const { Responses } = await client.send(
        new TransactGetItemsCommand({
          TransactItems: ['a', 'b'].map((pk) => ({ Get: { TableName: 'bank', Key: { pk: { S: pk } } } })),
        }),
      );
      sums.add((Responses ?? []).reduce((sum, r) => sum + Number(r.Item?.v?.N), 0));
    };
    await Promise.all([
      ...Array.from({ length: WORKERS / 2 }, async (_, w) => {
        for (let i = 0; i < ROUNDS; i++) await (w % 2 ? move('a', 'b') : move('b', 'a'));
      }),
      ...Array.from({ length: WORKERS / 2 }, async () => {
        for (let i = 0; i < ROUNDS; i++) await read();
      }),
    ]);
    expect([...sums]).toEqual([200]);
  });
});

describe('lock files', () => {
  it('takes over a lock left by a process that is gone', async () => {
    const held = join(dir, 'stale');
    // The pid of a process that was just alive and has exited.
    const deadPid = Number(
      execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']),
    );
    await mkdir(held, { recursive: true });
    await writeFile(
      join(held, 'in-use.lock'),
      JSON.stringify({ pid: deadPid, hostname: hostname(), startedAt: '2000-01-01T00:00:00.000Z' }),
    );
    const lock = await acquireDirectoryLock(held, { what: 'a test' });
    await lock.update({ port: 1234 });
    expect(JSON.parse(await readFile(lock.file, 'utf8'))).toMatchObject({
      pid: process.pid,
      port: 1234,
      what: 'a test',
    });
    await expect(acquireDirectoryLock(held)).rejects.toThrow(`(pid ${process.pid}, port 1234, since `);
    await lock.release();
    const again = await acquireDirectoryLock(held);
    await again.release();
  });
});

describe('closing', () => {
  it('lets requests in flight finish before it closes the database (closing under them threw from inside dynalite, uncaught)', async () => {
    // Prepare
    const { emulator, client } = await start();
    await table(client, 'closing');
    // Act: writes in flight when close() is called (Ctrl-C of `eventline start` with the function writing)
    const writes = Array.from({ length: 200 }, (_, i) =>
      client.send(
        new PutItemCommand({ TableName: 'closing', Item: { pk: { S: `k${i}` }, n: { N: String(i) } } }),
      ),
    );
    await Promise.race(writes);
    await emulator.close();
    const settled = await Promise.allSettled(writes);
    // Assess: the process is still here (an uncaught 'Database is closed' fails the run), some writes
    // were answered, and those cut are refused or reset, never answered wrongly.
    expect(settled.some((s) => s.status === 'fulfilled')).toBe(true);
    for (const s of settled) {
      if (s.status === 'rejected') expect(String(s.reason)).not.toMatch(/Database is closed/);
    }
  });
});
