// The security-logs recipe (examples/security-logs) end to end: its config and its sample data, put
// with SDK v3 through the local stack's edge, every file processed and each record normalized.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '@eventline/config';
import { fileKey } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityLogs } from '../../examples/security-logs/generate.ts';

let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-recipe-'));
  const config = await loadConfig('examples/security-logs/eventline.config.ts');
  stack = await LocalStack.start({
    config: { ...config, local: { ...config.local, port: 0 } },
    dataDir: join(dir, 'data'),
    print: () => {},
    // The function instances run the Lambda bundle with the recipe's transforms in it, as `npm start --
    // --config examples/security-logs/eventline.config.ts` (the README's step 1) bundles it.
    configFile: 'examples/security-logs/eventline.config.ts',
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('recipe: security logs', () => {
  it('stores CloudTrail, ALB and VPC Flow records in one normalized shape', async () => {
    const files = securityLogs(40);
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
      expect(state.status?.S, file.key).toBe('PROCESSED');
    }
    const { Items = [] } = await stack.clients.dynamodb.send(
      new ScanCommand({ TableName: 'events', ConsistentRead: true }),
    );
    const records = Items.filter((item) => item.payload?.M?.source?.S);
    const bySource = new Map<string, number>();
    for (const item of records) {
      const source = item.payload!.M!.source!.S!;
      bySource.set(source, (bySource.get(source) ?? 0) + 1);
    }
    expect(Object.fromEntries(bySource)).toEqual({ cloudtrail: 40, alb: 40, 'vpc-flow': 40 });
    for (const item of records) {
      const payload = item.payload!.M!;
      expect(payload.time?.S, JSON.stringify(payload)).toMatch(/^2026-03-01T10:\d\d:\d\d/);
      expect(payload.ip?.S).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(payload.outcome?.S).toMatch(/^(ok|error:AccessDenied|http:\d{3}|accept|reject)$/);
    }
  });
});
