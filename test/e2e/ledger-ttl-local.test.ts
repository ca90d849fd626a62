import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTimeToLiveCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { fileKey, TTL_ATTRIBUTE } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `ledger.ttlDays` on the local stack as on AWS: the table has time to live on the attribute the
 * ledger stamps, and every item the stack writes (records, and the file item through the stack's own
 * ledger too, which start-up recovery rewrites) carries it, so local items expire as deployed ones do.
 */
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-ttl-local-'));
  stack = await LocalStack.start({
    config: parseConfig({ local: { port: 0 }, ledger: { ttlDays: 2 } }),
    dataDir: join(dir, 'data'),
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function item(pk: string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const got = await stack.clients.dynamodb.send(
      new GetItemCommand({ TableName: 'events', Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    if (got.Item && (got.Item.state?.S ?? got.Item.status?.S) !== 'PROCESSING') return got.Item;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no finished ledger item ${pk} after 30 s`);
}

describe('ledger.ttlDays on the local stack', () => {
  it('enables time to live on the ledger table, on the attribute the ledger writes', async () => {
    const ttl = await stack.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'events' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: TTL_ATTRIBUTE,
    });
  });

  it('stamps the record and the file item with an expiry about ttlDays ahead', async () => {
    const before = Math.floor(Date.now() / 1000);
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/ttl.json', Body: '{"id":"ttl-1"}' }),
    );
    const record = await item('ttl-1');
    const file = await item(fileKey('eventline-local', 'incoming/ttl.json'));
    for (const got of [record, file]) {
      const expires = Number(got[TTL_ATTRIBUTE]?.N);
      expect(expires).toBeGreaterThanOrEqual(before + 2 * 86_400 - 5);
      expect(expires).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 2 * 86_400 + 5);
    }
  });
});
