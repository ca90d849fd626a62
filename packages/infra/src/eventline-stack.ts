/**
 * The CDK stack that deploys eventline: it composes the constructs from one validated config.
 */

import type { EventlineConfig } from '@eventline/config';
import {
  concurrencyNote,
  configDefines,
  DEAD_LETTER_RETENTION_SECONDS,
  ingestBucketSettings,
  refuseCodeThatCannotTravel,
} from '@eventline/config';
import { TTL_ATTRIBUTE } from '@eventline/core';
import { Annotations, CfnOutput, Duration, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
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
  /**
   * The file `config` was read from: the function bundle imports the code of its routes (key functions,
   * schemas, transforms) from it. Required when the config holds code.
   */
  readonly configFile?: string;
  /** The handler module to bundle (`@eventline/lambda/entry`, packages/lambda/src/index.ts, in the app; a small fixture in tests). */
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
  /** eventline's own dead letters (files that failed permanently, unreadable events): `DLQ_URL`. */
  readonly deadLetterQueue: Queue;
  /** Raw S3 events that never reached an outcome: the ingest queue's redrive target, or failed invocations. */
  readonly eventDeadLetterQueue: Queue;
  readonly trigger: QueueTrigger | DirectTrigger;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: EventlineStackProps) {
    super(scope, id, {
      ...props,
      terminationProtection: props.config.stack.terminationProtection,
      // On the stack (CloudFormation propagates them at deployment) and, below, in the template itself.
      tags: { ...props.tags, ...props.config.stack.tags },
    });
    const { config } = props;
    assertDeployable(config);
    refuseCodeThatCannotTravel(config, props.configFile);
    for (const [key, value] of Object.entries(config.stack.tags)) {
      // aws-cdk-lib tags dashboards, but CloudFormation's AWS::CloudWatch::Dashboard has no Tags (cfn-lint E3002).
      Tags.of(this).add(key, value, { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] });
    }
    // The dead letters are the only copy of what failed: they go (or stay) with the ledger.
    const deadLetterRemovalPolicy = removalPolicyOf(config.table.removalPolicy);

    this.ingest = new IngestBucket(this, 'Ingest', {
      bucketName: config.bucket.deployName,
      removalPolicy: removalPolicyOf(config.bucket.removalPolicy),
      settings: ingestBucketSettings(config),
    });
    const bucket = this.ingest.bucket;

    this.ledger = new LedgerTable(this, 'Ledger', {
      tableName: config.table.deployName,
      deletionProtection: config.table.deletionProtection,
      removalPolicy: removalPolicyOf(config.table.removalPolicy),
      ...(config.ledger.ttlDays === undefined ? {} : { timeToLiveAttribute: TTL_ATTRIBUTE }),
    });

    this.topics = new NotificationTopics(this, 'Notifications', {
      topicName: config.topic.deployName,
      subscriptions: config.topic.subscriptions,
      alarmSubscriptions: config.alarms.subscriptions,
      deadLetterRemovalPolicy,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DEAD_LETTER_RETENTION_SECONDS),
      // The function sends these letters itself; no queue may redrive into this one, and these letters are
      // replayed by the eventline CLI, never by an SQS redrive into the ingest queue.
      redriveAllowPolicy: { redrivePermission: RedrivePermission.DENY_ALL },
      removalPolicy: deadLetterRemovalPolicy,
    });
    const terminal =
      "This is eventline's own dead-letter queue (files that failed permanently, sent by the function): messages stay 14 days for inspection and replay with the eventline CLI; there is nowhere further to redrive them.";
    Validations.of(this.deadLetterQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: terminal },
      { id: 'Serverless-SQSRedrivePolicy', reason: terminal },
    );

    const timeout = Duration.seconds(config.function.timeoutSeconds);
    this.pipeline = new PipelineFunction(this, 'Pipeline', {
      entry: props.handlerEntry,
      define: configDefines(config, props.configFile),
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
        // eventline's own dead letters only: the event dead-letter queue is SQS's and Lambda's to fill.
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
            deadLetterRemovalPolicy,
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
            deadLetterRemovalPolicy,
            retryAttempts: trigger.retryAttempts,
            maxEventAge: Duration.seconds(trigger.maxEventAgeSeconds),
          });
    this.eventDeadLetterQueue = this.trigger.deadLetterQueue;
    if (this.trigger instanceof DirectTrigger)
      this.pipeline.allowFailedEventDelivery(this.eventDeadLetterQueue);
    if (this.trigger instanceof QueueTrigger) this.pipeline.allowContinuationsOn(this.trigger.queue);
    else this.pipeline.allowSelfInvocation();
    this.acknowledgeBucketNotificationsHandler();

    const deadLetterQueues: LabelledQueue[] = [
      { label: 'Files', queue: this.deadLetterQueue },
      { label: 'Events', queue: this.eventDeadLetterQueue },
    ];
    if (this.topics.deadLetterQueue) {
      deadLetterQueues.push({ label: 'Delivery', queue: this.topics.deadLetterQueue });
    }
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      function: fn,
      timeout,
      reservedConcurrency: config.function.reservedConcurrency,
      ...(config.trigger.mode === 'queue' ? { maxConcurrency: config.trigger.maxConcurrency } : {}),
      alarmTopics: [
        this.topics.alarmTopic,
        ...config.alarms.topicArns.map(
          (arn, i): ITopic => Topic.fromTopicArn(this, `AlarmRecipientTopic${i}`, arn),
        ),
      ],
      notificationTopic: this.topics.topic,
      table: this.ledger.table,
      deadLetterQueues,
      ...(this.trigger instanceof QueueTrigger ? { ingestQueue: this.trigger.queue } : {}),
      ...(props.backlogAge ? { backlogAge: props.backlogAge } : {}),
      metricsNamespace: config.name,
      serviceName: config.name,
      stackName: this.stackName,
    });

    this.warnings(config);

    this.output('BucketName', bucket.bucketName, 'Upload files here, under a routed prefix.');
    this.output('TableName', this.ledger.table.tableName, 'The ledger (TABLE_NAME).');
    this.output('TopicArn', this.topics.topic.topicArn, 'Per-file notifications (TOPIC_ARN).');
    this.output(
      'DeadLetterQueueUrl',
      this.deadLetterQueue.queueUrl,
      "eventline's dead letters: files that failed permanently (DLQ_URL); replay with the eventline CLI.",
    );
    this.output('DeadLetterQueueArn', this.deadLetterQueue.queueArn, "eventline's dead-letter queue (ARN).");
    this.output(
      'EventDeadLetterQueueUrl',
      this.eventDeadLetterQueue.queueUrl,
      this.trigger instanceof QueueTrigger
        ? 'S3 events that failed trigger.maxReceiveCount deliveries; SQS can redrive them to the ingest queue.'
        : 'Failed asynchronous invocations (on-failure destination records holding the S3 event).',
    );
    this.output(
      'EventDeadLetterQueueArn',
      this.eventDeadLetterQueue.queueArn,
      'The event dead-letter queue (ARN).',
    );
    if (this.topics.deadLetterQueue) {
      this.output(
        'DeliveryDeadLetterQueueUrl',
        this.topics.deadLetterQueue.queueUrl,
        'Notifications and alarms SNS could not deliver to a subscriber (`eventline status` shows its depth).',
      );
    }
    this.output('AlarmTopicArn', this.topics.alarmTopic.topicArn, 'CloudWatch alarms.');
    this.output('FunctionName', fn.functionName, 'The pipeline function.');
    this.output('DashboardName', this.monitoring.dashboard.dashboardName, 'The CloudWatch dashboard.');
    this.output('TriggerMode', trigger.mode, 'How objects reach the function.');
    if (this.trigger instanceof QueueTrigger) {
      this.output('IngestQueueUrl', this.trigger.queue.queueUrl, 'S3 events waiting for the function.');
      this.output(
        'IngestQueueArn',
        this.trigger.queue.queueArn,
        'The ingest queue (ARN), the redrive destination.',
      );
    }
  }

  /**
   * What synth and deploy should say once: alarms that reach nobody (`alarms.notify: 'nowhere'`), and,
   * in direct mode without a reservation, what the function may take from the account.
   */
  private warnings(config: EventlineConfig): void {
    if (config.alarms.notify === 'nowhere') {
      Annotations.of(this).addWarningV2(
        'eventline:alarmsReachNobody',
        "alarms.notify is 'nowhere': the alarms reach nobody (they show on the dashboard only); add alarms.subscriptions or alarms.topicArns before relying on this stack",
      );
    }
    if (config.trigger.mode === 'direct' && config.function.reservedConcurrency === undefined) {
      Annotations.of(this).addWarningV2('eventline:directModeConcurrency', concurrencyNote(config));
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
