import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDbApi, LambdaApi, S3Api, SnsApi, SqsApi } from '@eventline/aws';
import { AwsRequester, createHttpClients } from '@eventline/aws/http';
import {
  type AwsClients,
  createClients,
  destroyClients,
  withDynamoDbApi,
  withS3Api,
} from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../reliability/support/processes.ts';
import { startThrottlingProxy, type ThrottlingProxy } from '../support/throttling-proxy.ts';

/**
 * Parity of the Lambda entry's signed-request clients (packages/aws/src/http) with SDK v3: the same
 * operations through both, against real services (the local stack in this process, and moto_server as
 * a second implementation), must give the same results and fail with the same error names and HTTP
 * statuses, which is what packages/aws/src/errors.ts and the adapters read. Retries, timeouts and
 * signing are checked against real HTTP servers on loopback (the throttling proxy of the reliability
 * tests, and small servers here that answer 500s, stall, or record what they receive).
 */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

interface Apis {
  s3: S3Api;
  dynamodb: DynamoDbApi;
  sns: SnsApi;
  sqs: SqsApi;
}

type Settings = {
  endpoint: string;
  maxAttempts?: number;
  timeouts?: { connectionMs?: number; requestMs?: number };
};

function pair(settings: Settings): { sdk: AwsClients; http: Apis & { lambda: () => Promise<LambdaApi> } } {
  const common = { region: 'us-east-1', credentials, ...settings };
  return { sdk: createClients(common), http: createHttpClients(common) };
}

/** What an operation ended in, in the terms the adapters read: the value, or the error's name and status. */
async function outcome<T>(run: () => Promise<T>): Promise<{ ok: T } | { error: string; status?: number }> {
  try {
    return { ok: await run() };
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { error: String(e.name), status: e.$metadata?.httpStatusCode };
  }
}

async function text(body: AsyncIterable<Uint8Array> | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body ?? []) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** GetObject as the S3 source reads it: the body streamed whole, and the fields it keeps. */
async function read(s3: S3Api, input: Parameters<S3Api['getObject']>[0]) {
  const r = await s3.getObject(input);
  return {
    body: await text(r.Body),
    ContentLength: r.ContentLength,
    ContentType: r.ContentType,
    ContentEncoding: r.ContentEncoding,
    ETag: r.ETag,
    VersionId: r.VersionId,
  };
}

const KEYS = ['parity/plain.json', "parity/with space/ü+b!'()*&=.json", 'parity/a%2Fb/~tilde;,.json'];

/** The operations of the adapters, each through SDK v3 and through the http clients, on one service set. */
function parityCases(
  name: string,
  setup: () => Promise<{
    clients: ReturnType<typeof pair>;
    bucket: string;
    topicArn: string;
    queueUrl: string;
  }>,
  options: { conditionalItem: boolean } = { conditionalItem: true },
) {
  describe(`the http clients and SDK v3 on ${name}`, () => {
    let sdk: AwsClients;
    let http: Apis;
    let bucket: string;
    let topicArn: string;
    let queueUrl: string;
    let table: string;
    let n = 0;

    beforeAll(async () => {
      const s = await setup();
      ({ sdk, http } = s.clients);
      ({ bucket, topicArn, queueUrl } = s);
      table = `parity-${Date.now()}`;
      await sdk.dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }, 60_000);

    afterAll(async () => {
      await sdk?.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    });

    it('S3: PutObject and GetObject (whole, ranged, by version, If-Match) alike, keys of any characters', async () => {
      for (const key of KEYS) {
        const body = `{"key":${JSON.stringify(key)},"pad":"${'x'.repeat(5000)}"}`;
        const putBySdk = await sdk.s3.putObject({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
        });
        const putByHttp = await http.s3.putObject({
          Bucket: bucket,
          Key: `${key}.2`,
          Body: body,
          ContentType: 'application/json',
        });
        expect(putByHttp.ETag).toBe(putBySdk.ETag);
        for (const k of [key, `${key}.2`]) {
          const whole = { Bucket: bucket, Key: k };
          const [a, b] = [await read(sdk.s3, whole), await read(http.s3, whole)];
          expect(b).toEqual(a);
          expect(b.body).toBe(body);
          const ranged = { Bucket: bucket, Key: k, Range: 'bytes=4000-' };
          const [ra, rb] = [await read(sdk.s3, ranged), await read(http.s3, ranged)];
          expect(rb).toEqual(ra);
          expect(rb.body).toBe(Buffer.from(body).subarray(4000).toString());
          expect(rb.ContentLength).toBe(Buffer.byteLength(body) - 4000);
          const matching = { Bucket: bucket, Key: k, IfMatch: a.ETag as string };
          expect(await read(http.s3, matching)).toEqual(await read(sdk.s3, matching));
          if (a.VersionId) {
            const version = { Bucket: bucket, Key: k, VersionId: a.VersionId };
            expect(await read(http.s3, version)).toEqual(await read(sdk.s3, version));
          }
        }
      }
    });

    it('S3: GetObject gives the same user metadata and tag count (what an object record keeps)', async () => {
      const key = 'parity/meta.bin';
      await sdk.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: 'x',
          Metadata: { owner: 'alice', 'camera-model': 'X100' },
          Tagging: 'team=blue&stage=raw',
        }),
      );
      const fields = async (s3: S3Api) => {
        const r = await s3.getObject({ Bucket: bucket, Key: key });
        await text(r.Body);
        return { Metadata: r.Metadata ?? {}, TagCount: r.TagCount };
      };

      const [a, b] = [await fields(sdk.s3), await fields(http.s3)];

      expect(a).toEqual({ Metadata: { owner: 'alice', 'camera-model': 'X100' }, TagCount: 2 });
      expect(b).toEqual(a);
    });

    it('S3: the same errors (NoSuchKey, If-Match refused, NoSuchBucket, a bad version)', async () => {
      const cases: Array<Parameters<S3Api['getObject']>[0]> = [
        { Bucket: bucket, Key: 'parity/absent.json' },
        { Bucket: bucket, Key: KEYS[0] as string, IfMatch: '"0123456789abcdef0123456789abcdef"' },
        { Bucket: 'parity-no-such-bucket', Key: 'x.json' },
      ];
      for (const input of cases) {
        const a = await outcome(() => read(sdk.s3, input));
        const b = await outcome(() => read(http.s3, input));
        expect(b, JSON.stringify(input)).toEqual(a);
        expect('error' in b).toBe(true);
      }
      const names = [];
      for (const input of cases) names.push(await outcome(() => read(http.s3, input)));
      expect(names[0]).toMatchObject({ error: 'NoSuchKey', status: 404 });
      expect(names[1]).toMatchObject({ status: 412 });
      expect(names[2]).toMatchObject({ error: 'NoSuchBucket', status: 404 });
    });

    it('S3: HeadObject alike (the ETag and version that order an event without a sequencer), and its 404', async () => {
      const key = KEYS[1] as string;
      const current = await read(sdk.s3, { Bucket: bucket, Key: key });
      const [a, b] = [
        await sdk.s3.headObject({ Bucket: bucket, Key: key }),
        await http.s3.headObject({ Bucket: bucket, Key: key }),
      ];
      expect({ ETag: b.ETag, VersionId: b.VersionId }).toEqual({ ETag: a.ETag, VersionId: a.VersionId });
      expect(b.ETag).toBe(current.ETag);
      const absent = { Bucket: bucket, Key: 'parity/absent.json' };
      const [ma, mb] = [
        await outcome(() => sdk.s3.headObject(absent)),
        await outcome(() => http.s3.headObject(absent)),
      ];
      expect(mb).toMatchObject({ status: 404 });
      expect(ma).toMatchObject({ status: 404 });
    });

    it('DynamoDB: PutItem, GetItem, UpdateItem (UPDATED_NEW), BatchWriteItem and binary attributes alike', async () => {
      for (const [who, api] of [
        ['sdk', sdk.dynamodb],
        ['http', http.dynamodb],
      ] as const) {
        const pk = `item-${who}-${++n}`;
        await api.putItem({
          TableName: table,
          Item: {
            pk: { S: pk },
            n: { N: '1' },
            b: { B: new Uint8Array([0, 1, 2, 255]) },
            l: { L: [{ S: 'a' }, { NULL: true }] },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        });
        const updated = await api.updateItem({
          TableName: table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET #s = :s ADD #rev :one',
          ExpressionAttributeNames: { '#s': 'status', '#rev': 'rev' },
          ExpressionAttributeValues: { ':s': { S: 'DONE' }, ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        });
        expect(updated.Attributes).toEqual({ status: { S: 'DONE' }, rev: { N: '1' } });
        const { Item } = await api.getItem({
          TableName: table,
          Key: { pk: { S: pk } },
          ConsistentRead: true,
        });
        expect(Item?.b?.B && [...Item.b.B]).toEqual([0, 1, 2, 255]);
        expect({ ...Item, b: undefined, pk: undefined }).toEqual({
          n: { N: '1' },
          l: { L: [{ S: 'a' }, { NULL: true }] },
          status: { S: 'DONE' },
          rev: { N: '1' },
          b: undefined,
          pk: undefined,
        });
        const batch = await api.batchWriteItem({
          RequestItems: {
            [table]: Array.from({ length: 25 }, (_, i) => ({
              PutRequest: { Item: { pk: { S: `${pk}-r${i}` } } },
            })),
          },
        });
        expect(batch.UnprocessedItems?.[table] ?? []).toEqual([]);
        const last = await api.getItem({ TableName: table, Key: { pk: { S: `${pk}-r24` } } });
        expect(last.Item).toEqual({ pk: { S: `${pk}-r24` } });
        expect(
          (await api.getItem({ TableName: table, Key: { pk: { S: `${pk}-absent` } } })).Item,
        ).toBeUndefined();
      }
    });

    it('DynamoDB: the same errors (ConditionalCheckFailed with the old item, ResourceNotFound, Validation)', async () => {
      const pk = `conditional-${++n}`;
      await sdk.dynamodb.putItem({ TableName: table, Item: { pk: { S: pk }, rev: { N: '3' } } });
      const refused = {
        TableName: table,
        Item: { pk: { S: pk }, rev: { N: '4' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      const errorOf = async (api: DynamoDbApi, run: (api: DynamoDbApi) => Promise<unknown>) =>
        run(api).then(
          () => undefined,
          (e: { name: string; $metadata: { httpStatusCode: number }; Item?: unknown }) => ({
            name: e.name,
            status: e.$metadata.httpStatusCode,
            item: e.Item,
          }),
        );
      const runs: Array<(api: DynamoDbApi) => Promise<unknown>> = [
        (api) => api.putItem(refused),
        (api) => api.getItem({ TableName: 'parity-no-such-table', Key: { pk: { S: 'x' } } }),
        // A key that does not match the table's schema: ValidationException.
        (api) => api.getItem({ TableName: table, Key: { other: { S: pk } } }),
      ];
      for (const run of runs) {
        const [a, b] = [await errorOf(sdk.dynamodb, run), await errorOf(http.dynamodb, run)];
        expect(b).toEqual(a);
        expect(b).toBeDefined();
      }
      const conditional = await errorOf(http.dynamodb, runs[0] as (api: DynamoDbApi) => Promise<unknown>);
      expect(conditional).toMatchObject({ name: 'ConditionalCheckFailedException', status: 400 });
      if (options.conditionalItem) expect(conditional?.item).toEqual({ pk: { S: pk }, rev: { N: '3' } });
      expect(await errorOf(http.dynamodb, runs[1] as (api: DynamoDbApi) => Promise<unknown>)).toMatchObject({
        name: 'ResourceNotFoundException',
        status: 400,
      });
    });

    it('SNS Publish (MessageStructure json, attributes) and SQS SendMessage alike, and their errors', async () => {
      const publish = (api: SnsApi, arn: string) =>
        api.publish({
          TopicArn: arn,
          Subject: 'parity',
          Message: JSON.stringify({ default: 'text & <more>', sqs: '{"a":1}' }),
          MessageStructure: 'json',
          MessageAttributes: { status: { DataType: 'String', StringValue: 'processed ü' } },
        });
      const [pa, pb] = [await publish(sdk.sns, topicArn), await publish(http.sns, topicArn)];
      expect(pa.MessageId).toMatch(/\S/);
      expect(pb.MessageId).toMatch(/\S/);
      const missing = `${topicArn}-absent`;
      expect(await outcome(() => publish(http.sns, missing))).toEqual(
        await outcome(() => publish(sdk.sns, missing)),
      );

      const send = (api: SqsApi, url: string, body: string) =>
        api.sendMessage({
          QueueUrl: url,
          MessageBody: body,
          MessageAttributes: { ErrorCode: { DataType: 'String', StringValue: 'code ü' } },
        });
      const [sa, sb] = [
        await send(sdk.sqs, queueUrl, 'from sdk'),
        await send(http.sqs, queueUrl, 'from http ü'),
      ];
      expect(sa.MessageId).toMatch(/\S/);
      expect(sb.MessageId).toMatch(/\S/);
      const received = [];
      for (let i = 0; i < 5 && received.length < 2; i++) {
        const { Messages } = await sdk.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
          }),
        );
        received.push(...(Messages ?? []));
      }
      expect(received.map((m) => [m.Body, m.MessageAttributes?.ErrorCode?.StringValue]).sort()).toEqual([
        ['from http ü', 'code ü'],
        ['from sdk', 'code ü'],
      ]);
      const absent = queueUrl.replace(/[^/]+$/, 'parity-absent');
      expect(await outcome(() => send(http.sqs, absent, 'x'))).toEqual(
        await outcome(() => send(sdk.sqs, absent, 'x')),
      );
    });
  });
}

// --- the local stack, in this process ---------------------------------------------------------------

let stack: LocalStack;
const stackDirs: string[] = [];
const stackClients: Array<ReturnType<typeof pair>> = [];

async function startStack(enforceAuth = false): Promise<LocalStack> {
  const dir = await mkdtemp(join(tmpdir(), 'eventline-parity-'));
  stackDirs.push(dir);
  return LocalStack.start({
    config: parseConfig({
      local: {
        port: 0,
        ...(enforceAuth ? { enforceAuth: true, accessKeyId: 'AKIDPARITY', secretAccessKey: 'right' } : {}),
      },
    }),
    dataDir: join(dir, 'data'),
    functionRuntime: 'in-process',
  });
}

parityCases('the local stack', async () => {
  stack = await startStack();
  const clients = pair({ endpoint: stack.url, maxAttempts: 1 });
  stackClients.push(clients);
  const bucket = 'parity-local';
  await clients.sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.sdk.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  const { TopicArn } = await clients.sdk.sns.send(new CreateTopicCommand({ Name: 'parity' }));
  const { QueueUrl } = await clients.sdk.sqs.send(new CreateQueueCommand({ QueueName: 'parity' }));
  return { clients, bucket, topicArn: TopicArn as string, queueUrl: QueueUrl as string };
});

// --- moto_server, a second implementation -------------------------------------------------------------

let moto: ChildProcess | undefined;

parityCases('moto_server', async () => {
  const port = await freePort();
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const clients = pair({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
  stackClients.push(clients);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await clients.sdk.s3.send(new CreateBucketCommand({ Bucket: 'parity-moto' }));
      break;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`moto_server did not answer on port ${port}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await clients.sdk.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'parity-moto', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  const { TopicArn } = await clients.sdk.sns.send(new CreateTopicCommand({ Name: 'parity' }));
  const { QueueUrl } = await clients.sdk.sqs.send(new CreateQueueCommand({ QueueName: 'parity' }));
  return { clients, bucket: 'parity-moto', topicArn: TopicArn as string, queueUrl: QueueUrl as string };
});

// --- retries, timeouts and signing, against real servers on loopback -------------------------------------

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback HTTP server answering each request with `answer` (given the request's number, from 1). */
async function server(
  answer: (n: number, req: Recorded, res: ServerResponse) => void,
): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const s: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      answer(requests.length, recorded, res);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

const s3Error = (res: ServerResponse, status: number, code: string) => {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': `req-${code}` });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} here</Message></Error>`,
  );
};

describe('retries, as SDK v3 standard mode', () => {
  let proxy: ThrottlingProxy;
  let throttled: ReturnType<typeof pair>;
  const table = 'parity-throttled';

  beforeAll(async () => {
    stack ??= await startStack();
    proxy = await startThrottlingProxy({ target: stack.url });
    throttled = pair({ endpoint: proxy.url });
    stackClients.push(throttled);
    await throttled.sdk.dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
  });

  const batch = (pk: string) => ({
    RequestItems: { [table]: [{ PutRequest: { Item: { pk: { S: pk } } } }] },
  });

  it('retries ProvisionedThroughputExceededException (the throttling proxy) until it succeeds', async () => {
    for (const [who, api] of [
      ['sdk', throttled.sdk.dynamodb],
      ['http', throttled.http.dynamodb],
    ] as const) {
      proxy.plan({ mode: 'throttle', times: 2 });
      const before = { ...proxy.stats };
      await api.batchWriteItem(batch(`throttled-${who}`));
      expect(proxy.stats.throttledResponses - before.throttledResponses, who).toBe(2);
      expect(proxy.stats.batchWrites - before.batchWrites, who).toBe(3);
    }
  });

  it('gives up after 4 attempts (DynamoDB’s default) with the same error, name and metadata', async () => {
    const results = [];
    for (const api of [throttled.sdk.dynamodb, throttled.http.dynamodb]) {
      proxy.plan({ mode: 'throttle', times: Number.POSITIVE_INFINITY });
      const before = proxy.stats.batchWrites;
      const error = await api.batchWriteItem(batch('never')).catch((e: unknown) => e);
      const e = error as {
        name: string;
        $fault: string;
        $metadata: { httpStatusCode: number; attempts: number };
      };
      results.push({
        name: e.name,
        fault: e.$fault,
        status: e.$metadata.httpStatusCode,
        attempts: e.$metadata.attempts,
        requests: proxy.stats.batchWrites - before,
      });
    }
    proxy.plan({ mode: 'throttle', times: 0 });
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toEqual({
      name: 'ProvisionedThroughputExceededException',
      fault: 'client',
      status: 400,
      attempts: 4,
      requests: 4,
    });
  });

  it('does not retry a client error: ConditionalCheckFailedException, ValidationException', async () => {
    for (const api of [throttled.sdk.dynamodb, throttled.http.dynamodb]) {
      await api.putItem({ TableName: table, Item: { pk: { S: 'once' } } });
      const before = proxy.stats.forwarded;
      const refused = await api
        .putItem({
          TableName: table,
          Item: { pk: { S: 'once' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        })
        .catch((e: { name: string }) => e.name);
      expect(refused).toBe('ConditionalCheckFailedException');
      const invalid = await api
        .updateItem({ TableName: table, Key: { pk: { S: 'once' } }, UpdateExpression: 'SET #a = :missing' })
        .catch((e: { name: string }) => e.name);
      expect(invalid).toBe('ValidationException');
      expect(proxy.stats.forwarded - before).toBe(2);
    }
  });

  it('retries 5xx answers (500 InternalError) and stops at the third, like SDK v3', async () => {
    for (const failures of [2, 3]) {
      const results = [];
      for (const who of ['sdk', 'http'] as const) {
        const s = await server((n, _req, res) => {
          if (n <= failures) return s3Error(res, 500, 'InternalError');
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2', etag: '"e"' });
          res.end('ok');
        });
        const clients = pair({ endpoint: s.url });
        const api = who === 'sdk' ? clients.sdk.s3 : clients.http.s3;
        results.push({
          outcome: await outcome(() => read(api, { Bucket: 'b', Key: 'k.json' }).then((r) => r.body)),
          requests: s.requests.length,
        });
        destroyClients(clients.sdk);
        await s.close();
      }
      expect(results[1], `${failures} failures`).toEqual(results[0]);
      expect(results[1]).toEqual(
        failures === 2
          ? { outcome: { ok: 'ok' }, requests: 3 }
          : { outcome: { error: 'InternalError', status: 500 }, requests: 3 },
      );
    }
  });

  it('retries a refused connection and fails with the same error code', async () => {
    const port = await freePort();
    const results = [];
    for (const who of ['sdk', 'http'] as const) {
      const clients = pair({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2 });
      const api = who === 'sdk' ? clients.sdk.dynamodb : clients.http.dynamodb;
      const error = (await api
        .getItem({ TableName: 't', Key: { pk: { S: 'x' } } })
        .catch((e: unknown) => e)) as {
        code?: string;
      };
      results.push(error.code);
      destroyClients(clients.sdk);
    }
    expect(results).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
  });
});

/**
 * SDK v3 clients with SDK v3's idle-socket timeout (`socketTimeout`), the semantics of the http
 * clients' `requestMs` (and of `createClients`' since it sets `socketTimeout`: this SDK version's
 * `requestTimeout` only warns unless `throwOnRequestTimeout` is set).
 */
function sdkWithSocketTimeout(endpoint: string, maxAttempts: number, socketTimeout: number) {
  const common = {
    region: 'us-east-1',
    endpoint,
    credentials,
    maxAttempts,
    requestHandler: { socketTimeout },
  };
  return {
    dynamodb: withDynamoDbApi(new DynamoDBClient(common)),
    s3: withS3Api(new S3Client({ ...common, forcePathStyle: true })),
  };
}

describe('timeouts, as SDK v3 node-http-handler', () => {
  it('fails a connection that is never accepted with TimeoutError after connectionMs, like SDK v3', async () => {
    // A listener whose accept queue is full (Python: listen(0), never accept): the kernel drops the
    // SYN, so the connect itself stalls, the case connectionTimeout is for.
    const listener = spawn(
      'python3',
      [
        '-c',
        'import socket,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const fillers: Socket[] = [];
    try {
      const port = await new Promise<number>((resolve, reject) => {
        listener.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        listener.once('error', reject);
      });
      for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const endpoint = `http://127.0.0.1:${port}`;
      const results: Record<string, unknown> = {};
      for (const who of ['sdk', 'http'] as const) {
        const api =
          who === 'sdk'
            ? withDynamoDbApi(
                new DynamoDBClient({
                  region: 'us-east-1',
                  endpoint,
                  credentials,
                  maxAttempts: 1,
                  requestHandler: { connectionTimeout: 300 },
                }),
              )
            : createHttpClients({ endpoint, credentials, maxAttempts: 1, timeouts: { connectionMs: 300 } })
                .dynamodb;
        const error = (await api
          .getItem({ TableName: 't', Key: { pk: { S: 'x' } } })
          .catch((e: unknown) => e)) as { name?: string };
        results[who] = error.name;
        if ('destroy' in api) (api as unknown as { destroy(): void }).destroy();
      }
      expect(results).toEqual({ sdk: 'TimeoutError', http: 'TimeoutError' });
    } finally {
      for (const socket of fillers) socket.destroy();
      listener.kill();
    }
  });

  it('fails a request the server never answers with TimeoutError, retried like SDK v3', async () => {
    const results = [];
    for (const who of ['sdk', 'http'] as const) {
      const s = await server(() => {});
      const api =
        who === 'sdk'
          ? sdkWithSocketTimeout(s.url, 2, 300).dynamodb
          : createHttpClients({ endpoint: s.url, credentials, maxAttempts: 2, timeouts: { requestMs: 300 } })
              .dynamodb;
      const error = (await api
        .getItem({ TableName: 't', Key: { pk: { S: 'x' } } })
        .catch((e: unknown) => e)) as {
        name?: string;
      };
      results.push({ name: error.name, requests: s.requests.length });
      if ('destroy' in api) (api as unknown as { destroy(): void }).destroy();
      await s.close();
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toEqual({ name: 'TimeoutError', requests: 2 });
  });

  it("createClients' requestMs is a socket timeout that fails the request, not a warning", async () => {
    // node-http-handler's `requestTimeout` only logs a warning unless `throwOnRequestTimeout` is set;
    // the clients the local stack, the CLI and tests make must fail a silent socket as documented.
    const s = await server(() => {});
    const clients = createClients({
      endpoint: s.url,
      credentials,
      maxAttempts: 2,
      timeouts: { requestMs: 300 },
    });
    const error = (await clients.dynamodb
      .send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } }))
      .catch((e: unknown) => e)) as { name?: string };
    destroyClients(clients);
    await s.close();
    expect({ name: error.name, requests: s.requests.length }).toEqual({ name: 'TimeoutError', requests: 2 });
  }, 20_000);

  it('does not fail a body whose reader is behind (backpressure), only a server that stalls', async () => {
    // The pipeline pauses the S3 stream while it writes what it read: with a 1 s function timeout
    // (333 ms of silence allowed) a DynamoDB write under load outlasts the silence on the S3 socket.
    const size = 8 * 1024 * 1024;
    const s = await server((_n, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      res.end(Buffer.alloc(size, 7));
    });
    const api = createHttpClients({ endpoint: s.url, credentials, timeouts: { requestMs: 300 } }).s3;
    const object = await api.getObject({ Bucket: 'b', Key: 'k' });
    let bytes = 0;
    let paused = false;
    for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (!paused) {
        paused = true;
        await new Promise((resolve) => setTimeout(resolve, 1_200));
      }
    }
    await s.close();
    expect(bytes).toBe(size);
  });

  it('fails the stream of a body that stalls, and the next request works', async () => {
    for (const who of ['sdk', 'http'] as const) {
      const s = await server((n, _req, res) => {
        if (n === 1) {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10' });
          res.write('12345');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
      });
      const api =
        who === 'sdk'
          ? sdkWithSocketTimeout(s.url, 3, 300).s3
          : createHttpClients({ endpoint: s.url, credentials, timeouts: { requestMs: 300 } }).s3;
      const stalled = await api.getObject({ Bucket: 'b', Key: 'k' });
      await expect(text(stalled.Body), who).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(await read(api, { Bucket: 'b', Key: 'k' }), who).toMatchObject({ body: 'ok' });
      if ('destroy' in api) (api as unknown as { destroy(): void }).destroy();
      await s.close();
    }
  });
});

describe('credentials and signing', () => {
  it('signs as SDK v3 does: the session token sent and signed, the scope of each service', async () => {
    const s = await server((_n, req, res) => {
      if (req.headers['x-amz-target']) {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>',
        );
      }
    });
    const session = {
      accessKeyId: 'ASIAPARITY',
      secretAccessKey: 'secret',
      sessionToken: 'token/with+chars=',
    };
    const sdk = createClients({ region: 'eu-west-3', endpoint: s.url, credentials: session });
    const env = {
      AWS_REGION: 'eu-west-3',
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
      AWS_ENDPOINT_URL: s.url,
    };
    // The Lambda environment: nothing but variables.
    const http = createHttpClients({ env });
    for (const api of [sdk.dynamodb, http.dynamodb])
      await api.getItem({ TableName: 't', Key: { pk: { S: 'x' } } });
    for (const api of [sdk.sns, http.sns])
      await api.publish({ TopicArn: 'arn:aws:sns:eu-west-3:1:t', Message: 'm' });
    const signing = s.requests.map((r) => ({
      token: r.headers['x-amz-security-token'],
      scope: /Credential=([^,]+)/.exec(String(r.headers.authorization))?.[1]?.replace(/\/\d{8}\//, '/DATE/'),
      signed: /SignedHeaders=([^,]+)/
        .exec(String(r.headers.authorization))?.[1]
        ?.split(';')
        .includes('x-amz-security-token'),
    }));
    expect(signing).toEqual([
      { token: session.sessionToken, scope: 'ASIAPARITY/DATE/eu-west-3/dynamodb/aws4_request', signed: true },
      { token: session.sessionToken, scope: 'ASIAPARITY/DATE/eu-west-3/dynamodb/aws4_request', signed: true },
      { token: session.sessionToken, scope: 'ASIAPARITY/DATE/eu-west-3/sns/aws4_request', signed: true },
      { token: session.sessionToken, scope: 'ASIAPARITY/DATE/eu-west-3/sns/aws4_request', signed: true },
    ]);
    // The same request bodies: DynamoDB's JSON, and SNS's Query form (parameters in any order).
    expect(JSON.parse(s.requests[1]?.body ?? '')).toEqual(JSON.parse(s.requests[0]?.body ?? ''));
    const form = (body: string) => [...new URLSearchParams(body)].sort();
    expect(form(s.requests[3]?.body ?? '')).toEqual(form(s.requests[2]?.body ?? ''));
    destroyClients(sdk);
    await s.close();
  });

  it('refuses to send without credentials, naming the variables', async () => {
    const http = createHttpClients({
      env: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
    await expect(http.dynamodb.getItem({ TableName: 't', Key: { pk: { S: 'x' } } })).rejects.toThrow(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
  });

  describe('against the local stack with local.enforceAuth', () => {
    let secured: LocalStack;

    beforeAll(async () => {
      secured = await startStack(true);
    }, 60_000);

    afterAll(async () => {
      await secured?.stop();
    });

    it('is accepted with the right key and refused with a wrong one, as SDK v3 is', async () => {
      const run = async (secretAccessKey: string) => {
        const c = {
          region: 'us-east-1',
          endpoint: secured.url,
          credentials: { accessKeyId: 'AKIDPARITY', secretAccessKey },
          maxAttempts: 1,
        };
        const sdk = createClients(c);
        const http = createHttpClients(c);
        const results: Record<string, unknown> = {};
        const bucket = secured.config.bucket.name;
        for (const [who, apis] of [
          ['sdk', sdk],
          ['http', http],
        ] as const) {
          results[`${who} s3`] = await outcome(() =>
            apis.s3.putObject({ Bucket: bucket, Key: `parity/auth-${who}.txt`, Body: 'x' }).then(() => 'ok'),
          );
          results[`${who} s3 get`] = await outcome(() =>
            read(apis.s3, { Bucket: bucket, Key: `parity/auth-${who}.txt` }).then((r) => r.body),
          );
          results[`${who} dynamodb`] = await outcome(() =>
            apis.dynamodb
              .getItem({ TableName: secured.names.tableName, Key: { pk: { S: 'x' } } })
              .then(() => 'ok'),
          );
          results[`${who} sns`] = await outcome(() =>
            apis.sns.publish({ TopicArn: secured.names.topicArn, Message: 'x' }).then(() => 'ok'),
          );
        }
        destroyClients(sdk);
        return results;
      };
      const right = await run('right');
      const wrong = await run('wrong');
      for (const service of ['s3', 's3 get', 'dynamodb', 'sns']) {
        expect(right[`http ${service}`], service).toEqual(right[`sdk ${service}`]);
        expect(wrong[`http ${service}`], service).toEqual(wrong[`sdk ${service}`]);
        expect(wrong[`http ${service}`], service).toHaveProperty('error');
      }
      expect(right['http s3 get']).toEqual({ ok: 'x' });
    });
  });
});

describe('endpoints, as SDK v3 resolves them', () => {
  const url = (env: NodeJS.ProcessEnv, request: { service: string; bucket?: string; path: string }) =>
    new AwsRequester({ env }).url({ method: 'GET', headers: {}, ...request }).href;

  it('uses AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, path-style for S3 there', () => {
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000/',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
    };
    expect(url(env, { service: 's3', bucket: 'b', path: '/k%20ey' })).toBe('http://127.0.0.1:9000/b/k%20ey');
    // '..' and '.' are parts of an S3 key, sent as they are (a URL would normalize them away).
    expect(url(env, { service: 's3', bucket: 'b', path: '/in/../../x/./y' })).toBe(
      'http://127.0.0.1:9000/b/in/../../x/./y',
    );
    expect(url(env, { service: 'dynamodb', path: '/' })).toBe('http://127.0.0.1:8000/');
    expect(url(env, { service: 'sns', path: '/' })).toBe('http://127.0.0.1:4566/');
    expect(url(env, { service: 'sqs', path: '/' })).toBe('http://127.0.0.1:4566/');
    expect(url({ ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, { service: 'sns', path: '/' })).toBe(
      'https://sns.eu-west-1.amazonaws.com/',
    );
  });

  it("uses AWS's regional endpoints otherwise, virtual-hosted S3 for DNS-safe buckets", () => {
    const env = { AWS_REGION: 'eu-west-1' };
    expect(url(env, { service: 's3', bucket: 'my-bucket', path: '/a/b.json' })).toBe(
      'https://my-bucket.s3.eu-west-1.amazonaws.com/a/b.json',
    );
    expect(url(env, { service: 's3', bucket: 'my.bucket', path: '/a' })).toBe(
      'https://s3.eu-west-1.amazonaws.com/my.bucket/a',
    );
    expect(url(env, { service: 'dynamodb', path: '/' })).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(url({ AWS_REGION: 'cn-north-1' }, { service: 'sqs', path: '/' })).toBe(
      'https://sqs.cn-north-1.amazonaws.com.cn/',
    );
  });
});

describe('Lambda Invoke (direct mode continuations), against a recording server', () => {
  it('sends what SDK v3 sends and fails with the same error name', async () => {
    const s = await server((n, _req, res) => {
      if (n % 2 === 1) {
        res.writeHead(202);
        res.end();
        return;
      }
      res.writeHead(404, {
        'content-type': 'application/json',
        'x-amzn-errortype':
          'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/',
      });
      res.end('{"Type":"User","Message":"Function not found: eventline-handler"}');
    });
    const settings = { region: 'us-east-1', endpoint: s.url, credentials, maxAttempts: 1 };
    const sdk = new LambdaClient(settings);
    const http = await createHttpClients(settings).lambda();
    const input = {
      FunctionName: 'eventline-handler',
      InvocationType: 'Event' as const,
      Payload: new TextEncoder().encode('{"continue":true}'),
    };
    const results = [];
    for (const invoke of [() => sdk.send(new InvokeCommand(input)), () => http.invoke(input)]) {
      const ok = await outcome(() => invoke().then((r) => r.StatusCode));
      const refused = await outcome(() => invoke().then((r) => r.StatusCode));
      results.push({ ok, refused });
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toEqual({
      ok: { ok: 202 },
      refused: { error: 'ResourceNotFoundException', status: 404 },
    });
    const shape = (r: Recorded) => ({
      method: r.method,
      url: r.url,
      body: r.body,
      type: r.headers['x-amz-invocation-type'],
      scope: /\/us-east-1\/lambda\/aws4_request/.test(String(r.headers.authorization)),
    });
    expect(shape(s.requests[2] as Recorded)).toEqual(shape(s.requests[0] as Recorded));
    expect(shape(s.requests[2] as Recorded)).toEqual({
      method: 'POST',
      url: '/2015-03-31/functions/eventline-handler/invocations',
      body: '{"continue":true}',
      type: 'Event',
      scope: true,
    });
    sdk.destroy();
    await s.close();
  });
});

afterAll(async () => {
  for (const c of stackClients) destroyClients(c.sdk);
  await stack?.stop();
  for (const dir of stackDirs) await rm(dir, { recursive: true, force: true }).catch(() => {});
  moto?.kill();
});
