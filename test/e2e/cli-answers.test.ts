import { execFile } from 'node:child_process';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { ATTENTION_INDEX } from '@eventline/core';
import { type Moto, startMoto } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * When there is no one to talk to, or the one answering does not speak the call, the CLI says so
 * in one line with what to run: no local stack at the endpoint (`npm start`), no region or no
 * credentials for `--stack`, nothing at `--endpoint` with `--stack`, and an SQS endpoint without
 * StartMessageMoveTask (moto_server, a second emulator: `dlq replay` of the events queue).
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in its own process, with exactly the AWS environment given (none of the host's). */
function eventline(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|EVENTLINE_)/.test(name)),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/eventline.mjs', ...args],
      {
        timeout: 90_000,
        env: {
          ...clean,
          NO_COLOR: '1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/nonexistent/eventline-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/eventline-credentials',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** Where nothing listens. */
const NOTHING = 'http://127.0.0.1:1';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

let moto: Moto;

beforeAll(async () => {
  moto = await startMoto();
});

afterAll(async () => {
  await moto?.close();
});

describe('no stack answers', () => {
  it('no local stack at the endpoint: one line, with `npm start`', async () => {
    // Prepare: a port nothing listens on (1, privileged: no test binds it, unlike a port freePort
    // returned, which another test file may take meanwhile)
    const url = NOTHING;

    // Act
    const run = await eventline(['--endpoint', url, 'files']);

    // Assess: no target line (there is no target), no stack trace
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `eventline: no eventline local stack answers at ${url}: start one with \`npm start\` (or point --endpoint at a running one, or read a deployed stack with --stack NAME)\n`,
    );
  });

  it('--stack without a region: one line, with --region', async () => {
    const run = await eventline(['--stack', 'eventline', 'status'], CREDENTIALS);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'eventline: no region for stack "eventline" (--stack): pass --region NAME or set AWS_REGION (or a region in your AWS profile)\n',
    );
  });

  it('--stack without credentials: one line, with how to configure them', async () => {
    const run = await eventline(['--stack', 'eventline', '--region', 'eu-west-1', 'status']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'eventline: no AWS credentials to read stack "eventline" (--stack) in eu-west-1: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n',
    );
  });

  it('--stack with an --endpoint where nothing listens: one line', async () => {
    const url = NOTHING;
    const run = await eventline(
      ['--stack', 'eventline', '--region', 'eu-west-1', '--endpoint', url, 'status'],
      CREDENTIALS,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `eventline: nothing answers at ${url} (--endpoint) for stack "eventline" (--stack): start the emulator there, or leave --endpoint out to read the stack on AWS\n`,
    );
  });
});

describe('an SQS endpoint without StartMessageMoveTask (moto_server)', () => {
  it('dlq replay of the events queue says the endpoint lacks the action, with the raw parse error and what to run instead', async () => {
    // Prepare: the local stack's queue names (config name "eventline") on moto, both DLQs, one raw event in the events DLQ
    const sqs = new SQSClient({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await sqs.send(new CreateQueueCommand({ QueueName: 'eventline-dlq' }));
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'eventline-events-dlq' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sqs.send(
      new CreateQueueCommand({
        QueueName: 'eventline-ingest',
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 3 }),
        },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq.QueueUrl, MessageBody: '{"Records":[]}' }));
    sqs.destroy();

    // Act
    const run = await eventline(['--endpoint', moto.url, 'dlq', 'replay', '--queue', 'events'], CREDENTIALS);

    // Assess: one line after the target line
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^eventline: StartMessageMoveTask on the events queue \S+ \(queue eventline-events-dlq at http:\/\/127\.0\.0\.1:\d+\) failed: the endpoint answered HTTP 500 with something that is not an SQS response: it does not implement StartMessageMoveTask; replay the letters one by one instead: eventline dlq replay ID --queue events \(ids: eventline dlq list --queue events\) \(raw parse error: .*not valid JSON\)$/,
    );
  });

  it('status names the missing ListMessageMoveTasks in one line, with the raw parse error', async () => {
    // Prepare: the ledger table status reads (the queues are the previous test's)
    const dynamodb = new DynamoDBClient({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'events',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: ATTENTION_INDEX.partitionKey, AttributeType: 'S' },
          { AttributeName: ATTENTION_INDEX.sortKey, AttributeType: 'S' },
        ],
        // The ledger's index status reads (packages/core/src/ledger-index.ts)
        GlobalSecondaryIndexes: [
          {
            IndexName: ATTENTION_INDEX.name,
            KeySchema: [
              { AttributeName: ATTENTION_INDEX.partitionKey, KeyType: 'HASH' },
              { AttributeName: ATTENTION_INDEX.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    dynamodb.destroy();

    // Act
    const run = await eventline(['--endpoint', moto.url, '--json', 'status'], CREDENTIALS);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as { queues: Array<{ queue: string; note?: string }> };
    expect(status.queues.find((q) => q.queue === 'events')?.note).toMatch(
      /^ListMessageMoveTasks failed: the endpoint answered HTTP 500 with something that is not an SQS response: it does not implement ListMessageMoveTasks \(raw parse error: [^\n]*\)$/,
    );
  });

  it('status and files --status FAILED on a ledger table made before the attention index read the whole table, saying so (moto answers ResourceNotFoundException "Invalid index")', async () => {
    // Prepare: a table as an older deploy made it, no index (the queues are the first test's)
    const dynamodb = new DynamoDBClient({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'old-ledger',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    dynamodb.destroy();
    const env = { ...CREDENTIALS, TABLE_NAME: 'old-ledger' };

    // Act
    const status = await eventline(['--endpoint', moto.url, '--json', 'status'], env);
    const files = await eventline(['--endpoint', moto.url, 'files', '--status', 'FAILED'], env);

    // Assess
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toMatch(/no "attention" index: reading the whole table/);
    expect(JSON.parse(status.stdout)).toMatchObject({ recent: [] });
    expect(files.code, files.stderr).toBe(0);
    // A deployed table made before the index: the advice names the deploy that adds it, too.
    expect(files.stderr).toMatch(
      /no "attention" index \(.*`npm run deploy` adds it.*\): reading the whole table/,
    );
    expect(files.stdout).toBe('no files yet\n');
  });
});
