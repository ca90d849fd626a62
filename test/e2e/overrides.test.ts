import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The function's environment overrides (README: "TABLE_NAME overrides it at run time") work on the
 * local stack and in the CLI as they do on AWS: the stack creates and uses the named resources.
 */

const run = promisify(execFile);
const env = {
  TABLE_NAME: 'ledger-override',
  BUCKET_NAME: 'uploads-override',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:notify-override',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/eventline-dlq',
};
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-overrides-'));
  stack = await LocalStack.start({
    config: parseConfig({ local: { port: 0 } }),
    dataDir: join(dir, 'data'),
    env,
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function processed(pk: string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const item = await stack.clients.dynamodb.send(
      new GetItemCommand({ TableName: env.TABLE_NAME, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    if (item.Item) return item.Item;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ledger item ${pk} in ${env.TABLE_NAME} after 30 s`);
}

describe('environment overrides on the local stack', () => {
  it('TABLE_NAME: the banner shows it, the stack creates it and writes the ledger there', async () => {
    expect(stack.banner()).toMatch(/table {8}ledger-override\n/);
    await stack.clients.dynamodb.send(new DescribeTableCommand({ TableName: env.TABLE_NAME }));
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: env.BUCKET_NAME, Key: 'incoming/a.json', Body: '{"id":"over-a"}' }),
    );
    expect((await processed('over-a')).payload?.M?.id?.S).toBe('over-a');
  });

  it('BUCKET_NAME: the stack serves and watches that bucket; the CLI uploads to it', async () => {
    expect(stack.banner()).toMatch(/bucket {7}uploads-override\n/);
    await stack.clients.s3.send(new HeadBucketCommand({ Bucket: env.BUCKET_NAME }));
    const file = join(dir, 'b.json');
    await writeFile(file, '{"id":"over-b"}');
    const put = await run(
      process.execPath,
      ['bin/eventline.mjs', '--endpoint', stack.url, 'put', file, '--wait'],
      { env: { ...process.env, BUCKET_NAME: env.BUCKET_NAME, TABLE_NAME: env.TABLE_NAME }, timeout: 90_000 },
    );
    expect(put.stdout).toContain('uploaded s3://uploads-override/incoming/b.json');
    expect(put.stdout).toContain('processed: 1 record(s)');
    expect((await processed('over-b')).source?.M?.bucket?.S).toBe(env.BUCKET_NAME);
  });

  it('TOPIC_ARN: the stack creates that topic and publishes there', async () => {
    expect(stack.names.topicArn).toBe(env.TOPIC_ARN);
    expect(stack.banner()).toContain(`topic        ${env.TOPIC_ARN}`);
    await processed('over-a');
    await stack.idle();
    const published = await stack.sns.notifications({ limit: 100 });
    expect(published.length).toBeGreaterThan(0);
    expect(published.every((n) => (n as { topicArn?: string }).topicArn === env.TOPIC_ARN)).toBe(true);
  });

  it('DLQ_URL: the banner says it is not used locally and where dead letters go instead', () => {
    expect(stack.banner()).toContain(
      `dead letters ${stack.url}/000000000000/eventline-dlq   (the function's DLQ_URL; S3 events: eventline-events-dlq)`,
    );
    expect(stack.banner()).toContain(
      `DLQ_URL=${env.DLQ_URL} is the deployed function's queue; not used locally`,
    );
  });
});
