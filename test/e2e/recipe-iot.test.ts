// The IoT recipe (examples/iot) end to end: its config read from the recipe's folder, as
// `npm start -- --config examples/iot/eventline.config.ts` reads it, its Parquet sample data put with
// SDK v3 through the local stack's edge, and the function instances running the Lambda bundle with
// the recipe's transform in it (the bundle imports the config file it was given, not the root's).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { loadConfig } from '@eventline/config';
import { fileKey } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotReadings } from '../../examples/iot/generate.ts';

const CONFIG_FILE = 'examples/iot/eventline.config.ts';
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-recipe-iot-'));
  const config = await loadConfig(CONFIG_FILE);
  // The recipe's digest window, shortened from a minute to a second for the test.
  const routes = config.routes.map((route) => ({
    ...route,
    notify: { digest: { everySeconds: 1, maxFiles: 1000, failuresImmediately: true } },
  }));
  stack = await LocalStack.start({
    config: { ...config, routes, local: { ...config.local, port: 0 } },
    configFile: CONFIG_FILE,
    dataDir: join(dir, 'data'),
    print: () => {},
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('recipe: IoT', () => {
  it('stores every Parquet reading but the calibration ones, exact, through the bundled function', async () => {
    const files = iotReadings(1500, 2);
    for (const file of files) {
      await stack.clients.s3.send(
        new PutObjectCommand({ Bucket: 'eventline-local', Key: file.key, Body: file.body }),
      );
    }

    for (const file of files) {
      const state = await until(file.key, async () => {
        const { Item } = await stack.clients.dynamodb.send(
          new GetItemCommand({
            TableName: 'events',
            Key: { pk: { S: fileKey('eventline-local', file.key) } },
            ConsistentRead: true,
          }),
        );
        return Item?.status?.S === 'PROCESSED' || Item?.status?.S === 'FAILED' ? Item : undefined;
      });
      expect(state.status?.S, JSON.stringify(state.state?.M?.error)).toBe('PROCESSED');
    }
    const Items: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await stack.clients.dynamodb.send(
        new ScanCommand({
          TableName: 'events',
          ConsistentRead: true,
          FilterExpression: '#kind = :record',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':record': { S: 'record' } },
          ExclusiveStartKey: start,
        }),
      );
      Items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(Items).toHaveLength(files.reduce((sum, file) => sum + file.stored, 0));
    // The transform ran in the bundle: no calibration reading, every reading has its day.
    expect(Items.filter((item) => item.payload?.M?.status?.S !== 'OK')).toEqual([]);
    expect(Items.every((item) => item.payload?.M?.day?.S === '2026-03-01')).toBe(true);

    const first = Items.find((item) => item.payload?.M?.seq?.N === '9007199254740993')?.payload?.M;
    expect(first).toMatchObject({
      device_id: { S: 'sensor-berlin-01-000' },
      ts: { S: '2026-03-01T10:00:00.000000Z' },
      temperature: { N: '16.5' },
      location: { NULL: true },
      tags: { L: [{ S: 'indoor' }] },
      attributes: { M: { firmware: { S: '2.4.1' }, unit: { S: 'C' } } },
    });
    expect(first?.humidity).toEqual({ NULL: true });
    const second = Items.find((item) => item.payload?.M?.seq?.N === '9007199254740994')?.payload?.M;
    expect(second).toMatchObject({
      temperature: { N: '16.87' },
      humidity: { N: '33.5' },
      location: { M: { lat: { N: '52.521' }, lon: { N: '13.405' } } },
      tags: { L: [{ S: 'outdoor' }, { S: 'floor-1' }] },
    });
    const key = Items.find((item) => item.payload?.M?.seq?.N === '9007199254740993')?.pk?.S;
    expect(key).toBe('sensor-berlin-01-000#2026-03-01T10:00:00.000000Z');

    // The digests of the two files (one window, or two when a window closed between them), to the
    // recipe's SQS subscriber.
    const { QueueUrl } = await stack.clients.sqs.send(new GetQueueUrlCommand({ QueueName: 'iot-digests' }));
    const bodies: Array<Record<string, unknown>> = [];
    const processed = () => bodies.reduce((sum, b) => sum + (b.files as { processed: number }).processed, 0);
    await until('digests of both files', async () => {
      const answer = await stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of answer.Messages ?? []) bodies.push(JSON.parse(JSON.parse(m.Body!).Message));
      return processed() >= 2 ? true : undefined;
    });
    expect(bodies.every((b) => b.status === 'DIGEST' && b.route === 'readings')).toBe(true);
    expect(processed()).toBe(2);
  });
});
