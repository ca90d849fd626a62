import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';
import { eventually, REGION } from './support.ts';

/**
 * The SQS API contract through the AWS SDK v3 (AWS JSON 1.0 protocol), run against any SQS
 * endpoint: this emulator always (`sdk.test.ts`), moto_server as a second opinion on demand.
 * A target that is known to differ from AWS's documented behaviour lists those cases, with the reason, in `differences`.
 */
export interface ContractTarget {
  client: SQSClient;
  /** Origin queue URLs start with. */
  url: string;
  accountId: string;
  stop(): Promise<void>;
}

export interface ContractOptions {
  /** Case titles to leave out for this target, each with the reason. */
  differences?: Record<string, string>;
}

export function sqsContract(
  label: string,
  start: () => Promise<ContractTarget>,
  options: ContractOptions = {},
): void {
  describe(label, () => {
    let sqs: ContractTarget;
    let counter = 0;
    const queueName = (prefix: string) => `${prefix}-${++counter}`;
    const it = (title: string, fn: () => Promise<void>, timeout?: number): void => {
      if (options.differences?.[title]) return;
      vitestIt(title, fn, timeout);
    };
    const ACCOUNT_ID = () => sqs.accountId;

    beforeAll(async () => {
      sqs = await start();
    });

    afterAll(async () => {
      await sqs.stop();
    });

    async function createQueue(name: string, Attributes?: Record<string, string>): Promise<string> {
      const { QueueUrl } = await sqs.client.send(new CreateQueueCommand({ QueueName: name, Attributes }));
      return QueueUrl as string;
    }

    async function attributes(QueueUrl: string): Promise<Record<string, string>> {
      const out = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
      return out.Attributes ?? {};
    }

    async function errorOf(
      promise: Promise<unknown>,
    ): Promise<{ name: string; message: string; status?: number }> {
      try {
        await promise;
      } catch (error) {
        const e = error as Error & { $metadata?: { httpStatusCode?: number } };
        return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
      }
      throw new Error('expected the call to fail');
    }

    describe('queues', () => {
      it('creates a queue whose URL points at the emulator; the same attributes return it again, different ones fail', async () => {
        const name = queueName('create');
        const url = await createQueue(name, { VisibilityTimeout: '45' });
        expect(url).toBe(`${sqs.url}/${ACCOUNT_ID()}/${name}`);
        expect(await createQueue(name, { VisibilityTimeout: '45' })).toBe(url);
        expect(await createQueue(name)).toBe(url);
        const error = await errorOf(createQueue(name, { VisibilityTimeout: '46' }));
        expect(error).toMatchObject({ name: 'QueueNameExists', status: 400 });
        expect(error.message).toContain('VisibilityTimeout');
        const { QueueUrl } = await sqs.client.send(new GetQueueUrlCommand({ QueueName: name }));
        expect(QueueUrl).toBe(url);
      });

      it('reports the documented default attributes of a fresh queue', async () => {
        const url = await createQueue(queueName('defaults'));
        const all = await attributes(url);
        expect(Object.keys(all).sort()).toEqual(
          [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesDelayed',
            'ApproximateNumberOfMessagesNotVisible',
            'CreatedTimestamp',
            'DelaySeconds',
            'LastModifiedTimestamp',
            'MaximumMessageSize',
            'MessageRetentionPeriod',
            'QueueArn',
            'ReceiveMessageWaitTimeSeconds',
            'SqsManagedSseEnabled',
            'VisibilityTimeout',
          ].sort(),
        );
        expect(all).toMatchObject({
          DelaySeconds: '0',
          MaximumMessageSize: '1048576',
          MessageRetentionPeriod: '345600',
          ReceiveMessageWaitTimeSeconds: '0',
          VisibilityTimeout: '30',
          ApproximateNumberOfMessages: '0',
        });
        expect(all.QueueArn).toMatch(new RegExp(`^arn:aws:sqs:${REGION}:${ACCOUNT_ID()}:defaults-\\d+$`));
        const none = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url }));
        expect(none.Attributes).toBeUndefined();
      });

      it('validates attributes and removes a RedrivePolicy set to ""', async () => {
        const dlq = await createQueue(queueName('attr-dlq'));
        const dlqArn = (await attributes(dlq)).QueueArn;
        const url = await createQueue(queueName('attr'));
        expect(
          await errorOf(
            sqs.client.send(
              new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '43201' } }),
            ),
          ),
        ).toMatchObject({ name: 'InvalidAttributeValue' });
        expect(
          await errorOf(
            sqs.client.send(
              // An attribute SQS does not know, sent as a client with a newer model might.
              new SetQueueAttributesCommand({
                QueueUrl: url,
                Attributes: { Nope: '1' } as Record<string, string>,
              }),
            ),
          ),
        ).toMatchObject({ name: 'InvalidAttributeName', message: 'Unknown Attribute Nope.' });
        expect(
          await errorOf(
            sqs.client.send(
              new SetQueueAttributesCommand({
                QueueUrl: url,
                Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn }) },
              }),
            ),
          ),
        ).toMatchObject({ name: 'InvalidParameterValue' });
        await sqs.client.send(
          new SetQueueAttributesCommand({
            QueueUrl: url,
            Attributes: {
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '3' }),
            },
          }),
        );
        expect(JSON.parse((await attributes(url)).RedrivePolicy as string)).toEqual({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: 3,
        });
        const sources = await sqs.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
        expect(sources.queueUrls).toEqual([url]);
        await sqs.client.send(
          new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: '' } }),
        );
        expect((await attributes(url)).RedrivePolicy).toBeUndefined();
      });

      it('lists queues by prefix, in pages when MaxResults is given', async () => {
        const names = ['page-a', 'page-b', 'page-c'].map((n) => `${n}-${++counter}`);
        for (const name of names) await createQueue(name);
        const all = await sqs.client.send(new ListQueuesCommand({ QueueNamePrefix: 'page-' }));
        expect(all.QueueUrls).toEqual(names.map((n) => `${sqs.url}/${ACCOUNT_ID()}/${n}`));
        expect(all.NextToken).toBeUndefined();
        const first = await sqs.client.send(
          new ListQueuesCommand({ QueueNamePrefix: 'page-', MaxResults: 2 }),
        );
        expect(first.QueueUrls).toHaveLength(2);
        const second = await sqs.client.send(
          new ListQueuesCommand({ QueueNamePrefix: 'page-', MaxResults: 2, NextToken: first.NextToken }),
        );
        expect([...(first.QueueUrls ?? []), ...(second.QueueUrls ?? [])]).toEqual(all.QueueUrls);
        expect(second.NextToken).toBeUndefined();
      });

      it('tags and untags a queue', async () => {
        const url = await createQueue(queueName('tags'));
        await sqs.client.send(new TagQueueCommand({ QueueUrl: url, Tags: { team: 'data', env: 'local' } }));
        await sqs.client.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['env'] }));
        const { Tags } = await sqs.client.send(new ListQueueTagsCommand({ QueueUrl: url }));
        expect(Tags).toEqual({ team: 'data' });
      });

      it('answers QueueDoesNotExist for a deleted queue', async () => {
        const url = await createQueue(queueName('deleted'));
        await sqs.client.send(new DeleteQueueCommand({ QueueUrl: url }));
        const error = await errorOf(
          sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })),
        );
        expect(error).toMatchObject({ name: 'QueueDoesNotExist', status: 400 });
      });
    });

    describe('messages', () => {
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
          await errorOf(
            sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0000' })),
          ),
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
        const first = await sqs.client.send(
          new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }),
        );
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
        const first = await sqs.client.send(
          new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }),
        );
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
        const first = await sqs.client.send(
          new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }),
        );
        await eventually(
          async () => ((await attributes(url)).ApproximateNumberOfMessages === '1' ? true : undefined),
          'the message to become visible again',
        );
        await sqs.client.send(
          new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
        );
        expect((await attributes(url)).ApproximateNumberOfMessages).toBe('0');
        expect(
          await errorOf(
            sqs.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })),
          ),
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
        expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(
          (await attributes(url)).QueueArn,
        );
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

    describe('FIFO queues', () => {
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
  });
}
