import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SqsContinuations } from '@eventline/aws';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import { continuationEvent, normaliseEvent, type ObjectEvent } from '@eventline/core';
import { type Moto, startMoto } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCredentials } from '../support/emulators.ts';

/**
 * Queue mode's continuation, through a real SQS implementation (moto_server): the message the
 * SqsContinuations adapter sends is read back from the queue and normalised as the handler does,
 * and must name the same object version (key encoding included).
 */

let moto: Moto;
let clients: AwsClients;

beforeAll(async () => {
  moto = await startMoto();
  clients = createClients({
    region: 'us-east-1',
    endpoint: moto.url,
    credentials: testCredentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  if (clients) destroyClients(clients);
  await moto?.close();
});

describe('SqsContinuations', () => {
  it('puts on the ingest queue an S3 event naming the same object version', async () => {
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'ingest' }));
    const event: ObjectEvent = {
      bucket: 'eventline-test',
      key: 'iot/2026 01/a+b ü.ndjson',
      size: 12_345,
      eTag: '0123456789abcdef0123456789abcdef',
      versionId: 'v-1',
      sequencer: '0062E99A88DC407460',
      eventTime: '2026-01-01T00:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      region: 'us-east-1',
      origin: 's3',
    };
    await new SqsContinuations(clients.sqs, QueueUrl!).schedule(continuationEvent(event));
    const { Messages } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    const [message] = normaliseEvent({
      Records: [
        {
          messageId: Messages![0]!.MessageId,
          receiptHandle: Messages![0]!.ReceiptHandle,
          body: Messages![0]!.Body,
          attributes: {},
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
          awsRegion: 'us-east-1',
        },
      ],
    });
    expect(message?.kind).toBe('objects');
    expect(message?.objects).toEqual([{ ...event, origin: 's3' }]);
  });
});
