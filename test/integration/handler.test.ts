import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { DynamoLedger } from '@eventline/aws';
import { createClients, destroyClients } from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import { encodeS3Key, fileKey, sequencerSortKey } from '@eventline/core';
import { createHandler, createPipeline } from '@eventline/lambda';
import { FileDeadLetterQueue } from '@eventline/local';
import { type SnsServer, startSnsServer } from '@eventline/sns-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators, testCredentials } from '../support/emulators.ts';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';

/**
 * The Lambda handler, called with real-shaped events, against real emulators: the project's S3 emulator,
 * dynalite (DynamoDB) and the project's SNS service, with a real HTTP subscriber.
 */

let emulators: Emulators;
let sns: SnsServer;
let subscriber: HttpSubscriber;
let topicArn: string;
let deadLetters: FileDeadLetterQueue;
let handler: ReturnType<typeof createHandler>;
let snsClients: ReturnType<typeof createClients>;
let sequence = 0x100;

const config = parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json', maxFileBytes: 4096 }] });

function s3Record(key: string, eTag: string, size: number, sequencer: string, bucket?: string) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyU' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'default',
      bucket: {
        name: bucket ?? emulators.bucket,
        ownerIdentity: { principalId: 'A3NL' },
        arn: `arn:aws:s3:::${bucket ?? emulators.bucket}`,
      },
      object: { key: encodeS3Key(key), size, eTag, sequencer },
    },
  };
}

/** Uploads a file to the S3 emulator and returns the S3 event record AWS would send for it. */
async function put(key: string, body: string) {
  const response = await emulators.clients.s3.send(
    new PutObjectCommand({ Bucket: emulators.bucket, Key: key, Body: body }),
  );
  sequence += 1;
  const eTag = (response.ETag ?? '').replace(/"/g, '');
  return s3Record(key, eTag, Buffer.byteLength(body), sequence.toString(16).toUpperCase().padStart(18, '0'));
}

async function getItem(pk: string) {
  const { Item } = await emulators.clients.dynamodb.send(
    new GetItemCommand({ TableName: emulators.table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return Item;
}

const notificationsFor = (key: string) =>
  subscriber
    .ofType('Notification')
    .filter(
      (r) =>
        typeof r.json?.Message === 'string' &&
        (r.json.Message as string).includes(JSON.stringify(key).slice(1, -1)),
    );

beforeAll(async () => {
  sns = await startSnsServer({
    region: 'us-east-1',
    delivery: { timeoutMs: 2000, retries: 1, retryDelayMs: 100 },
  });
  emulators = await startEmulators({ snsEndpoint: sns.url });
  subscriber = await startHttpSubscriber();
  snsClients = createClients({ region: 'us-east-1', endpoint: sns.url, credentials: testCredentials });
  topicArn = await sns.service.createTopic('events-notify');
  await snsClients.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: subscriber.url }),
  );
  await subscriber.waitForConfirmations();
  deadLetters = new FileDeadLetterQueue(emulators.dir);
  handler = createHandler({
    pipeline: createPipeline({
      config,
      names: { tableName: emulators.table, topicArn, bucketName: emulators.bucket },
      clients: emulators.clients,
      deadLetters,
    }),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
});

afterAll(async () => {
  destroyClients(snsClients);
  await subscriber?.close();
  await sns?.close();
  await emulators?.close();
});

describe('the handler with a direct S3 event', () => {
  it("writes the seed's item and publishes one notification", async () => {
    const record = await put(
      'incoming/order 1+a.json',
      '{"id":"order-1","total":42.50,"items":[{"sku":"A","qty":2}]}',
    );
    const result = await handler({ Records: [record] });
    expect(result).toMatchObject({ outcomes: [{ status: 'processed', key: 'incoming/order 1+a.json' }] });

    const item = await getItem('order-1');
    expect(item?.payload?.M?.id?.S).toBe('order-1');
    expect(item?.payload?.M?.total?.N).toBe('42.5');
    expect(item?.payload?.M?.items?.L?.[0]?.M?.qty?.N).toBe('2');
    expect(item?.source?.M).toMatchObject({
      bucket: { S: emulators.bucket },
      key: { S: 'incoming/order 1+a.json' },
      eTag: { S: record.s3.object.eTag },
      size: { N: String(record.s3.object.size) },
      sequencer: { S: record.s3.object.sequencer },
    });
    expect(item?.processedAt?.S).toMatch(/^\d{4}-\d\d-\d\dT/);

    const [delivery] = await subscriber.waitFor((r) =>
      notificationsFor('incoming/order 1+a.json').includes(r),
    );
    expect(delivery?.json).toMatchObject({
      Type: 'Notification',
      Subject: 'S3 Event Processed',
      TopicArn: topicArn,
    });
    const message = JSON.parse(String(delivery?.json?.Message)) as Record<string, unknown>;
    expect(message).toMatchObject({
      message: 'New file processed: incoming/order 1+a.json',
      status: 'PROCESSED',
      key: 'incoming/order 1+a.json',
    });
    expect(delivery?.json?.MessageAttributes).toMatchObject({
      status: { Type: 'String', Value: 'PROCESSED' },
      route: { Type: 'String', Value: 'default' },
      bucket: { Type: 'String', Value: emulators.bucket },
      records: { Type: 'Number', Value: '1' },
    });
    const published = await sns.service.notifications();
    const text = published.find((n) => n.messageId === delivery?.json?.MessageId);
    expect(JSON.stringify(text)).toContain('New file processed: incoming/order 1+a.json');
  });

  it('falls back to the object key when the record has no id, as the seed does', async () => {
    const record = await put('incoming/no-id.json', '{"reading":0.1}');
    await handler({ Records: [record] });
    const item = await getItem('incoming/no-id.json');
    expect(item?.payload?.M?.reading?.N).toBe('0.1');
  });

  it('processes every record of a multi-record event', async () => {
    const a = await put('incoming/multi-a.json', '{"id":"multi-a"}');
    const b = await put('incoming/multi-b.json', '{"id":"multi-b"}');
    const result = (await handler({ Records: [a, b] })) as { outcomes: Array<{ status: string }> };
    expect(result.outcomes.map((o) => o.status)).toEqual(['processed', 'processed']);
    expect(await getItem('multi-a')).toBeDefined();
    expect(await getItem('multi-b')).toBeDefined();
  });

  it('keeps numbers exact and refuses what DynamoDB cannot hold, naming the field', async () => {
    const record = await put(
      'incoming/numbers.json',
      '{"id":"n-1","big":12345678901234567890,"tiny":1e-130,"price":19.99}',
    );
    await handler({ Records: [record] });
    const item = await getItem('n-1');
    expect(item?.payload?.M?.big?.N).toBe('12345678901234567890');
    expect(Number(item?.payload?.M?.price?.N)).toBe(19.99);

    const bad = await put(
      'incoming/numbers-39.json',
      '{"id":"n-2","nested":{"value":123456789012345678901234567890123456789}}',
    );
    const result = (await handler({ Records: [bad] })) as {
      outcomes: Array<{ status: string; error?: { message: string } }>;
    };
    expect(result.outcomes[0]?.status).toBe('failed');
    expect(result.outcomes[0]?.error?.message).toMatch(/payload\.nested\.value.*39 significant digits.*38/);
    expect(await getItem('n-2')).toBeUndefined();
  });
});

describe('idempotency and ordering', () => {
  it('writes one record and sends one notification for an event delivered twice', async () => {
    const record = await put('incoming/twice.json', '{"id":"twice-1","n":1}');
    const first = (await handler({ Records: [record] })) as { outcomes: Array<{ status: string }> };
    const second = (await handler({ Records: [record] })) as { outcomes: Array<{ status: string }> };
    expect(first.outcomes[0]?.status).toBe('processed');
    expect(second.outcomes[0]?.status).toBe('duplicate');
    await subscriber.waitFor((r) => notificationsFor('incoming/twice.json').includes(r));
    // Give a (wrong) second delivery the time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(notificationsFor('incoming/twice.json')).toHaveLength(1);
    const scan = await emulators.clients.dynamodb.send(
      new ScanCommand({
        TableName: emulators.table,
        FilterExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'twice-1' } },
      }),
    );
    expect(scan.Count).toBe(1);
  });

  it('never lets an older version overwrite a newer one', async () => {
    const older = await put('incoming/versioned.json', '{"id":"ver-1","v":"old"}');
    const newer = await put('incoming/versioned.json', '{"id":"ver-1","v":"new"}');
    // S3 gives no ordering guarantee: the newer event arrives first.
    await handler({ Records: [newer] });
    const late = (await handler({ Records: [older] })) as { outcomes: Array<{ status: string }> };
    expect(late.outcomes[0]?.status).toBe('stale');
    expect((await getItem('ver-1'))?.payload?.M?.v?.S).toBe('new');
    const state = await getItem(fileKey(emulators.bucket, 'incoming/versioned.json'));
    expect(state?.seq?.S).toBe(sequencerSortKey(newer.s3.object.sequencer));
  });
});

describe('failures', () => {
  it('records a malformed file as FAILED with the position, dead-letters it and notifies the failure', async () => {
    const record = await put('incoming/broken.json', '{\n  "id": "b-1",\n  "total": ,\n}');
    const result = (await handler({ Records: [record] })) as { outcomes: Array<{ status: string }> };
    expect(result.outcomes[0]?.status).toBe('failed');
    const state = (await getItem(fileKey(emulators.bucket, 'incoming/broken.json')))?.state?.M;
    expect(state?.status?.S).toBe('FAILED');
    expect(state?.error?.M?.code?.S).toBe('malformed-json');
    expect(state?.error?.M?.message?.S).toMatch(
      /incoming\/broken\.json: malformed JSON at line 3, column 12/,
    );
    const letters = await deadLetters.list();
    expect(letters.find((l) => l.object?.key === 'incoming/broken.json')).toMatchObject({
      code: 'malformed-json',
    });
    const [delivery] = await subscriber.waitFor((r) => notificationsFor('incoming/broken.json').includes(r));
    expect(delivery?.json?.Subject).toBe('S3 Event Failed');
    expect(delivery?.json?.MessageAttributes).toMatchObject({ status: { Type: 'String', Value: 'FAILED' } });
  });

  it('rejects JSON that is not an object, and files over the size limit, before writing anything', async () => {
    const array = await put('incoming/array.json', '[1,2,3]');
    const large = await put('incoming/large.json', `{"id":"large","pad":"${'x'.repeat(5000)}"}`);
    const result = (await handler({ Records: [array, large] })) as {
      outcomes: Array<{ status: string; error?: { code: string; message: string } }>;
    };
    expect(result.outcomes.map((o) => o.error?.code)).toEqual(['not-an-object', 'too-large']);
    expect(result.outcomes[1]?.error?.message).toMatch(
      /over the limit of 4096 bytes \(maxFileBytes of route "default"\)/,
    );
    expect(await getItem('large')).toBeUndefined();
  });

  it('skips keys outside every route and events for other buckets', async () => {
    const outside = await put('other/thing.json', '{"id":"outside"}');
    const elsewhere = s3Record('incoming/x.json', 'abc', 3, '01', 'someone-elses-bucket');
    const result = (await handler({ Records: [outside, elsewhere] })) as {
      outcomes: Array<{ status: string }>;
    };
    expect(result.outcomes.map((o) => o.status)).toEqual(['ignored', 'ignored']);
    expect(await getItem('outside')).toBeUndefined();
  });

  it('fails the invocation when the ledger is unreachable, so that Lambda retries it', async () => {
    const closed = createClients({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: testCredentials,
      maxAttempts: 1,
    });
    const offline = createHandler({
      pipeline: createPipeline({
        config,
        names: { tableName: emulators.table, topicArn, bucketName: emulators.bucket },
        clients: { ...emulators.clients, dynamodb: closed.dynamodb },
        deadLetters,
      }),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const record = await put('incoming/offline.json', '{"id":"offline"}');
    await expect(offline({ Records: [record] })).rejects.toMatchObject({ name: 'TransientError' });
    destroyClients(closed);
    // The retry (here: the normal handler) processes it.
    expect(await handler({ Records: [record] })).toMatchObject({ outcomes: [{ status: 'processed' }] });
  });
});

describe('SQS and EventBridge shapes', () => {
  const sqs = (messageId: string, body: unknown) => ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1',
      SenderId: 'S3',
      ApproximateFirstReceiveTimestamp: '1',
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:eventline-events',
    awsRegion: 'us-east-1',
  });

  it('returns only the messages that must be retried in batchItemFailures', async () => {
    const good = await put('incoming/sqs-good.json', '{"id":"sqs-good"}');
    const busy = await put('incoming/sqs-busy.json', '{"id":"sqs-busy"}');
    // Another invocation holds a live claim on this object version: this message must come back later.
    const ledger = new DynamoLedger({
      tableName: emulators.table,
      dynamodb: emulators.clients.dynamodb,
      documents: emulators.clients.documents,
    });
    await ledger.putFile(
      {
        bucket: emulators.bucket,
        key: 'incoming/sqs-busy.json',
        route: 'default',
        sequencer: busy.s3.object.sequencer,
        seq: sequencerSortKey(busy.s3.object.sequencer),
        eTag: busy.s3.object.eTag,
        eventTime: busy.eventTime,
        status: 'PROCESSING',
        rev: 1,
        leaseUntil: Date.now() + 60_000,
        attempts: 1,
        counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
        rejects: [],
        notification: { status: 'NOT_NEEDED' },
        deadLetter: { status: 'NOT_NEEDED' },
        startedAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      },
      undefined,
    );
    const lettersBefore = (await deadLetters.list()).length;
    const response = await handler({
      Records: [
        sqs('m-good', { Records: [good] }),
        sqs('m-busy', { Records: [busy] }),
        sqs('m-test', { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: emulators.bucket }),
        sqs('m-garbage', 'this is not json'),
      ],
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-busy' }] });
    expect(await getItem('sqs-good')).toBeDefined();
    const letters = await deadLetters.list();
    expect(letters.length).toBe(lettersBefore + 1);
    expect(letters.at(-1)).toMatchObject({ code: 'bad-event' });
    expect(letters.at(-1)?.reason).toMatch(/SQS message m-garbage: body is not JSON/);
  });

  it('processes an EventBridge Object Created event', async () => {
    const record = await put('incoming/eb.json', '{"id":"eb-1"}');
    const result = await handler({
      version: '0',
      id: 'e-1',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:s3:::${emulators.bucket}`],
      detail: {
        version: '0',
        bucket: { name: emulators.bucket },
        object: {
          key: 'incoming/eb.json',
          size: record.s3.object.size,
          etag: record.s3.object.eTag,
          sequencer: record.s3.object.sequencer,
        },
        reason: 'PutObject',
      },
    });
    expect(result).toMatchObject({ outcomes: [{ status: 'processed' }] });
    expect(await getItem('eb-1')).toBeDefined();
  });
});
