// The orders recipe (examples/orders) end to end: JSON orders and a CSV export put with SDK v3 through
// the local stack's edge; one item per order with its exact amount, bad export rows rejected by line.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '@eventline/config';
import { fileKey } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../../examples/orders/generate.ts';

let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-recipe-'));
  const config = await loadConfig('examples/orders/eventline.config.ts');
  stack = await LocalStack.start({
    config: { ...config, local: { ...config.local, port: 0 } },
    dataDir: join(dir, 'data'),
    print: () => {},
    // The function instances run the Lambda bundle with the recipe's schema in it, as `npm start --
    // --config examples/orders/eventline.config.ts` (the README's step 1) bundles it.
    configFile: 'examples/orders/eventline.config.ts',
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const getItem = async (pk: string) =>
  (
    await stack.clients.dynamodb.send(
      new GetItemCommand({ TableName: 'events', Key: { pk: { S: pk } }, ConsistentRead: true }),
    )
  ).Item;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('recipe: orders', () => {
  it('stores each order once with its exact amount and rejects the bad export rows with their line', async () => {
    const files = orders(30);
    for (const file of files) {
      await stack.clients.s3.send(
        new PutObjectCommand({ Bucket: 'eventline-local', Key: file.key, Body: file.body }),
      );
    }

    for (const file of files) {
      const state = await until(file.key, async () => {
        const item = await getItem(fileKey('eventline-local', file.key));
        return item?.status?.S === 'PROCESSED' || item?.status?.S === 'FAILED' ? item : undefined;
      });
      expect(state.status?.S, file.key).toBe('PROCESSED');
      expect(JSON.stringify(state), file.key).toContain(`"written":{"N":"${file.expected}"}`);
    }
    const exported = await getItem('o-2001');
    expect(exported?.payload?.M).toEqual({
      orderId: { S: 'o-2001' },
      customer: { S: 'Globex' },
      amount: { N: '37.13' },
      currency: { S: 'EUR' },
    });
    expect((await getItem('o-2000'))?.payload?.M?.customer?.S).toBe('Acme, Inc.');
    expect((await getItem('o-1001'))?.payload?.M?.items?.L).toHaveLength(1);
    expect(await getItem('o-2007')).toBeUndefined();
    expect(await getItem('o-2011')).toBeUndefined();
    const exportState = await getItem(fileKey('eventline-local', 'exports/2026-03-01.csv'));
    expect(JSON.stringify(exportState)).toMatch(/line 9.*customer|customer.*line 9/);
  });
});
