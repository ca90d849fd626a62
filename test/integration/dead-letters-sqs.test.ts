import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeferredSqsDeadLetters } from '@eventline/aws';
import { createPipelineClients, type PipelineClients } from '@eventline/aws/sdk';
import { type Moto, startMoto } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Lambda entry's dead-letter queue: the SQS client and adapter are loaded with the first letter
 * (packages/aws/src/deferred-dead-letters.ts), against moto_server's SQS on loopback.
 */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let moto: Moto | undefined;
let endpoint: string;
let clients: PipelineClients;
let reader: SQSClient;

beforeAll(async () => {
  moto = await startMoto();
  endpoint = moto.url;
  clients = createPipelineClients({ region: 'us-east-1', endpoint, credentials });
  reader = new SQSClient({ region: 'us-east-1', endpoint, credentials });
});

afterAll(async () => {
  reader?.destroy();
  (await clients?.sqs())?.destroy();
  clients?.s3.destroy();
  clients?.dynamodb.destroy();
  clients?.sns.destroy();
  await moto?.close();
});

describe('the deferred SQS dead-letter queue', () => {
  it('makes one SQS client, on first use, and sends letters with their reason', async () => {
    const [first, second] = await Promise.all([clients.sqs(), clients.sqs()]);
    expect(first).toBe(second);
    const { QueueUrl } = await reader.send(new CreateQueueCommand({ QueueName: 'eventline-dlq' }));
    const queue = new DeferredSqsDeadLetters(clients.sqs, QueueUrl!);
    await queue.send({
      reason: 'incoming/a.json: malformed JSON at line 1, column 2',
      code: 'malformed-json',
      object: { bucket: 'b', key: 'incoming/a.json' },
      event: { Records: [] },
      failedAt: '2026-11-29T00:00:00.000Z',
    });
    const { Messages } = await reader.send(
      new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages![0]!.Body!)).toMatchObject({
      eventline: 'dead-letter',
      code: 'malformed-json',
    });
    expect(Messages![0]!.MessageAttributes?.ErrorCode?.StringValue).toBe('malformed-json');
  });

  it('fails a letter it cannot send with the operation named, and loads again for the next one', async () => {
    let calls = 0;
    const flaky = new DeferredSqsDeadLetters(async () => {
      calls += 1;
      if (calls === 1) throw new Error('load failed');
      return clients.sqs();
    }, `${endpoint}/000000000000/missing-queue`);
    const letter = { reason: 'r', code: 'c', event: {}, failedAt: '2026-11-29T00:00:00.000Z' };
    await expect(flaky.send(letter)).rejects.toThrow('load failed');
    await expect(flaky.send(letter)).rejects.toThrow(/SendMessage \(dead-letter queue\)/);
    expect(calls).toBe(2);
  });
});
