import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { translate } from '@eventline/aws';
import type { EventlineConfig } from '@eventline/config';
import { type QueueSpec, queueLayout } from '@eventline/config';
import type { SqsEmulator } from '@eventline/sqs-emulator';

/** A queue of the stack, as SQS names it. */
export interface StackQueue {
  name: string;
  url: string;
  arn: string;
}

/** The stack's queues (@eventline/config/queues.ts, as the CDK app makes them). */
export interface StackQueues {
  /** Whether this start created the ingest queue (S3 then sends s3:TestEvent, as it does on configuration). */
  ingestCreated?: boolean;
  /** S3 events waiting for the function (queue mode only). */
  ingest?: StackQueue;
  /** S3 events that failed maxReceiveCount deliveries, or on-failure records (direct mode). */
  eventDeadLetters: StackQueue;
  /** eventline's own dead letters (DLQ_URL). */
  deadLetters: StackQueue;
}

/**
 * Creates the stack's queues through the SQS API, with the names and attributes the CDK app gives
 * them; a queue left by an earlier run with other settings (the config changed) takes the new ones.
 */
export async function ensureQueues(
  sqs: SQSClient,
  config: EventlineConfig,
  accountId: string,
): Promise<StackQueues> {
  const arnOf = (name: string) => `arn:aws:sqs:${config.local.region}:${accountId}:${name}`;
  const layout = queueLayout(config, config.name, arnOf);
  let created = false;
  const ensure = async (spec: QueueSpec): Promise<StackQueue> => {
    const existing = await sqs
      .send(new GetQueueUrlCommand({ QueueName: spec.name }))
      .then((r) => r.QueueUrl)
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === 'QueueDoesNotExist') return undefined;
        throw translate(error, `GetQueueUrl ${spec.name}`);
      });
    let url = existing;
    if (url) {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: spec.attributes }));
    } else {
      url = (await sqs.send(new CreateQueueCommand({ QueueName: spec.name, Attributes: spec.attributes })))
        .QueueUrl;
      created = true;
    }
    if (!url) throw new Error(`SQS answered CreateQueue ${spec.name} without a QueueUrl`);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    return { name: spec.name, url, arn: attributes.Attributes?.QueueArn ?? arnOf(spec.name) };
  };
  // The event dead-letter queue first: the ingest queue's redrive policy names it.
  const eventDeadLetters = await ensure(layout.eventDeadLetters);
  const deadLetters = await ensure(layout.deadLetters);
  created = false;
  const ingest = layout.ingest ? await ensure(layout.ingest) : undefined;
  return { eventDeadLetters, deadLetters, ...(ingest ? { ingest, ingestCreated: created } : {}) };
}

/** S3's test message, sent once when the notification configuration is set (reference §4). */
export async function sendTestEvent(sqs: SqsEmulator, queueUrl: string, bucket: string): Promise<void> {
  await sqs.call('SendMessage', {
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: new Date().toISOString(),
      Bucket: bucket,
      RequestId: randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      HostId: randomUUID(),
    }),
  });
}
