// A digest window's close that the ingest queue dead-lettered, through the local stack: the dead
// letter says it is a digest close (not an S3 event without an outcome), and replaying it closes
// the window and publishes its digest, once, with the window's key.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterEach, describe, expect, it } from 'vitest';
import { s3Client } from '../reliability/support/harness.ts';

let dir: string | undefined;
let stack: LocalStack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('a dead-lettered digest close on the local stack', () => {
  it('is listed as a digest close and replayed: the window is closed and its digest sent once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventline-digest-dlq-'));
    const s = await LocalStack.start({
      config: parseConfig({
        local: { port: 0 },
        trigger: { batchSize: 1, maxReceiveCount: 2 },
        routes: [{ id: 'sensors', notify: { digest: { everySeconds: 2, maxFiles: 100 } } }],
      }),
      dataDir: join(dir, 'data'),
      retryDelaysMs: [100],
      functionRuntime: 'in-process',
    });
    stack = s;
    await s.idle();
    // Every invocation carrying a close fails (as when SNS is unreachable) until the close is dead-lettered.
    const original = s.handler;
    let broken = true;
    s.handler = async (event, context) => {
      if (broken && JSON.stringify(event).includes('digest-close')) throw new Error('SNS unreachable');
      return original(event, context);
    };
    const s3 = s3Client(s.url);
    await s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/r.json', Body: '{"id":"r1"}' }),
    );
    s3.destroy();

    const [letter] = await until('the close dead-lettered', async () => {
      const letters = await s.deadLetters.list();
      return letters.length > 0 ? letters : undefined;
    });
    expect(letter).toMatchObject({ code: 'digest-close' });
    expect(letter!.reason).toMatch(/the close of digest window sensors\/\d+\/0/);
    expect(letter!.reason).not.toMatch(/S3 event/);

    broken = false;
    expect(await s.replay(letter!.id)).toEqual([expect.objectContaining({ status: 'digest-closed' })]);
    const { Items = [] } = await s.clients.dynamodb.send(new ScanCommand({ TableName: 'events' }));
    const windows = Items.map((item) => unmarshall(item)).filter((i) => i.kind === 'digest');
    expect(windows).toEqual([expect.objectContaining({ files: 1, sentAt: expect.any(String) })]);
    const published = await s.sns.notifications({ limit: 100 });
    expect(published.map((p) => p.messageAttributes?.status?.StringValue)).toEqual(['DIGEST']);
    expect(await s.deadLetters.list()).toEqual([]);
  }, 90_000);
});
