import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EventlineConfig } from '../src/config/schema.ts';
import { IngestBucket } from './constructs/ingest-bucket.ts';
import { LedgerTable } from './constructs/ledger-table.ts';
import { NotificationTopics } from './constructs/notification-topics.ts';
import { PipelineFunction } from './constructs/pipeline-function.ts';
import { type LabelledQueue, PipelineMonitoring } from './constructs/pipeline-monitoring.ts';
import { DirectTrigger, QueueTrigger } from './constructs/triggers.ts';
import {
  assertDeployable,
  logRetentionFor,
  removalPolicyOf,
  visibilityTimeoutFor,
} from './deploy-settings.ts';

export interface EventlineStackProps extends StackProps {
  /** The validated eventline config; `trigger.mode` decides the wiring. */
  readonly config: EventlineConfig;
  /** The handler module to bundle (`src/lambda/index.ts` in the app; a small fixture in tests). */
  readonly handlerEntry: string;
  /** How old the oldest waiting event may get before it is an alarm. @default 15 minutes */
  readonly backlogAge?: Duration;
}

/** Construct id of the singleton Lambda function aws-cdk-lib uses to apply bucket notification configurations. */
const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * The production architecture of eventline, driven by the same config as the runtime: the bucket's
 * notification filters are the routes, the function's settings are `function.*`, the topic's
 * subscribers are `topic.subscriptions`. Everything is passed down as props; this stack reads no
 * environment and no context.
 */
export class EventlineStack extends Stack {
  readonly ingest: IngestBucket;
  readonly ledger: LedgerTable;
  readonly topics: NotificationTopics;
  readonly pipeline: PipelineFunction;
  readonly deadLetterQueue: Queue;
  readonly trigger: QueueTrigger | DirectTrigger;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: EventlineStackProps) {
    super(scope, id, props);
    const { config } = props;
    assertDeployable(config);

    this.ingest = new IngestBucket(this, 'Ingest', {
      bucketName: config.bucket.deployName,
      removalPolicy: removalPolicyOf(config.bucket.removalPolicy),
      noncurrentVersionDays: config.bucket.noncurrentVersionDays,
    });
    const bucket = this.ingest.bucket;

    this.ledger = new LedgerTable(this, 'Ledger', {
      tableName: config.table.deployName,
      deletionProtection: config.table.deletionProtection,
      removalPolicy: removalPolicyOf(config.table.removalPolicy),
    });

    this.topics = new NotificationTopics(this, 'Notifications', {
      topicName: config.topic.deployName,
      subscriptions: config.topic.subscriptions,
      alarmSubscriptions: config.alarms.subscriptions,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the terminal dead-letter queue of the pipeline: messages stay 14 days for inspection and replay, there is nowhere further to redrive them.',
    });
    if (config.trigger.mode === 'direct') {
      // In queue mode cdk-nag sees this queue as the ingest queue's redrive target and does not flag it.
      Validations.of(this.deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This is the terminal dead-letter queue of the pipeline (the on-failure destination of the asynchronous invocations); it has no dead-letter queue of its own by design.',
      });
    }

    const timeout = Duration.seconds(config.function.timeoutSeconds);
    this.pipeline = new PipelineFunction(this, 'Pipeline', {
      entry: props.handlerEntry,
      memoryMb: config.function.memoryMb,
      timeout,
      reservedConcurrency: config.function.reservedConcurrency,
      logRetention: logRetentionFor(config),
      logLevel: config.function.logLevel,
      serviceName: config.name,
      metricsNamespace: config.name,
      environment: {
        TABLE_NAME: this.ledger.table.tableName,
        TOPIC_ARN: this.topics.topic.topicArn,
        BUCKET_NAME: bucket.bucketName,
        DLQ_URL: this.deadLetterQueue.queueUrl,
      },
    });
    const fn = this.pipeline.function;
    this.pipeline.allowReadingRoutes(
      bucket,
      config.routes.map((route) => route.prefix),
    );
    this.pipeline.allowWritingInternal(bucket, config.internalPrefix);
    this.pipeline.allowLedgerAccess(this.ledger.table);
    this.pipeline.allowDeadLettering(this.deadLetterQueue);
    this.topics.allowPublishFrom(this.pipeline.role);

    const routes = config.routes.map(({ id: routeId, prefix, suffix }) => ({ id: routeId, prefix, suffix }));
    const { trigger } = config;
    this.trigger =
      trigger.mode === 'queue'
        ? new QueueTrigger(this, 'QueueTrigger', {
            bucket,
            routes,
            function: fn,
            deadLetterQueue: this.deadLetterQueue,
            visibilityTimeout: visibilityTimeoutFor(config),
            maxReceiveCount: trigger.maxReceiveCount,
            batchSize: trigger.batchSize,
            maxBatchingWindow:
              trigger.maxBatchingWindowSeconds > 0
                ? Duration.seconds(trigger.maxBatchingWindowSeconds)
                : undefined,
            maxConcurrency: trigger.maxConcurrency,
          })
        : new DirectTrigger(this, 'DirectTrigger', {
            bucket,
            routes,
            function: fn,
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: trigger.retryAttempts,
            maxEventAge: Duration.seconds(trigger.maxEventAgeSeconds),
          });
    if (this.trigger instanceof QueueTrigger) this.pipeline.allowContinuationsOn(this.trigger.queue);
    else this.pipeline.allowSelfInvocation();
    this.acknowledgeBucketNotificationsHandler();

    const deadLetterQueues: LabelledQueue[] = [{ label: 'Pipeline', queue: this.deadLetterQueue }];
    if (this.topics.deadLetterQueue) {
      deadLetterQueues.push({ label: 'Delivery', queue: this.topics.deadLetterQueue });
    }
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      function: fn,
      timeout,
      reservedConcurrency: config.function.reservedConcurrency,
      alarmTopic: this.topics.alarmTopic,
      notificationTopic: this.topics.topic,
      table: this.ledger.table,
      deadLetterQueues,
      ...(this.trigger instanceof QueueTrigger ? { ingestQueue: this.trigger.queue } : {}),
      ...(props.backlogAge ? { backlogAge: props.backlogAge } : {}),
      metricsNamespace: config.name,
      serviceName: config.name,
    });

    this.output('BucketName', bucket.bucketName, 'Upload files here, under a routed prefix.');
    this.output('TableName', this.ledger.table.tableName, 'The ledger (TABLE_NAME).');
    this.output('TopicArn', this.topics.topic.topicArn, 'Per-file notifications (TOPIC_ARN).');
    this.output('DeadLetterQueueUrl', this.deadLetterQueue.queueUrl, 'Failed files and events (DLQ_URL).');
    this.output('AlarmTopicArn', this.topics.alarmTopic.topicArn, 'CloudWatch alarms.');
    this.output('FunctionName', fn.functionName, 'The pipeline function.');
    this.output('DashboardName', this.monitoring.dashboard.dashboardName, 'The CloudWatch dashboard.');
    this.output('TriggerMode', trigger.mode, 'How objects reach the function.');
    if (this.trigger instanceof QueueTrigger) {
      this.output('IngestQueueUrl', this.trigger.queue.queueUrl, 'S3 events waiting for the function.');
    }
  }

  private output(id: string, value: string, description: string): void {
    new CfnOutput(this, id, { value, description });
  }

  /**
   * aws-cdk-lib applies S3 notification configurations through a custom resource whose Lambda function
   * (code, runtime, role) it owns; these findings are about that deployment-time helper, not the pipeline.
   */
  private acknowledgeBucketNotificationsHandler(): void {
    const handler = this.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'Role of the aws-cdk-lib bucket-notifications custom resource, which runs only during deployments; this managed policy only lets it write its own logs.',
    });
  }
}
