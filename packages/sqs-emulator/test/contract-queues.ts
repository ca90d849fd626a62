import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect } from 'vitest';
import type { ContractContext, ContractTarget } from './contract-context.ts';
import { REGION } from './support.ts';

/** Queue management: create, attributes, list, tags, delete. */
export function queueCases(c: ContractContext): void {
  const { it, queueName, createQueue, attributes, errorOf, ACCOUNT_ID } = c;
  describe('queues', () => {
    let sqs: ContractTarget;
    beforeAll(() => {
      sqs = c.target();
    });

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
      const names = ['page-a', 'page-b', 'page-c'].map((n) => queueName(n));
      for (const name of names) await createQueue(name);
      const all = await sqs.client.send(new ListQueuesCommand({ QueueNamePrefix: 'page-' }));
      expect(all.QueueUrls).toEqual(names.map((n) => `${sqs.url}/${ACCOUNT_ID()}/${n}`));
      expect(all.NextToken).toBeUndefined();
      const first = await sqs.client.send(new ListQueuesCommand({ QueueNamePrefix: 'page-', MaxResults: 2 }));
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
}
