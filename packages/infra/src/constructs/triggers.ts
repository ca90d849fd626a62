import { Duration, Validations } from 'aws-cdk-lib';
import {
  type DestinationConfig,
  EventInvokeConfig,
  EventSourceMapping,
  type IDestination,
  type IFunction,
} from 'aws-cdk-lib/aws-lambda';
import { EventType, type IBucket, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination, SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

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
  readonly deadLetterQueue: IQueue;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly maxConcurrency: number;
}

/**
 * `queue` mode: S3 -> SQS -> Lambda. The queue absorbs bursts, the event source mapping bounds the
 * pollers (`maxConcurrency`) and reports partial batch failures, and a message that fails
 * `maxReceiveCount` times moves to the dead-letter queue.
 */
export class QueueTrigger extends Construct {
  readonly queue: Queue;
  readonly eventSourceMapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: QueueTriggerProps) {
    super(scope, id);
    this.queue = new Queue(this, 'IngestQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      // Shorter than the dead-letter queue's 14 days: a standard queue's DLQ keeps the original enqueue
      // time, so a message moved late must still have retention left there.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    for (const route of props.routes) {
      props.bucket.addEventNotification(
        EventType.OBJECT_CREATED,
        new SqsDestination(this.queue),
        keyFilterOf(route),
      );
    }
    this.eventSourceMapping = new EventSourceMapping(this, 'EventSourceMapping', {
      target: props.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: props.batchSize,
      ...(props.maxBatchingWindow ? { maxBatchingWindow: props.maxBatchingWindow } : {}),
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    this.queue.grantConsumeMessages(props.function);
    Validations.of(this.eventSourceMapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'SQS event source mappings do not support on-failure destinations; failed messages move to the dead-letter queue through the ingest queue redrive policy (maxReceiveCount).',
    });
  }
}

/**
 * An on-failure destination that only names the queue. aws-cdk-lib's `SqsDestination` would also grant
 * `sqs:GetQueueAttributes` and `sqs:GetQueueUrl`, which Lambda does not need to deliver a failure record;
 * the function role's own `sqs:SendMessage` on the dead-letter queue is what Lambda uses.
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
  /** The function's role must be allowed `sqs:SendMessage` on it (`PipelineFunction.allowDeadLettering`). */
  readonly deadLetterQueue: IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/**
 * `direct` mode, the seed's wiring: S3 invokes the function asynchronously. Lambda retries
 * `retryAttempts` times, drops events older than `maxEventAge`, and sends what still fails to the
 * dead-letter queue as an on-failure destination record.
 */
export class DirectTrigger extends Construct {
  readonly invokeConfig: EventInvokeConfig;

  constructor(scope: Construct, id: string, props: DirectTriggerProps) {
    super(scope, id);
    for (const route of props.routes) {
      props.bucket.addEventNotification(
        EventType.OBJECT_CREATED,
        new LambdaDestination(props.function),
        keyFilterOf(route),
      );
    }
    this.invokeConfig = new EventInvokeConfig(this, 'AsyncInvokeConfig', {
      function: props.function,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: new QueueFailureDestination(props.deadLetterQueue),
    });
  }
}
