import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { parseConfig } from '@eventline/config';
import { subscribeAll } from '@eventline/local';
import {
  type PublishedMessage,
  type SnsLambdaEvent,
  type SnsServer,
  type SqsDelivery,
  startSnsServer,
} from '@eventline/sns-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The local SNS's sqs, lambda and sms subscriptions through the SDK v3 client: what Subscribe
 * accepts, what each target is handed, and the reason recorded when nothing can take a delivery.
 */

let server: SnsServer;
let sns: SNSClient;
let topicArn: string;
const toQueue: Array<{ arn: string; message: SqsDelivery }> = [];
const toLambda: Array<{ arn: string; event: SnsLambdaEvent }> = [];

const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:work';
const FUNCTION = 'arn:aws:lambda:us-east-1:000000000000:function:work';

async function settled(messageId: string | undefined): Promise<PublishedMessage> {
  for (let i = 0; i < 200; i++) {
    const found = (await server.service.notifications()).find((m) => m.messageId === messageId);
    if (found?.deliveries.every((d) => d.status !== 'pending')) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`deliveries of ${messageId} never settled`);
}

beforeAll(async () => {
  server = await startSnsServer({
    region: 'us-east-1',
    delivery: { retries: 0, retryDelayMs: 10 },
    targets: {
      sqs: async (arn, message) => {
        if (arn.endsWith(':missing')) throw new Error('AWS.SimpleQueueService.NonExistentQueue');
        toQueue.push({ arn, message });
      },
      lambda: async (arn, event) => {
        toLambda.push({ arn, event });
      },
    },
  });
  sns = new SNSClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'targets' }))).TopicArn as string;
});

afterAll(async () => {
  sns?.destroy();
  await server?.close();
});

describe('sqs, lambda and sms subscriptions on the local SNS', () => {
  it('checks each endpoint and raw delivery as SNS does', async () => {
    const subscribe = (Protocol: string, Endpoint: string, Attributes?: Record<string, string>) =>
      sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol, Endpoint, Attributes }));
    await expect(subscribe('sqs', 'work')).rejects.toThrow(/SQS endpoint ARN/);
    await expect(subscribe('lambda', 'work')).rejects.toThrow(/Lambda endpoint ARN/);
    await expect(subscribe('sms', '555-0100')).rejects.toThrow(/E\.164/);
    await expect(subscribe('lambda', FUNCTION, { RawMessageDelivery: 'true' })).rejects.toThrow(
      /does not support raw message delivery/,
    );
    // Confirmed at once: no handshake for these protocols.
    const answer = await subscribe('sqs', QUEUE, { RawMessageDelivery: 'true' });
    expect(answer.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:targets:/);
    await subscribe('lambda', FUNCTION, { FilterPolicy: JSON.stringify({ kind: [{ prefix: 'sig' }] }) });
    await subscribe('sms', '+14155550100');
    await subscribe('sqs', 'arn:aws:sqs:us-east-1:000000000000:missing');
  });

  it('hands each target its message, and records a failed delivery with the reason', async () => {
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify({ default: 'plain text', sqs: '{"for":"queue"}', sms: 'short line' }),
        MessageStructure: 'json',
        Subject: 'hello',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'signal' } },
      }),
    );
    const message = await settled(MessageId);
    expect(message.deliveries.map((d) => `${d.protocol}:${d.status}`).sort()).toEqual([
      'lambda:delivered',
      'sms:delivered',
      'sqs:delivered',
      'sqs:failed',
    ]);
    expect(message.deliveries.find((d) => d.status === 'failed')?.error).toMatch(/NonExistentQueue/);
    expect(toQueue).toEqual([
      {
        arn: QUEUE,
        message: {
          body: '{"for":"queue"}',
          attributes: { kind: { DataType: 'String', StringValue: 'signal' } },
        },
      },
    ]);
    const sns0 = toLambda[0]?.event.Records[0]?.Sns;
    expect(sns0).toMatchObject({
      Type: 'Notification',
      Subject: 'hello',
      Message: 'plain text',
      TopicArn: topicArn,
    });
    expect(sns0?.MessageAttributes).toEqual({ kind: { Type: 'String', Value: 'signal' } });
    expect(sns0?.Signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(await server.service.phoneMessages()).toMatchObject([
      { phoneNumber: '+14155550100', text: 'short line', parts: 1, messageId: MessageId },
    ]);
  });

  it('a config filter policy SNS refuses stops the start with the setting that holds it', async () => {
    const config = parseConfig({
      topic: {
        subscriptions: [{ protocol: 'lambda', endpoint: FUNCTION, filterPolicy: { route: [{ prefix: 5 }] } }],
      },
    });
    await expect(
      subscribeAll(config, { sqs: undefined as never }, server.service, topicArn, '000000000000'),
    ).rejects.toThrow(/topic\.subscriptions\[0\]\.filterPolicy: SNS refuses this subscription/);
  });
});
