import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect } from 'vitest';
import type { ContractContext, ContractTarget } from './contract-context.ts';
import { eventually } from './support.ts';

/** FIFO queues: naming, order per group, deduplication, expired receipt handles. */
export function fifoCases(c: ContractContext): void {
  const { it, queueName, createQueue, attributes, errorOf } = c;
  describe('FIFO queues', () => {
    let sqs: ContractTarget;
    beforeAll(() => {
      sqs = c.target();
    });

    const createFifo = (name: string, extra: Record<string, string> = {}) =>
      createQueue(`${name}.fifo`, { FifoQueue: 'true', ...extra });

    it('requires the .fifo suffix exactly for FIFO queues and keeps the queue type', async () => {
      expect(await errorOf(createQueue(queueName('fifo-no-suffix'), { FifoQueue: 'true' }))).toMatchObject({
        name: 'InvalidParameterValue',
      });
      expect(await errorOf(createQueue(`${queueName('fifo-no-attribute')}.fifo`))).toMatchObject({
        name: 'InvalidParameterValue',
      });
      const url = await createFifo(queueName('fifo-type'));
      const all = await attributes(url);
      expect(all).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'false' });
      expect(
        await errorOf(
          sqs.client.send(
            new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: 'false' } }),
          ),
        ),
      ).toMatchObject({ name: 'InvalidAttributeValue' });
    });

    it('delivers in order per group and holds a group while one of its messages is in flight', async () => {
      const url = await createFifo(queueName('fifo-order'), { ContentBasedDeduplication: 'true' });
      for (const [group, body] of [
        ['g1', 'a'],
        ['g1', 'b'],
        ['g2', 'c'],
      ])
        await sqs.client.send(
          new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group }),
        );
      const receive = async () =>
        (
          await sqs.client.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              VisibilityTimeout: 600,
              MessageSystemAttributeNames: ['All'],
            }),
          )
        ).Messages ?? [];
      const first = await receive();
      expect(first.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([['a', 'g1']]);
      expect(first[0]?.Attributes?.SequenceNumber).toMatch(/^\d{20}$/);
      expect((await receive()).map((m) => m.Body)).toEqual(['c']);
      expect(await receive()).toEqual([]);
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0]?.ReceiptHandle }),
      );
      expect((await receive()).map((m) => m.Body)).toEqual(['b']);
    });

    it('drops a message whose deduplication id was seen within five minutes', async () => {
      const url = await createFifo(queueName('fifo-dedup'));
      const send = (body: string, MessageDeduplicationId: string) =>
        sqs.client.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: body,
            MessageGroupId: 'g',
            MessageDeduplicationId,
          }),
        );
      // The duplicate is accepted (which MessageId it answers with is not recorded from AWS).
      await send('first', 'same');
      expect((await send('second', 'same')).MessageId).toBeTruthy();
      await send('third', 'other');
      const got = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
      );
      expect(got.Messages?.map((m) => m.Body)).toEqual(['first', 'third']);
      expect(
        await errorOf(
          sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' })),
        ),
      ).toMatchObject({ name: 'InvalidParameterValue' });
      expect(
        await errorOf(
          sqs.client.send(
            new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'y' }),
          ),
        ),
      ).toMatchObject({ name: 'MissingParameter' });
    });

    it('refuses a receipt handle whose visibility timeout ended', async () => {
      const url = await createFifo(queueName('fifo-expired'), { ContentBasedDeduplication: 'true' });
      await sqs.client.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: 'late', MessageGroupId: 'g' }),
      );
      const got = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));
      await eventually(
        async () => ((await attributes(url)).ApproximateNumberOfMessages === '1' ? true : undefined),
        'the message to become visible again',
      );
      expect(
        await errorOf(
          sqs.client.send(
            new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages?.[0]?.ReceiptHandle }),
          ),
        ),
      ).toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    });
  });
}
