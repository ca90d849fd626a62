import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect } from 'vitest';
import type { ContractContext, ContractTarget } from './contract-context.ts';
import { eventually } from './support.ts';

/** Messages on standard queues: send, receive, visibility, delete, redrive, batches, delay, purge. */
export function messageCases(c: ContractContext): void {
  const { it, queueName, createQueue, attributes, errorOf } = c;
  describe('messages', () => {
    let sqs: ContractTarget;
    beforeAll(() => {
      sqs = c.target();
    });

    it('sends and receives with the MD5s AWS computes and the requested system attributes', async () => {
      const url = await createQueue(queueName('send'));
      const sent = await sqs.client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'hello',
          MessageAttributes: { Author: { DataType: 'String', StringValue: 'John Grisham' } },
        }),
      );
      // Reference values computed by moto_server for the same message.
      expect(sent.MD5OfMessageBody).toBe('5d41402abc4b2a76b9719d911017c592');
      expect(sent.MD5OfMessageAttributes).toBe('589fd905f137a025c02575957adcd9b1');
      const { Messages } = await sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      );
      expect(Messages).toHaveLength(1);
      const message = Messages?.[0];
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: 'hello',
        MD5OfBody: sent.MD5OfMessageBody,
        MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
        MessageAttributes: { Author: { DataType: 'String', StringValue: 'John Grisham' } },
      });
      expect(Object.keys(message?.Attributes ?? {}).sort()).toEqual([
        'ApproximateReceiveCount',
        'SentTimestamp',
      ]);
      expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
      expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(1_600_000_000_000);
    });

    it('computes MD5OfMessageAttributes over binary and custom number types like moto does', async () => {
      const url = await createQueue(queueName('md5'));
      const sent = await sqs.client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'hello',
          MessageAttributes: {
            Author: { DataType: 'String', StringValue: 'John Grisham' },
            b: { DataType: 'Binary', BinaryValue: Uint8Array.from([0, 1]) },
            n: { DataType: 'Number.int', StringValue: '12' },
          },
        }),
      );
      expect(sent.MD5OfMessageAttributes).toBe('1596af9b44ddeeb6572d837d09c3c634');
      const { Messages } = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['b'] }),
      );
      expect(Messages?.[0]?.MessageAttributes?.b?.BinaryValue).toEqual(Uint8Array.from([0, 1]));
      expect(Object.keys(Messages?.[0]?.MessageAttributes ?? {})).toEqual(['b']);
    });

    it('refuses an empty, oversized or invalid message and a bad MaxNumberOfMessages', async () => {
      const url = await createQueue(queueName('limits'), { MaximumMessageSize: '1024' });
      expect(
        await errorOf(sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' }))),
      ).toMatchObject({ name: 'MissingParameter' });
      const big = await errorOf(
        sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1025) })),
      );
      expect(big).toMatchObject({ name: 'InvalidParameterValue' });
      expect(big.message).toContain('Message must be shorter than 1024 bytes');
      expect(
        await errorOf(sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0000' }))),
      ).toMatchObject({ name: 'InvalidMessageContents' });
      const eleven = await errorOf(
        sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
      );
      expect(eleven).toMatchObject({
        name: 'InvalidParameterValue',
        message:
          'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
      });
    });

    it('makes a message visible again when its visibility timeout ends, counting the receives', async () => {
      const url = await createQueue(queueName('visibility'));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
      const first = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));
      expect(first.Messages).toHaveLength(1);
      const hidden = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
      expect(hidden.Messages).toBeUndefined();
      const second = await sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          WaitTimeSeconds: 10,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      expect(second.Messages?.[0]?.MessageId).toBe(first.Messages?.[0]?.MessageId);
      expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
      expect(second.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
    });

    it('ignores a delete with a receipt handle made stale by a later receive; the latest handle deletes', async () => {
      const url = await createQueue(queueName('stale'));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'stale' }));
      const first = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));
      const second = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10, VisibilityTimeout: 60 }),
      );
      expect(second.Messages?.[0]?.MessageId).toBe(first.Messages?.[0]?.MessageId);
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
      );
      expect((await attributes(url)).ApproximateNumberOfMessagesNotVisible).toBe('1');
      const change = await errorOf(
        sqs.client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        ),
      );
      expect(change).toMatchObject({ name: 'InvalidParameterValue' });
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }),
      );
      // Deleting twice succeeds too.
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }),
      );
      const left = await attributes(url);
      expect([left.ApproximateNumberOfMessages, left.ApproximateNumberOfMessagesNotVisible]).toEqual([
        '0',
        '0',
      ]);
    });

    it('deletes with a handle whose visibility expired when nobody received the message since', async () => {
      const url = await createQueue(queueName('expired-handle'));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' }));
      const first = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));
      await eventually(
        async () => ((await attributes(url)).ApproximateNumberOfMessages === '1' ? true : undefined),
        'the message to become visible again',
      );
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
      );
      expect((await attributes(url)).ApproximateNumberOfMessages).toBe('0');
      expect(
        await errorOf(sqs.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' }))),
      ).toMatchObject({
        name: 'ReceiptHandleIsInvalid',
        message: 'The input receipt handle "garbage" is not a valid receipt handle.',
      });
    });

    it('redrives a message to the dead-letter queue once it was received maxReceiveCount times', async () => {
      const dlq = await createQueue(queueName('dlq'));
      const dlqArn = (await attributes(dlq)).QueueArn;
      const url = await createQueue(queueName('source'), {
        VisibilityTimeout: '0',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
      });
      const sent = await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
      for (let i = 1; i <= 2; i++) {
        const got = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
        expect(got.Messages?.[0]?.MessageId).toBe(sent.MessageId);
      }
      const third = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
      expect(third.Messages).toBeUndefined();
      const dead = await sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq,
          MessageSystemAttributeNames: ['All'],
          WaitTimeSeconds: 5,
        }),
      );
      expect(dead.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Body: 'poison' });
      expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe((await attributes(url)).QueueArn);
    });

    it('makes a message visible at once with ChangeMessageVisibility 0', async () => {
      const url = await createQueue(queueName('change-visibility'));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'back' }));
      const first = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 600 }),
      );
      await sqs.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      const again = await sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      expect(again.Messages?.[0]?.MessageId).toBe(first.Messages?.[0]?.MessageId);
      expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    });

    it('answers a long poll as soon as a message arrives', async () => {
      const url = await createQueue(queueName('long-poll'));
      const polling = sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
      // The poll must be waiting before the message is sent; a delayed send makes that so without a race.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
      // Bounded well below WaitTimeSeconds: a poll that waited its full 20 s would lose this race.
      const outcome = await Promise.race([
        polling.then((out) => out.Messages?.[0]?.Body),
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000)),
      ]);
      expect(outcome).toBe('wake up');
    });

    it('reports per-entry failures in batches and succeeds for the rest', async () => {
      const url = await createQueue(queueName('batch'));
      const sent = await sqs.client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'a', MessageBody: 'one' },
            { Id: 'b', MessageBody: 'bad \u0001' },
            { Id: 'c', MessageBody: 'three', DelaySeconds: 1000 },
            { Id: 'd', MessageBody: 'four' },
          ],
        }),
      );
      expect(sent.Successful?.map((e) => e.Id).sort()).toEqual(['a', 'd']);
      expect(sent.Failed?.map((e) => [e.Id, e.Code, e.SenderFault])).toEqual([
        ['b', 'InvalidMessageContents', true],
        ['c', 'InvalidParameterValue', true],
      ]);
      const got = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
      );
      expect(got.Messages?.map((m) => m.Body).sort()).toEqual(['four', 'one']);
      const handles = got.Messages?.map((m) => m.ReceiptHandle as string) ?? [];
      const changed = await sqs.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'x', ReceiptHandle: handles[0], VisibilityTimeout: 120 },
            { Id: 'y', ReceiptHandle: 'garbage', VisibilityTimeout: 120 },
          ],
        }),
      );
      expect(changed.Successful?.map((e) => e.Id)).toEqual(['x']);
      expect(changed.Failed?.map((e) => [e.Id, e.Code])).toEqual([['y', 'ReceiptHandleIsInvalid']]);
      const deleted = await sqs.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'x', ReceiptHandle: handles[0] },
            { Id: 'y', ReceiptHandle: handles[1] },
            { Id: 'z', ReceiptHandle: 'garbage' },
          ],
        }),
      );
      expect(deleted.Successful?.map((e) => e.Id)).toEqual(['x', 'y']);
      expect(deleted.Failed?.map((e) => [e.Id, e.Code])).toEqual([['z', 'ReceiptHandleIsInvalid']]);
      const left = await attributes(url);
      expect([left.ApproximateNumberOfMessages, left.ApproximateNumberOfMessagesNotVisible]).toEqual([
        '0',
        '0',
      ]);
    });

    it('refuses a whole batch for too many entries or repeated ids', async () => {
      const url = await createQueue(queueName('batch-errors'));
      const many = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
      expect(
        await errorOf(sqs.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: many }))),
      ).toMatchObject({
        name: 'TooManyEntriesInBatchRequest',
        message: 'Maximum number of entries per request are 10. You have sent 11.',
      });
      const repeated = [
        { Id: 'same', MessageBody: 'x' },
        { Id: 'same', MessageBody: 'y' },
      ];
      expect(
        await errorOf(sqs.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: repeated }))),
      ).toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
      expect(
        await errorOf(
          sqs.client.send(
            new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a b', MessageBody: 'x' }] }),
          ),
        ),
      ).toMatchObject({ name: 'InvalidBatchEntryId' });
    });

    it('delays messages by the queue default or per message and counts them as delayed', async () => {
      const url = await createQueue(queueName('delay'), { DelaySeconds: '900' });
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later' }));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'now', DelaySeconds: 0 }));
      const counts = await attributes(url);
      expect([counts.ApproximateNumberOfMessages, counts.ApproximateNumberOfMessagesDelayed]).toEqual([
        '1',
        '1',
      ]);
      const got = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
      );
      expect(got.Messages?.map((m) => m.Body)).toEqual(['now']);
    });

    it('purges a queue once per 60 seconds', async () => {
      const url = await createQueue(queueName('purge'));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'gone' }));
      await sqs.client.send(new PurgeQueueCommand({ QueueUrl: url }));
      expect((await attributes(url)).ApproximateNumberOfMessages).toBe('0');
      const again = await errorOf(sqs.client.send(new PurgeQueueCommand({ QueueUrl: url })));
      expect(again).toMatchObject({ name: 'PurgeQueueInProgress', status: 403 });
    });
  });
}
