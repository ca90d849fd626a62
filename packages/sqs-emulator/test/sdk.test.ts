import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startMoto } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsContract } from './contract.ts';
import {
  ACCOUNT,
  CREDENTIALS,
  makeDataDir,
  REGION,
  type Running,
  removeDataDir,
  startEmulator,
} from './support.ts';

/**
 * The SDK v3 contract against the emulator; with `SQS_SECOND_OPINION=moto` also against a
 * moto_server started here (`moto_server` on the PATH), to compare with another emulator.
 */

sqsContract('SQS emulator through SDK v3', async () => {
  const dataDir = await makeDataDir();
  const running = await startEmulator(dataDir);
  return {
    client: running.client,
    url: running.url,
    accountId: ACCOUNT,
    async stop() {
      await running.stop();
      await removeDataDir(dataDir);
    },
  };
});

if (process.env.SQS_SECOND_OPINION === 'moto') {
  sqsContract(
    'moto_server through SDK v3 (second opinion)',
    async () => {
      const moto = await startMoto();
      const url = moto.url;
      const client = new SQSClient({ endpoint: url, region: REGION, credentials: CREDENTIALS });
      return {
        client,
        url,
        accountId: '123456789012',
        async stop() {
          client.destroy();
          await moto.close();
        },
      };
    },
    {
      // Where moto (5.x) departs from AWS's recorded or documented behaviour (reference sections in brackets).
      differences: {
        'creates a queue whose URL points at the emulator; the same attributes return it again, different ones fail':
          'moto words QueueNameExists without naming the attribute [§1.4]',
        'validates attributes and removes a RedrivePolicy set to ""':
          'moto accepts VisibilityTimeout 43201 (range 0-43,200) [§2.1]',
        'lists queues by prefix, in pages when MaxResults is given': 'moto ignores MaxResults [§2.1]',
        'refuses an empty, oversized or invalid message and a bad MaxNumberOfMessages':
          'moto accepts an empty MessageBody (MissingParameter on AWS) [§2.2]',
        'ignores a delete with a receipt handle made stale by a later receive; the latest handle deletes':
          'moto deletes with a superseded receipt handle [§2.2]',
        'deletes with a handle whose visibility expired when nobody received the message since':
          'moto words ReceiptHandleIsInvalid differently [§1.4]',
        'redrives a message to the dead-letter queue once it was received maxReceiveCount times':
          'moto sets no DeadLetterQueueSourceArn [model MessageSystemAttributeName]',
        'reports per-entry failures in batches and succeeds for the rest':
          'moto accepts control characters in a batch entry body (InvalidMessageContents) [§2.2]',
        'purges a queue once per 60 seconds':
          'moto allows a second purge at once (403 PurgeQueueInProgress) [§2.1]',
        'requires the .fifo suffix exactly for FIFO queues and keeps the queue type':
          'moto accepts FifoQueue=true without the .fifo suffix [model CreateQueue QueueName]',
        'delivers in order per group and holds a group while one of its messages is in flight':
          'moto returns no SequenceNumber for MessageSystemAttributeNames All [model]',
        'refuses a receipt handle whose visibility timeout ended':
          'moto deletes with an expired handle on a FIFO queue (an error on AWS) [§2.2]',
      },
    },
  );
}

describe('in-process metrics', () => {
  let sqs: Running;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    sqs = await startEmulator(dataDir);
  });

  afterAll(async () => {
    await sqs.stop();
    await removeDataDir(dataDir);
  });

  it('reports depth, in-flight and oldest age to in-process listeners', async () => {
    const name = 'metrics';
    const { QueueUrl: url } = await sqs.client.send(new CreateQueueCommand({ QueueName: name }));
    const events: string[] = [];
    const stop = sqs.emulator.onChange((event) => {
      if (event.queue === name) events.push(`${event.kind}:${event.count}`);
    });
    await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b' }));
    await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
    stop();
    expect(events).toEqual(['sent:1', 'sent:1', 'received:1']);
    const metrics = sqs.emulator.metrics().find((m) => m.name === name);
    expect(metrics).toMatchObject({ depth: 1, inFlight: 1, delayed: 0, url });
    expect(metrics?.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
  });
});
