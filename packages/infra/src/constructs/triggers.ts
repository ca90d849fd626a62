/**
 * How S3 events reach the function: the `queue` mode (S3 -> SQS -> Lambda) and `direct` mode
 * (S3 -> Lambda, asynchronous invocation) constructs, with their dead-letter queues.
 */
import {
  DEAD_LETTER_RETENTION_SECONDS,
  INGEST_QUEUE_SUFFIX,
  INGEST_RETENTION_SECONDS,
} from '@eventline/config';
import { Aws, Duration, Fn, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  type DestinationConfig,
  EventInvokeConfig,
  EventSourceMapping,
  type IDestination,
  type IFunction,
} from 'aws-cdk-lib/aws-lambda';
import {
  type BucketNotificationDestinationConfig,
  BucketNotificationDestinationType,
  EventType,
  type IBucket,
  type IBucketNotificationDestination,
  type NotificationKeyFilter,
} from 'aws-cdk-lib/aws-s3';
import { type IQueue, Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IDependable } from 'constructs';

export interface RouteFilter {
  readonly id: string;
  readonly prefix: string;
  readonly suffix: string;
}

/** The S3 notification filter of a route (S3 rejects an empty filter value, so empty parts are left out). */
export function keyFilterOf(route: RouteFilter): NotificationKeyFilter {
  return {
    ...(route.prefix ? { prefix: route.prefix } : {}),
    ...(route.suffix ? { suffix: route.suffix } : {}),
  };
}

export interface QueueTriggerProps {
  readonly bucket: IBucket;
  readonly routes: readonly RouteFilter[];
  readonly function: IFunction;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly maxConcurrency: number;
  /** What `cdk destroy` does to the event dead-letter queue. */
  readonly deadLetterRemovalPolicy: RemovalPolicy;
}

/**
 * `queue` mode: S3 -> SQS -> Lambda. The queue absorbs bursts, the event source mapping bounds the
 * pollers (`maxConcurrency`) and reports partial batch failures, and an S3 event that fails
 * `maxReceiveCount` times moves to the event dead-letter queue, from where SQS can redrive it back
 * (and only back) to the ingest queue.
 *
 * The ingest queue is named `<stack name>-ingest`: the dead-letter queue's RedriveAllowPolicy must name
 * the ingest queue's ARN while the ingest queue's RedrivePolicy names the dead-letter queue's, and a
 * known name is the only way to write one of the two ARNs without a circular reference.
 */
export class QueueTrigger extends Construct {
  readonly queue: Queue;
  /** S3 events (raw notification messages) that failed `maxReceiveCount` deliveries. */
  readonly deadLetterQueue: Queue;
  readonly eventSourceMapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: QueueTriggerProps) {
    super(scope, id);
    const { stackName } = Stack.of(this);
    if (stackName.length + INGEST_QUEUE_SUFFIX.length > 80) {
      throw new Error(
        `${this.node.path}: stack name "${stackName}" is too long: the ingest queue is named "<stack name>${INGEST_QUEUE_SUFFIX}", and SQS allows 80 characters`,
      );
    }
    const ingestQueueName = Fn.join('', [Aws.STACK_NAME, INGEST_QUEUE_SUFFIX]);
    const ingestQueueArn = Fn.join('', [
      'arn:',
      Aws.PARTITION,
      ':sqs:',
      Aws.REGION,
      ':',
      Aws.ACCOUNT_ID,
      ':',
      ingestQueueName,
    ]);
    this.deadLetterQueue = new Queue(this, 'EventDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DEAD_LETTER_RETENTION_SECONDS),
      redriveAllowPolicy: {
        redrivePermission: RedrivePermission.BY_QUEUE,
        sourceQueues: [Queue.fromQueueArn(this, 'IngestQueueByName', ingestQueueArn)],
      },
      removalPolicy: props.deadLetterRemovalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue of the ingest queue: its messages are redriven back to the ingest queue (RedriveAllowPolicy), not further.',
    });
    this.queue = new Queue(this, 'IngestQueue', {
      queueName: ingestQueueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      // Shorter than the dead-letter queue's 14 days: a standard queue's DLQ keeps the original enqueue
      // time, so a message moved late must still have retention left there.
      retentionPeriod: Duration.seconds(INGEST_RETENTION_SECONDS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    const destination = new IngestQueueDestination(this.queue);
    for (const route of props.routes) {
      props.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, keyFilterOf(route));
    }
    this.eventSourceMapping = new EventSourceMapping(this, 'EventSourceMapping', {
      target: props.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: props.batchSize,
      ...(props.maxBatchingWindow ? { maxBatchingWindow: props.maxBatchingWindow } : {}),
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    // What Lambda's documentation lists for an SQS event source (AWSLambdaSQSQueueExecutionRole);
    // aws-cdk-lib's grantConsumeMessages adds sqs:ChangeMessageVisibility and sqs:GetQueueUrl.
    props.function.addToRolePolicy(
      new PolicyStatement({
        sid: 'PollIngestQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        resources: [this.queue.queueArn],
      }),
    );
    Validations.of(this.eventSourceMapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'SQS event source mappings do not support on-failure destinations; failed messages move to the event dead-letter queue through the ingest queue redrive policy (maxReceiveCount).',
    });
  }
}

/**
 * S3 -> the ingest queue. aws-cdk-lib's `SqsDestination` grants S3 `sqs:SendMessage`,
 * `sqs:GetQueueAttributes` and `sqs:GetQueueUrl` on the bucket's ARN alone; S3 needs only
 * `sqs:SendMessage`, and bucket names are global, so the statement also requires this account
 * (`aws:SourceAccount`): a bucket of the same name in another account can never send here.
 */
class IngestQueueDestination implements IBucketNotificationDestination {
  private dependencies: IDependable[] | undefined;

  constructor(private readonly queue: Queue) {}

  bind(_scope: Construct, bucket: IBucket): BucketNotificationDestinationConfig {
    if (!this.dependencies) {
      const added = this.queue.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowS3ObjectCreatedEventsOfThisBucket',
          principals: [new ServicePrincipal('s3.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.queue.queueArn],
          conditions: {
            ArnLike: { 'aws:SourceArn': bucket.bucketArn },
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          },
        }),
      );
      this.dependencies = added.policyDependable ? [added.policyDependable] : [];
    }
    return {
      arn: this.queue.queueArn,
      type: BucketNotificationDestinationType.QUEUE,
      dependencies: [this.queue, ...this.dependencies],
    };
  }
}

/**
 * An on-failure destination that only names the queue. aws-cdk-lib's `SqsDestination` would also grant
 * `sqs:GetQueueAttributes` and `sqs:GetQueueUrl`, which Lambda does not need to deliver a failure record;
 * the function role's `sqs:SendMessage` on the queue (`PipelineFunction.allowFailedEventDelivery`) is
 * what Lambda uses.
 */
class QueueFailureDestination implements IDestination {
  constructor(private readonly queue: IQueue) {}

  bind(): DestinationConfig {
    return { destination: this.queue.queueArn };
  }
}

export interface DirectTriggerProps {
  readonly bucket: IBucket;
  readonly routes: readonly RouteFilter[];
  readonly function: IFunction;
  /** What `cdk destroy` does to the event dead-letter queue. */
  readonly deadLetterRemovalPolicy: RemovalPolicy;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/**
 * `direct` mode, the seed's wiring: S3 invokes the function asynchronously. Lambda retries
 * `retryAttempts` times, drops events older than `maxEventAge`, and sends what still fails to the
 * event dead-letter queue as an on-failure destination record (the S3 event is its `requestPayload`).
 * The function's role must be allowed `sqs:SendMessage` on that queue: Lambda delivers with it.
 */
export class DirectTrigger extends Construct {
  readonly invokeConfig: EventInvokeConfig;
  /** On-failure destination records of asynchronous invocations; there is no queue to redrive them to. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: DirectTriggerProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'EventDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DEAD_LETTER_RETENTION_SECONDS),
      redriveAllowPolicy: { redrivePermission: RedrivePermission.DENY_ALL },
      removalPolicy: props.deadLetterRemovalPolicy,
    });
    const terminal =
      'This queue receives the on-failure destination records of the asynchronous invocations; it is itself the last stop (replayed with the eventline CLI), with no dead-letter queue of its own.';
    Validations.of(this.deadLetterQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: terminal },
      { id: 'Serverless-SQSRedrivePolicy', reason: terminal },
    );
    const destination = new FunctionDestination(props.function);
    for (const route of props.routes) {
      props.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, keyFilterOf(route));
    }
    this.invokeConfig = new EventInvokeConfig(this, 'AsyncInvokeConfig', {
      function: props.function,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: new QueueFailureDestination(this.deadLetterQueue),
    });
  }
}

/**
 * S3 -> the function. aws-cdk-lib's `LambdaDestination` writes the stack's account into the permission,
 * which is a literal when the stack has an explicit environment; this one uses `AWS::AccountId`, so the
 * template is the same in every account and region.
 */
class FunctionDestination implements IBucketNotificationDestination {
  private permission: IDependable | undefined;

  constructor(private readonly fn: IFunction) {}

  bind(_scope: Construct, bucket: IBucket): BucketNotificationDestinationConfig {
    if (!this.permission) {
      this.fn.addPermission('AllowInvokeFromIngestBucket', {
        principal: new ServicePrincipal('s3.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceArn: bucket.bucketArn,
        sourceAccount: Aws.ACCOUNT_ID,
      });
      this.permission = this.fn.permissionsNode.findChild('AllowInvokeFromIngestBucket');
    }
    return {
      arn: this.fn.functionArn,
      type: BucketNotificationDestinationType.LAMBDA,
      dependencies: [this.permission],
    };
  }
}
