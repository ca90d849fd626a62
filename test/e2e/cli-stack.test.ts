import { execFile } from 'node:child_process';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { type Moto, startMoto } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `--stack <name>`: resources from CloudFormation DescribeStacks outputs, credentials and region from
 * the standard AWS chain (here: environment variables, and AWS_ENDPOINT_URL pointing every service
 * at moto_server, a second AWS emulator that has CloudFormation and CloudWatch).
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const REGION = 'eu-west-1';

/** The line every command starts its stderr with: which stack, region and endpoint it reads. */
const TARGET_LINE = /^eventline: (?:local stack|stack) \S+, region \S+, endpoint [^\n]*\n/;
/** What a command printed on stderr after that line. */
const afterTarget = (stderr: string) => stderr.replace(TARGET_LINE, '');
let moto: Moto;
let url: string;

/** Runs the CLI with AWS_ENDPOINT_URL at moto, unless `withoutEndpointVariable` (then only what args say). */
function eventline(args: string[], withoutEndpointVariable = false): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    AWS_ENDPOINT_URL: url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_PROFILE: '',
  };
  if (withoutEndpointVariable) {
    delete env.AWS_ENDPOINT_URL;
    delete env.EVENTLINE_ENDPOINT;
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/eventline.mjs', ...args],
      {
        timeout: 90_000,
        env,
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

const client = <T>(Make: new (c: object) => T) =>
  new Make({ endpoint: url, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

/** A stack as the CDK app's outputs describe one: a bucket, the ledger table and the three queues. */
const TEMPLATE = {
  Resources: {
    Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'deployed-ingest' } },
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: 'deployed-ledger',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'ix', AttributeType: 'S' },
          { AttributeName: 'ixAt', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        // The CDK app's sparse index for status and listings (core's ATTENTION_INDEX).
        GlobalSecondaryIndexes: [
          {
            IndexName: 'attention',
            KeySchema: [
              { AttributeName: 'ix', KeyType: 'HASH' },
              { AttributeName: 'ixAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
    },
    Ingest: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'deployed-ingest' } },
    Letters: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'deployed-dlq' } },
    Events: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'deployed-events-dlq' } },
  },
  Outputs: {
    BucketName: { Value: { Ref: 'Bucket' } },
    TableName: { Value: { Ref: 'Table' } },
    TriggerMode: { Value: 'queue' },
    IngestQueueUrl: { Value: { Ref: 'Ingest' } },
    IngestQueueArn: { Value: { 'Fn::GetAtt': ['Ingest', 'Arn'] } },
    DeadLetterQueueUrl: { Value: { Ref: 'Letters' } },
    DeadLetterQueueArn: { Value: { 'Fn::GetAtt': ['Letters', 'Arn'] } },
    EventDeadLetterQueueUrl: { Value: { Ref: 'Events' } },
    EventDeadLetterQueueArn: { Value: { 'Fn::GetAtt': ['Events', 'Arn'] } },
  },
};

/** A stack whose outputs name a table and a queue that are not there. */
const BROKEN = {
  Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'broken-ingest' } } },
  Outputs: {
    BucketName: { Value: { Ref: 'Bucket' } },
    TableName: { Value: 'no-such-ledger' },
    TriggerMode: { Value: 'queue' },
    DeadLetterQueueUrl: { Value: 'http://127.0.0.1:1/123456789012/no-such-dlq' },
    EventDeadLetterQueueUrl: { Value: 'http://127.0.0.1:1/123456789012/no-such-events-dlq' },
  },
};

/** Direct mode: the function is the only way in, and this stack does not name it. */
const DIRECT = {
  Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'direct-ingest' } } },
  Outputs: {
    BucketName: { Value: { Ref: 'Bucket' } },
    TableName: { Value: 'direct-ledger' },
    TriggerMode: { Value: 'direct' },
  },
};

beforeAll(async () => {
  moto = await startMoto();
  url = moto.url;
  const cfn = client(CloudFormationClient);
  await cfn.send(new CreateStackCommand({ StackName: 'deployed', TemplateBody: JSON.stringify(TEMPLATE) }));
  await cfn.send(new CreateStackCommand({ StackName: 'broken', TemplateBody: JSON.stringify(BROKEN) }));
  await cfn.send(new CreateStackCommand({ StackName: 'direct', TemplateBody: JSON.stringify(DIRECT) }));
  cfn.destroy();
  const cloudwatch = client(CloudWatchClient);
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: 'deployed-MonitoringFunctionErrors-ABC',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: 'deployed-MonitoringFunctionErrors-ABC',
      StateValue: 'ALARM',
      StateReason: 'Threshold Crossed: 1 datapoint [3.0]',
    }),
  );
  // Another stack whose name starts with this one's: its alarms are not this stack's.
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: 'deployed-staging-MonitoringFunctionErrors-XYZ',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: 'deployed-staging-MonitoringFunctionErrors-XYZ',
      StateValue: 'ALARM',
      StateReason: 'not this stack',
    }),
  );
  cloudwatch.destroy();
}, 120_000);

afterAll(async () => {
  await moto?.close();
});

describe('--stack', () => {
  it('status reads the alarms in ALARM, the queues and the ledger of the stack its outputs name', async () => {
    const run = await eventline(['status', '--stack', 'deployed', '--json']);
    expect(run.stderr).toBe(`eventline: stack deployed, region ${REGION}, endpoint ${url}\n`);
    const status = JSON.parse(run.stdout) as {
      target: string;
      mode: string;
      alarms: { alarms: Array<{ name: string; reason: string }> };
      queues: Array<{ queue: string; visible?: string }>;
      attention: { counts: Array<Record<string, string>>; newest: unknown[] };
    };
    expect(status.target).toBe('stack deployed');
    // Only this stack's alarms: not those of deployed-staging, whose names share the prefix "deployed".
    expect(status.alarms.alarms).toEqual([
      expect.objectContaining({
        name: 'deployed-MonitoringFunctionErrors-ABC',
        reason: 'Threshold Crossed: 1 datapoint [3.0]',
      }),
    ]);
    expect(status.queues.map((q) => [q.queue, q.visible])).toEqual([
      ['ingest', '0'],
      ['files', '0'],
      ['events', '0'],
    ]);
    // Read from the sparse attention index (the table has it, as the CDK app makes it): nothing to look at.
    expect(status.attention.newest).toEqual([]);
    expect(status.attention.counts.length).toBeGreaterThan(0);
    for (const row of status.attention.counts)
      expect(row).toMatchObject({ FAILED: '0', OWES: '0', PROCESSING: '0' });
    const files = await eventline(['files', '--stack', 'deployed']);
    expect(files.stdout).toBe('no files yet\n');
  });

  it('--endpoint with --stack sends every call there, CloudFormation included, and says so', async () => {
    // No AWS_ENDPOINT_URL: only --endpoint says where moto is. DescribeStacks going to AWS's regional
    // endpoint instead would fail (or, with real credentials, read a real account).
    const run = await eventline(['files', '--stack', 'deployed', '--endpoint', url], true);
    expect(run.stderr).toBe(`eventline: stack deployed, region ${REGION}, endpoint ${url}\n`);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('no files yet\n');
  });

  it('names a stack that does not exist, with the region it looked in', async () => {
    const run = await eventline(['files', '--stack', 'nope']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `eventline: stack "nope" (--stack) does not exist in ${REGION} at ${url}: deploy it (npm run deploy), or pick the region with --region or AWS_REGION, or the endpoint with --endpoint\n`,
    );
  });

  it('names the table and the queue an output points at when they are not there, and a missing output', async () => {
    const files = await eventline(['files', '--stack', 'broken']);
    expect(files.code).toBe(1);
    expect(afterTarget(files.stderr)).toMatch(
      /^eventline: Scan of the ledger table "no-such-ledger" \(output TableName of stack broken\) at stack broken failed: the table does not exist\n$/,
    );
    const letters = await eventline(['dlq', 'list', '--stack', 'broken']);
    expect(letters.code).toBe(1);
    expect(afterTarget(letters.stderr)).toMatch(
      /^eventline: ReceiveMessage on the files queue http:\/\/127\.0\.0\.1:1\/123456789012\/no-such-dlq \(output DeadLetterQueueUrl of stack broken\) failed: the queue does not exist\n$/,
    );
    const backfill = await eventline(['backfill', '--stack', 'broken']);
    expect(backfill.code).toBe(1);
    expect(afterTarget(backfill.stderr)).toBe(
      'eventline: backfill needs the ingest queue of stack broken: stack "broken" has no output "IngestQueueUrl"\n',
    );
  });

  it('says what backfill needs in direct mode: the function to invoke', async () => {
    const run = await eventline(['backfill', '--stack', 'direct']);
    expect(run.code).toBe(1);
    expect(afterTarget(run.stderr)).toBe(
      'eventline: backfill in direct mode invokes the function: stack direct has no output "FunctionName"\n',
    );
  });
});
