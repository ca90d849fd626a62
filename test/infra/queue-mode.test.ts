import { KEY_ADMIN_ACTIONS } from '@eventline/infra';
import { Capture, Match } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { configOf, functionSources, logicalId, type Synthesized, synthesize } from './support.ts';

/**
 * Queue mode (the default) with every setting away from its default, so each assertion proves the
 * value comes from the config. Built and synthesized once (cdk-nag runs during the synth).
 */
const config = configOf({
  bucket: { noncurrentVersionDays: 45 },
  table: { deletionProtection: false },
  topic: {
    subscriptions: [
      { protocol: 'email', endpoint: 'ops@example.com' },
      { protocol: 'email-json', endpoint: 'robots@example.com' },
      { protocol: 'https', endpoint: 'https://hooks.example.com/eventline' },
    ],
  },
  alarms: { subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }] },
  trigger: {
    mode: 'queue',
    batchSize: 50,
    maxBatchingWindowSeconds: 5,
    maxConcurrency: 4,
    maxReceiveCount: 7,
  },
  function: {
    memoryMb: 1024,
    timeoutSeconds: 120,
    reservedConcurrency: 8,
    logRetentionDays: 14,
    logLevel: 'DEBUG',
  },
});

let s: Synthesized;
let ids: Record<
  | 'bucket'
  | 'logBucket'
  | 'table'
  | 'topic'
  | 'alarmTopic'
  | 'key'
  | 'dlq'
  | 'eventDlq'
  | 'deliveryDlq'
  | 'queue'
  | 'fn'
  | 'role',
  string
>;

beforeAll(() => {
  s = synthesize(config);
  const { stack } = s;
  if (!(stack.trigger && 'queue' in stack.trigger)) throw new Error('expected a queue trigger');
  ids = {
    bucket: logicalId(stack.ingest.bucket),
    logBucket: logicalId(stack.ingest.accessLogBucket),
    table: logicalId(stack.ledger.table),
    topic: logicalId(stack.topics.topic),
    alarmTopic: logicalId(stack.topics.alarmTopic),
    key: logicalId(stack.topics.key),
    dlq: logicalId(stack.deadLetterQueue),
    eventDlq: logicalId(stack.eventDeadLetterQueue),
    deliveryDlq: logicalId(stack.topics.deadLetterQueue!),
    queue: logicalId(stack.trigger.queue),
    fn: logicalId(stack.pipeline.function),
    role: logicalId(stack.pipeline.role),
  };
});

const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objectsUnder = (bucketId: string, pattern: string) => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${pattern}`]],
});

describe('stateful resources keep their logical ids', () => {
  it('names the bucket, the access-log bucket and the table with fixed logical ids', () => {
    expect(ids.bucket).toBe('IngestBucket');
    expect(ids.logBucket).toBe('AccessLogBucket');
    expect(ids.table).toBe('EventsTable');
    const resources = s.template.toJSON().Resources as Record<string, { Type: string }>;
    expect(resources.IngestBucket?.Type).toBe('AWS::S3::Bucket');
    expect(resources.AccessLogBucket?.Type).toBe('AWS::S3::Bucket');
    expect(resources.EventsTable?.Type).toBe('AWS::DynamoDB::Table');
  });
});

describe('ingest bucket', () => {
  it('blocks public access, disables ACLs, encrypts, versions and logs to the access-log bucket', () => {
    s.template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectEquals({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'expire-noncurrent-versions',
              Status: 'Enabled',
              NoncurrentVersionExpiration: { NoncurrentDays: 45 },
              ExpiredObjectDeleteMarker: true,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            },
          ],
        },
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.logBucket }, LogFilePrefix: 'ingest/' },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('refuses any request without TLS 1.2 or later', () => {
    const bucketAndObjects = [arn(ids.bucket), objectsUnder(ids.bucket, '*')];
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: bucketAndObjects,
          },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            Resource: bucketAndObjects,
          },
        ],
      },
    });
  });

  it('keeps the access logs in a private, encrypted, TLS-only bucket written only by S3 logging', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.absent(),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            ExpirationInDays: 90,
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            Status: 'Enabled',
          }),
        ],
      },
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.logBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectEquals({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: objectsUnder(ids.logBucket, 'ingest/*'),
            Condition: {
              ArnLike: { 'aws:SourceArn': arn(ids.bucket) },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it('sends object-created events of the route to the ingest queue, filtered by prefix and suffix', () => {
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: ids.bucket },
      NotificationConfiguration: Match.objectEquals({
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.json' },
                  { Name: 'prefix', Value: 'incoming/' },
                ],
              },
            },
            QueueArn: arn(ids.queue),
          },
        ],
      }),
    });
  });
});

describe('ledger table', () => {
  it('has a string pk, the sparse attention index, on-demand billing, PITR, encryption and the configured deletion protection', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectEquals({
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'ix', AttributeType: 'S' },
          { AttributeName: 'ixAt', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
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
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: false,
      }),
      DeletionPolicy: 'Retain',
    });
  });
});

describe('notification topic', () => {
  it('is encrypted with the customer-managed key, which rotates', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'eventline notifications',
      KmsMasterKeyId: arn(ids.key),
    });
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets only the function role (through SNS) and CloudWatch use the key', () => {
    const account = {
      AWS: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
      },
    };
    s.template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'eventline: encrypts the notification and alarm topics',
      KeyPolicy: {
        Statement: [
          Match.objectEquals({
            Sid: 'AccountAdministersTheKey',
            Effect: 'Allow',
            Principal: account,
            Action: [...KEY_ADMIN_ACTIONS].sort(),
            Resource: '*',
          }),
          Match.objectEquals({
            Sid: 'AccountGrantsOnlyToAwsServices',
            Effect: 'Allow',
            Principal: account,
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          }),
          Match.objectEquals({
            Sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          }),
          Match.objectEquals({
            Sid: 'AllowPipelineFunctionToPublishThroughSns',
            Effect: 'Allow',
            Principal: { AWS: arn(ids.role) },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['sns.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
                },
              },
            },
          }),
        ],
      },
    });
  });

  it('refuses publishing without TLS', () => {
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.topic }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'AllowPublishThroughSSLOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: { Ref: ids.topic },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    });
  });

  it('subscribes every configured endpoint, each with the delivery dead-letter queue', () => {
    const redrive = { deadLetterTargetArn: arn(ids.deliveryDlq) };
    for (const [Protocol, Endpoint] of [
      ['email', 'ops@example.com'],
      ['email-json', 'robots@example.com'],
      ['https', 'https://hooks.example.com/eventline'],
    ]) {
      s.template.hasResourceProperties('AWS::SNS::Subscription', {
        TopicArn: { Ref: ids.topic },
        Protocol,
        Endpoint,
        RedrivePolicy: redrive,
      });
    }
    s.template.resourcePropertiesCountIs('AWS::SNS::Subscription', { TopicArn: { Ref: ids.topic } }, 3);
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });
});

describe('alarm topic', () => {
  it('is encrypted with the same key, TLS-only, and lets this account’s CloudWatch alarms publish', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'eventline alarms',
      KmsMasterKeyId: arn(ids.key),
    });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.alarmTopic }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectEquals({
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: ids.alarmTopic },
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ],
      },
    });
  });

  it('subscribes the configured alarm recipients', () => {
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: ids.alarmTopic },
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      RedrivePolicy: { deadLetterTargetArn: arn(ids.deliveryDlq) },
    });
  });
});

describe('function', () => {
  it('runs the latest Node.js runtime on arm64 with memory, timeout and concurrency from the config', () => {
    const nodeRuntimes = Runtime.ALL.map((r) => r.name).filter((name) => /^nodejs\d+\.x$/.test(name));
    const latest = nodeRuntimes.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).at(-1);
    expect(latest).toBe('nodejs24.x');
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: latest,
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 120,
      ReservedConcurrentExecutions: 8,
      Role: arn(ids.role),
      TracingConfig: { Mode: 'Active' },
      RecursiveLoop: 'Terminate',
    });
  });

  it('logs JSON at the configured level to its own log group with the configured retention', () => {
    const logGroup = logicalId(s.stack.pipeline.logGroup);
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'DEBUG',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: logGroup },
      },
    });
    const logKey = logicalId(s.stack.pipeline.logKey);
    s.template.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectEquals({ RetentionInDays: 14, KmsKeyId: arn(logKey) }),
      DeletionPolicy: 'Retain',
    });
  });

  it('encrypts its log group with its own retained, rotating key that only this account’s CloudWatch Logs may use', () => {
    const logKey = logicalId(s.stack.pipeline.logKey);
    expect(s.template.toJSON().Resources[logKey]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
    });
    const statements = s.template.toJSON().Resources[logKey].Properties.KeyPolicy.Statement as Array<{
      Sid: string;
      Action: string | string[];
      Principal: unknown;
      Condition?: unknown;
    }>;
    expect(statements.map((st) => st.Sid)).toEqual([
      'AccountAdministersTheKey',
      'AccountGrantsOnlyToAwsServices',
      'AllowCloudWatchLogsOfThisAccount',
    ]);
    expect(JSON.stringify(statements)).not.toContain('kms:*');
    expect(statements[2]).toMatchObject({
      Principal: {
        Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
      },
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':logs:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':log-group:*',
              ],
            ],
          },
        },
      },
    });
  });

  it('gets exactly the environment the handler reads', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectEquals({
          TABLE_NAME: { Ref: ids.table },
          TOPIC_ARN: { Ref: ids.topic },
          BUCKET_NAME: { Ref: ids.bucket },
          DLQ_URL: { Ref: ids.dlq },
          INGEST_QUEUE_URL: { Ref: ids.queue },
          POWERTOOLS_SERVICE_NAME: 'eventline',
          POWERTOOLS_METRICS_NAMESPACE: 'eventline',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('has a role with no managed policy that only Lambda can assume', () => {
    s.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
      },
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
  });

  it('has exactly the permissions it needs, each on its own resource', () => {
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: ids.role }],
      PolicyDocument: {
        Statement: [
          Match.objectEquals({
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: arn(logicalId(s.stack.pipeline.logGroup)),
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
            Resource: objectsUnder(ids.bucket, 'incoming/*'),
          }),
          Match.objectEquals({
            Sid: 'ListRoutedPrefixesSoMissingObjectsAre404',
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: arn(ids.bucket),
            Condition: { StringLike: { 's3:prefix': ['incoming/*'] } },
          }),
          Match.objectEquals({
            Sid: 'WriteInternalObjects',
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: objectsUnder(ids.bucket, '_eventline/*'),
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
            Sid: 'PollIngestQueue',
            Effect: 'Allow',
            Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
            Resource: arn(ids.queue),
          }),
          Match.objectEquals({
            Sid: 'SendContinuations',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: arn(ids.queue),
          }),
        ],
      },
    });
    s.template.resourceCountIs('AWS::IAM::Policy', 2); // the function's, and the bucket-notifications helper's
  });
});

describe('queue trigger', () => {
  it('has an encrypted, TLS-only ingest queue that redrives to the event dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: { 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, '-ingest']] },
      SqsManagedSseEnabled: true,
      // 6 x the 120 s function timeout + the 5 s batching window
      VisibilityTimeout: 725,
      MessageRetentionPeriod: 4 * 24 * 3600,
      RedrivePolicy: { deadLetterTargetArn: arn(ids.eventDlq), maxReceiveCount: 7 },
    });
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: ids.queue }],
      PolicyDocument: {
        Statement: [
          Match.objectEquals({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: arn(ids.queue),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectEquals({
            Sid: 'AllowS3ObjectCreatedEventsOfThisBucket',
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: arn(ids.queue),
            Condition: {
              ArnLike: { 'aws:SourceArn': arn(ids.bucket) },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ],
      },
    });
  });

  it('keeps both dead-letter queues encrypted, TLS-only, for 14 days, and retained with the table', () => {
    for (const id of [ids.dlq, ids.eventDlq]) {
      expect(s.template.toJSON().Resources[id]).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
      });
      expect(s.template.toJSON().Resources[id].Properties.RedrivePolicy).toBeUndefined();
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    }
  });

  it('lets only the ingest queue redrive into the event dead-letter queue, and no queue into eventline’s', () => {
    const resources = s.template.toJSON().Resources;
    expect(resources[ids.eventDlq].Properties.RedriveAllowPolicy).toEqual({
      redrivePermission: 'byQueue',
      sourceQueueArns: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':sqs:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':',
              { Ref: 'AWS::StackName' },
              '-ingest',
            ],
          ],
        },
      ],
    });
    // ... which is the ingest queue's own name.
    expect(resources[ids.queue].Properties.QueueName).toEqual({
      'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, '-ingest']],
    });
    expect(resources[ids.dlq].Properties.RedriveAllowPolicy).toEqual({ redrivePermission: 'denyAll' });
  });

  it('polls the queue with the configured batch size, window and concurrency and reports item failures', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arn(ids.queue),
      FunctionName: { Ref: ids.fn },
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('does not let S3 invoke the function directly', () => {
    s.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    s.template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 's3.amazonaws.com' }, 0);
  });
});

describe('alarms', () => {
  const alarmTo = () => ({
    AlarmActions: [{ Ref: ids.alarmTopic }],
    OKActions: [{ Ref: ids.alarmTopic }],
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Period: 300,
    TreatMissingData: 'notBreaching',
  });

  it('alarms on function errors, throttles and duration near the timeout', () => {
    const fnDimension = [{ Name: 'FunctionName', Value: { Ref: ids.fn } }];
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: fnDimension,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: fnDimension,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // Not Lambda's Duration: segments of a long file run close to the timeout by design (they hand off).
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: config.name,
      MetricName: 'TimeoutsWithoutCheckpoint',
      Dimensions: [{ Name: 'service', Value: config.name }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(
      Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).filter(
        (a) => (a.Properties as { MetricName?: string }).MetricName === 'Duration',
      ),
    ).toEqual([]);
  });

  it('alarms as soon as a dead-letter queue holds a message', () => {
    for (const queue of [ids.dlq, ids.eventDlq, ids.deliveryDlq]) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarmTo(),
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('alarms when the oldest message of the ingest queue gets old', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 900,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on the files the pipeline fails, and on files retried for 15 minutes (invisible to Errors)', () => {
    const service = [{ Name: 'service', Value: 'eventline' }];
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'eventline',
      MetricName: 'FilesFailed',
      Dimensions: service,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Namespace: 'eventline',
      MetricName: 'FilesRetried',
      Dimensions: service,
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('alarms when SNS fails to deliver notifications', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmTo(),
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [ids.topic, 'TopicName'] } }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('alarms only on pipeline metrics the function code emits', () => {
    const code = [...functionSources().values()].join('\n');
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')) as Array<{
      Properties: { Namespace: string; MetricName: string };
    }>;
    const pipelineMetrics = alarms.filter((a) => a.Properties.Namespace === 'eventline');
    expect(pipelineMetrics.map((a) => a.Properties.MetricName).sort()).toEqual([
      'FilesFailed',
      'FilesRetried',
      'TimeoutsWithoutCheckpoint',
    ]);
    // Counted by name, or through a constant holding the name.
    const constants = [...code.matchAll(/export const ([A-Z_]+) = '([A-Za-z]+)';/g)];
    for (const { Properties } of pipelineMetrics) {
      const name = Properties.MetricName;
      const viaConstant = constants.some(
        ([, constant, value]) => value === name && code.includes(`metrics?.count(${constant})`),
      );
      expect(code.includes(`metrics.count('${name}'`) || viaConstant, name).toBe(true);
    }
  });

  it('says in every alarm what it means and which eventline command to run', () => {
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')) as Array<{
      Properties: { AlarmDescription: string };
    }>;
    // errors, throttles, timeouts without a checkpoint, FilesFailed, FilesRetrying, 3 dead-letter queues, SNS failures, backlog age
    expect(alarms).toHaveLength(10);
    for (const { Properties } of alarms) {
      expect(Properties.AlarmDescription).toMatch(/npx eventline [a-z]+( [a-z-]+)* --stack EventlineTest/);
      expect(Properties.AlarmDescription.length).toBeLessThanOrEqual(1024);
    }
  });
});

describe('dashboard', () => {
  it('shows the alarms, the Powertools metrics and the health of every service of the pipeline', () => {
    const body = new Capture();
    s.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    const text = JSON.stringify(body.asObject());
    for (const expected of [
      'Alarms',
      String.raw`SEARCH('Namespace=\\\"eventline\\\"', 'Sum', 300)`,
      'Function invocations',
      'Function duration (ms)',
      'Function concurrency',
      'ApproximateAgeOfOldestMessage',
      'Dead-letter queues (messages visible)',
      'ConsumedWriteCapacityUnits',
      'NumberOfNotificationsFailed',
    ]) {
      expect(text).toContain(expected);
    }
  });
});

describe('outputs', () => {
  it('exports what a user needs after deploying', () => {
    s.template.hasOutput('BucketName', { Value: { Ref: ids.bucket } });
    s.template.hasOutput('TableName', { Value: { Ref: ids.table } });
    s.template.hasOutput('TopicArn', { Value: { Ref: ids.topic } });
    s.template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: ids.dlq } });
    s.template.hasOutput('DeadLetterQueueArn', { Value: arn(ids.dlq) });
    s.template.hasOutput('EventDeadLetterQueueUrl', { Value: { Ref: ids.eventDlq } });
    s.template.hasOutput('EventDeadLetterQueueArn', { Value: arn(ids.eventDlq) });
    s.template.hasOutput('IngestQueueArn', { Value: arn(ids.queue) });
    s.template.hasOutput('AlarmTopicArn', { Value: { Ref: ids.alarmTopic } });
    s.template.hasOutput('IngestQueueUrl', { Value: { Ref: ids.queue } });
    s.template.hasOutput('TriggerMode', { Value: 'queue' });
  });
});
