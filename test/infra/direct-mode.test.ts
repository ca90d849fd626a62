import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { configOf, logicalId, type Synthesized, synthesize } from './support.ts';

/**
 * Direct mode (the seed's S3 -> Lambda) with three routes, a custom internal prefix, physical names,
 * a disposable stack, no subscriptions and alarms sent to an existing topic.
 */
const ONCALL_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';
const routes = [
  { id: 'orders', prefix: 'incoming/', suffix: '.json' },
  { id: 'readings', prefix: 'iot/', suffix: '.ndjson.gz', format: 'ndjson' as const },
  { id: 'exports', prefix: 'exports/daily/', suffix: '.csv', format: 'csv' as const },
];
const config = configOf({
  routes,
  internalPrefix: 'eventline-internal/',
  bucket: { deployName: 'acme-events-ingest', removalPolicy: 'destroy' },
  table: { deployName: 'acme-events', removalPolicy: 'destroy', deletionProtection: false },
  topic: { deployName: 'acme-events-notify' },
  trigger: { mode: 'direct', retryAttempts: 1, maxEventAgeSeconds: 3600 },
  alarms: { topicArns: [ONCALL_TOPIC] },
  ledger: { ttlDays: 30 },
  stack: { terminationProtection: false, tags: { team: 'data' } },
});

let s: Synthesized;
let ids: Record<
  'bucket' | 'table' | 'topic' | 'alarmTopic' | 'dlq' | 'eventDlq' | 'fn' | 'role' | 'logGroup',
  string
>;

beforeAll(() => {
  s = synthesize(config);
  const { stack } = s;
  ids = {
    bucket: logicalId(stack.ingest.bucket),
    table: logicalId(stack.ledger.table),
    topic: logicalId(stack.topics.topic),
    alarmTopic: logicalId(stack.topics.alarmTopic),
    dlq: logicalId(stack.deadLetterQueue),
    eventDlq: logicalId(stack.eventDeadLetterQueue),
    fn: logicalId(stack.pipeline.function),
    role: logicalId(stack.pipeline.role),
    logGroup: logicalId(stack.pipeline.logGroup),
  };
});

const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objectsUnder = (pattern: string) => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, `/${pattern}`]],
});

describe('direct trigger', () => {
  it('lets S3 invoke the function for each route, filtered by its prefix and suffix', () => {
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: ids.bucket },
      NotificationConfiguration: Match.objectEquals({
        LambdaFunctionConfigurations: routes.map((route) => ({
          Events: ['s3:ObjectCreated:*'],
          Filter: {
            Key: {
              FilterRules: [
                { Name: 'suffix', Value: route.suffix },
                { Name: 'prefix', Value: route.prefix },
              ],
            },
          },
          LambdaFunctionArn: arn(ids.fn),
        })),
      }),
    });
  });

  it('allows only this bucket, in this account, to invoke the function', () => {
    s.template.resourceCountIs('AWS::Lambda::Permission', 1);
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arn(ids.fn),
      Principal: 's3.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: arn(ids.bucket),
    });
  });

  it('retries, expires old events and sends what still fails to the event dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: ids.fn },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: arn(ids.eventDlq) } },
    });
  });

  it('creates no ingest queue and no event source mapping', () => {
    s.template.resourceCountIs('AWS::SQS::Queue', 2); // the two dead-letter queues only
    s.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(Object.keys(s.template.toJSON().Outputs)).not.toContain('IngestQueueUrl');
    s.template.hasOutput('TriggerMode', { Value: 'direct' });
  });
});

describe('continuations in direct mode', () => {
  it('lets the function invoke itself, and nothing else, to continue a long file', () => {
    const fn = logicalId(s.stack.pipeline.function);
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectEquals({
            Sid: 'InvokeSelfToContinue',
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: { 'Fn::GetAtt': [fn, 'Arn'] },
          }),
        ],
      },
    });
  });
});

describe('least privilege with several routes', () => {
  it('reads only under the routed prefixes, writes only under the internal prefix', () => {
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: ids.role }],
      PolicyDocument: {
        Statement: [
          Match.objectEquals({
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: arn(ids.logGroup),
          }),
          Match.objectEquals({
            Effect: 'Allow',
            Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
            Resource: '*',
          }),
          Match.objectEquals({
            Sid: 'ReadRoutedObjects',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            // aws-cdk-lib sorts the resources of a statement
            Resource: [objectsUnder('exports/daily/*'), objectsUnder('incoming/*'), objectsUnder('iot/*')],
          }),
          Match.objectEquals({
            Sid: 'ListRoutedPrefixesSoMissingObjectsAre404',
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: arn(ids.bucket),
            Condition: { StringLike: { 's3:prefix': ['incoming/*', 'iot/*', 'exports/daily/*'] } },
          }),
          Match.objectEquals({
            Sid: 'WriteInternalObjects',
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: objectsUnder('eventline-internal/*'),
          }),
          Match.objectEquals({
            Sid: 'LedgerAccess',
            Effect: 'Allow',
            Action: [
              'dynamodb:BatchWriteItem',
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
            ],
            Resource: arn(ids.table),
          }),
          Match.objectEquals({
            Sid: 'SendDeadLetters',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: arn(ids.dlq),
          }),
          Match.objectEquals({
            Sid: 'PublishNotifications',
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: { Ref: ids.topic },
          }),
          Match.objectEquals({
            Sid: 'DeliverFailedInvocations',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: arn(ids.eventDlq),
          }),
        ],
      },
    });
  });
});

describe('physical names and removal', () => {
  it('uses the configured deploy names', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'acme-events-ingest' });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'acme-events' });
    s.template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'acme-events-notify' });
  });

  it('keeps the logical ids of the stateful resources whatever the config', () => {
    expect(ids.bucket).toBe('IngestBucket');
    expect(ids.table).toBe('EventsTable');
    expect(logicalId(s.stack.ingest.accessLogBucket)).toBe('AccessLogBucket');
  });

  it('deletes buckets (emptying them first) and the table when the config says destroy', () => {
    s.template.hasResource('AWS::S3::Bucket', {
      Properties: { BucketName: 'acme-events-ingest' },
      DeletionPolicy: 'Delete',
    });
    s.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    s.template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: ids.bucket } });
    s.template.hasResourceProperties('Custom::S3AutoDeleteObjects', {
      BucketName: { Ref: 'AccessLogBucket' },
    });
  });

  it('lets the dead-letter queues go with the table when it goes', () => {
    for (const id of [ids.dlq, ids.eventDlq]) {
      expect(s.template.toJSON().Resources[id]).toMatchObject({ DeletionPolicy: 'Delete' });
    }
  });
});

describe('retention and stack settings from the config', () => {
  it('turns on DynamoDB TTL on expiresAt when ledger.ttlDays is set', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('takes termination protection and tags from the config', () => {
    const artifact = s.app.synth().getStackArtifact(s.stack.artifactId);
    expect(artifact.terminationProtection).toBe(false);
    expect(artifact.tags).toEqual({ team: 'data' });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: Match.arrayWith([{ Key: 'team', Value: 'data' }]),
    });
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      Tags: Match.arrayWith([{ Key: 'team', Value: 'data' }]),
    });
  });
});

describe('event dead-letter queue (direct mode)', () => {
  it('receives the failed invocations, is redrivable nowhere, and is not the queue the function writes', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: arn(ids.eventDlq) } },
    });
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      RedriveAllowPolicy: { redrivePermission: 'denyAll' },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(ids.eventDlq).not.toBe(ids.dlq);
    s.template.hasOutput('EventDeadLetterQueueUrl', { Value: { Ref: ids.eventDlq } });
    s.template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: ids.dlq } });
  });
});

describe('no subscriptions', () => {
  it('creates no subscription and no delivery dead-letter queue', () => {
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(s.stack.topics.deadLetterQueue).toBeUndefined();
  });
});

describe('alarms in direct mode', () => {
  const alarmTo = () => ({
    AlarmActions: [{ Ref: ids.alarmTopic }, ONCALL_TOPIC],
    OKActions: [{ Ref: ids.alarmTopic }, ONCALL_TOPIC],
  });
  const fnDimension = () => [{ Name: 'FunctionName', Value: { Ref: ids.fn } }];

  it('watches the age of asynchronous events and the events Lambda drops', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'AWS/Lambda',
      MetricName: 'AsyncEventAge',
      Dimensions: fnDimension(),
      Statistic: 'Maximum',
      Threshold: 900_000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'AWS/Lambda',
      MetricName: 'AsyncEventsDropped',
      Dimensions: fnDimension(),
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('watches the failed invocations Lambda could not deliver to the event dead-letter queue (lost events)', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'AWS/Lambda',
      MetricName: 'DestinationDeliveryFailures',
      Dimensions: fnDimension(),
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmDescription: Match.stringLikeRegexp('npx eventline reconcile --fix'),
    });
  });

  it('still watches errors, throttles, timeouts without a checkpoint and the dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      MetricName: 'TimeoutsWithoutCheckpoint',
    });
    for (const MetricName of ['Errors', 'Throttles']) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarmTo(),
        MetricName,
        Dimensions: fnDimension(),
      });
    }
    for (const dlq of [ids.dlq, ids.eventDlq]) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarmTo(),
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      });
    }
    // errors, throttles, duration, FilesFailed, the two dead-letter queues, SNS delivery failures,
    // async event age, dropped events, destination delivery failures (no FilesRetrying: a direct
    // invocation that must retry throws, which FunctionErrors sees).
    s.template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
  });
});
