// A digest window's close that the ingest queue dead-lettered, through the local stack: the dead
// letter says it is a digest close (not an S3 event without an outcome), and replaying it closes
// the window and publishes its digest, once, with the window's key.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { windowKey } from '@eventline/aws';
import { parseConfig } from '@eventline/config';
import { digestCloseOf } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterEach, describe, expect, it } from 'vitest';
import { s3Client } from '../reliability/support/harness.ts';
import { runCli } from '../reliability/support/processes.ts';

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

  it('a window whose close letter was dropped is found by reconcile and sent by reconcile --fix (the CLI, as on AWS)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventline-digest-lost-'));
    const s = await LocalStack.start({
      config: parseConfig({
        local: { port: 0 },
        // A close has maxReceiveCount x the visibility timeout (6 x 2 s) after its window's end: 24 s.
        function: { timeoutSeconds: 2 },
        trigger: { batchSize: 1, maxReceiveCount: 2 },
        routes: [{ id: 'sensors', notify: { digest: { everySeconds: 2, maxFiles: 100 } } }],
      }),
      dataDir: join(dir, 'data'),
      retryDelaysMs: [100],
      functionRuntime: 'in-process',
    });
    stack = s;
    await s.idle();
    const original = s.handler;
    let broken = true;
    s.handler = async (event, context) => {
      if (broken && JSON.stringify(event).includes('digest-close')) throw new Error('SNS unreachable');
      return original(event, context);
    };
    const s3 = s3Client(s.url);
    await s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/lost.json', Body: '{"id":"l1"}' }),
    );
    s3.destroy();
    const [letter] = await until('the close dead-lettered', async () => {
      const letters = await s.deadLetters.list();
      return letters.length > 0 ? letters : undefined;
    });
    expect(letter).toMatchObject({ code: 'digest-close' });
    // The operator drops the letter (or it expires): nothing else would close the window.
    const dropped = await runCli(['--endpoint', s.url, 'dlq', 'drop', letter!.id, '--reason', 'noise']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(await s.deadLetters.list()).toEqual([]);
    broken = false;

    // Inside its close's deliveries the window is closing, not lost: no finding, no alarm.
    const early = await runCli(['--endpoint', s.url, '--json', 'reconcile']);
    expect(early.code, early.stderr).toBe(0);
    expect(JSON.parse(early.stdout).findings).toEqual([]);
    expect(early.stderr).toContain('1 digest window(s) ended but still closing');

    // Past them, it is reported.
    const found = await until(
      'reconcile to report the window',
      async () => {
        const run = await runCli(['--endpoint', s.url, '--json', 'reconcile']);
        return run.code === 1 ? run : undefined;
      },
      90_000,
    );
    expect(found.code, found.stderr).toBe(1);
    const findings = (
      JSON.parse(found.stdout) as { findings: Array<{ kind: string; key: string; detail: string }> }
    ).findings;
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'digest-unsent', key: expect.stringMatching(/^sensors\/\d+\/0$/) }),
    ]);
    expect(findings[0]!.detail).toContain('1 file(s) (1 processed, 0 failed)');

    const fix = await runCli(['--endpoint', s.url, '--json', 'reconcile', '--fix']);
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.stderr).toContain('1 digest window close(s) sent');
    const sent = await until('the window sent', async () => {
      const { Items = [] } = await s.clients.dynamodb.send(new ScanCommand({ TableName: 'events' }));
      const window = Items.map((item) => unmarshall(item)).find((i) => i.kind === 'digest');
      return window?.sentAt ? window : undefined;
    });
    expect(sent).toMatchObject({ files: 1 });
    const published = await s.sns.notifications({ limit: 100 });
    expect(published.map((p) => p.messageAttributes?.status?.StringValue)).toEqual(['DIGEST']);
    // Swept: the next reconcile finds nothing owed.
    const after = await runCli(['--endpoint', s.url, '--json', 'reconcile']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).findings).toEqual([]);
  }, 180_000);

  it('holds back the last delivery of a close another close is publishing, instead of dead-lettering it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventline-digest-hold-'));
    const s = await LocalStack.start({
      config: parseConfig({
        local: { port: 0 },
        function: { timeoutSeconds: 1 },
        trigger: { batchSize: 1, maxReceiveCount: 2 },
        routes: [{ id: 'sensors', notify: { digest: { everySeconds: 2, maxFiles: 100 } } }],
      }),
      dataDir: join(dir, 'data'),
      retryDelaysMs: [100],
      leaseMs: 2_000,
      functionRuntime: 'in-process',
    });
    stack = s;
    await s.idle();
    // Another close holds the window (as one publishing, or one that crashed while it did) for 1.5 s
    // when this close first arrives; its deliveries come back after 100 ms, well inside that hold.
    const original = s.handler;
    let held = false;
    s.handler = async (event, context) => {
      const body = (event as { Records?: Array<{ body?: string }> }).Records?.[0]?.body;
      const close = body ? digestCloseOf(JSON.parse(body)) : undefined;
      if (close && !held) {
        held = true;
        await s.clients.dynamodb.send(
          new UpdateItemCommand({
            TableName: 'events',
            Key: { pk: { S: windowKey(close) } },
            UpdateExpression: 'SET #p = :until',
            ExpressionAttributeNames: { '#p': 'publishing' },
            ExpressionAttributeValues: { ':until': { N: String(Date.now() + 1_500) } },
          }),
        );
      }
      return original(event, context);
    };
    const s3 = s3Client(s.url);
    await s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/h.json', Body: '{"id":"h1"}' }),
    );
    s3.destroy();
    const sent = await until('the window sent', async () => {
      const { Items = [] } = await s.clients.dynamodb.send(new ScanCommand({ TableName: 'events' }));
      const window = Items.map((item) => unmarshall(item)).find((i) => i.kind === 'digest');
      if (window?.sentAt) return window;
      // Dead-lettered instead: the window would never be sent.
      if ((await s.deadLetters.list()).length > 0) return 'dead-lettered';
      return undefined;
    });
    expect(held).toBe(true);
    expect(sent).toMatchObject({ files: 1, sentAt: expect.any(String) });
    expect(await s.deadLetters.list()).toEqual([]);
  }, 90_000);
});
