import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { parseConfig } from '@eventline/config';
import { ensureLedgerTable } from '@eventline/dynamodb-emulator';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A table, bucket or topic deleted under a running stack: dead letters, the admin API and the CLI
 * name the resource and the setting that named it, not only "Requested resource not found".
 */

const run = promisify(execFile);
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-missing-'));
  stack = await LocalStack.start({
    config: parseConfig({ local: { port: 0 } }),
    dataDir: join(dir, 'data'),
    retryDelaysMs: [20, 40],
    env: {},
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function letterFor(key: string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const letter = (await stack.deadLetters.list()).find((l) => JSON.stringify(l.event).includes(key));
    if (letter) return letter;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no dead letter for ${key} after 30 s`);
}

const put = (key: string, body: string) =>
  stack.clients.s3.send(new PutObjectCommand({ Bucket: 'eventline-local', Key: key, Body: body }));

describe('a resource deleted under a running stack is named with its setting', () => {
  it('topic: the dead letter names the topic and topic.name', async () => {
    await stack.clients.sns.send(new DeleteTopicCommand({ TopicArn: stack.names.topicArn }));
    await put('incoming/no-topic.json', '{"id":"no-topic"}');
    const letter = await letterFor('incoming/no-topic.json');
    expect(letter.reason).toContain(
      `the topic "arn:aws:sns:us-east-1:000000000000:events-notify" (topic.name) does not exist`,
    );
  });

  it('table: the dead letter, the admin API and the CLI name the table and table.name', async () => {
    await stack.clients.dynamodb.send(new DeleteTableCommand({ TableName: 'events' }));
    const named = 'the table "events" (table.name) does not exist';

    await put('incoming/no-table.json', '{"id":"no-table"}');
    expect((await letterFor('incoming/no-table.json')).reason).toContain(named);

    for (const path of ['/_eventline/files', '/_eventline/records', '/_eventline/file?key=incoming/x.json']) {
      const response = await fetch(`${stack.url}${path}`);
      expect(response.status, path).toBe(500);
      expect(((await response.json()) as { error: string }).error, path).toContain(named);
    }

    for (const command of [
      ['files'],
      ['records'],
      ['put', 'README.md', '--key', 'incoming/r.json', '--wait'],
    ]) {
      const result = await run(process.execPath, ['bin/eventline.mjs', '--endpoint', stack.url, ...command], {
        timeout: 90_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(result.code, command.join(' ')).toBe(1);
      // The CLI reads the ledger through DynamoDB itself: it names the table, its setting and what is wrong.
      expect(result.stderr, command.join(' ')).toMatch(/table "events" \(table\.name\).*does not exist/);
    }
  });

  it('bucket: processing an object of a deleted bucket names the bucket and bucket.name', async () => {
    await ensureLedgerTable(stack.clients.dynamodb, 'events');
    await stack.idle();
    // The bucket is versioned (as on AWS): it is empty once every version and delete marker is gone.
    const listed = await stack.clients.s3.send(new ListObjectVersionsCommand({ Bucket: 'eventline-local' }));
    for (const version of [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])]) {
      await stack.clients.s3.send(
        new DeleteObjectCommand({
          Bucket: 'eventline-local',
          Key: version.Key,
          VersionId: version.VersionId,
        }),
      );
    }
    expect(listed.IsTruncated).toBe(false);
    await stack.clients.s3.send(new DeleteBucketCommand({ Bucket: 'eventline-local' }));
    await expect(
      stack.pipeline.processObject({
        bucket: 'eventline-local',
        key: 'incoming/gone.json',
        eventName: 'ObjectCreated:Put',
        eventTime: new Date().toISOString(),
        origin: 's3',
        eTag: 'd41d8cd98f00b204e9800998ecf8427e',
        size: 2,
      }),
    ).rejects.toThrow('the bucket "eventline-local" (bucket.name) does not exist');

    const backfill = await fetch(`${stack.url}/_eventline/backfill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prefix: 'incoming/' }),
    });
    expect(backfill.status).toBe(500);
    expect(((await backfill.json()) as { error: string }).error).toContain(
      'the bucket "eventline-local" (bucket.name) does not exist',
    );
    const upload = await run(
      process.execPath,
      ['bin/eventline.mjs', '--endpoint', stack.url, 'put', 'README.md', '--key', 'incoming/r.json'],
      { timeout: 90_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(upload.code).toBe(1);
    expect(upload.stderr).toContain('the bucket "eventline-local" (bucket.name) does not exist');
  });
});
