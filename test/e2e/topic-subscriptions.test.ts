import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseConfig } from '@eventline/config';
import { createLambdaInvokeRoute } from '@eventline/lambda-emulator';
import { LocalStack } from '@eventline/local';
import type { SnsLambdaEvent } from '@eventline/sns-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The topic's sqs, lambda and sms subscriptions from the config, end to end through the local stack:
 * files land on two routes; each subscriber's filter policy picks its notifications; an SDK v3 SQS
 * client receives from the queues the stack created; the lambda subscriber is invoked through
 * Lambda's Invoke API (the project's own Invoke route, serving a function named `moderate`); the
 * SMS is kept as the phone would show it.
 */

let dir: string;
let stack: LocalStack;
let invokeServer: Server;
const invoked: SnsLambdaEvent[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Every message waiting in a queue (the queue is quiet: all deliveries have settled). */
async function drain(queue: string): Promise<Message[]> {
  const { QueueUrl } = await stack.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
  const out: Message[] = [];
  for (let round = 0; round < 20; round++) {
    const answer = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (!answer.Messages?.length) break;
    out.push(...answer.Messages);
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-subscribers-'));
  const route = createLambdaInvokeRoute({
    functionName: 'moderate',
    region: 'us-east-1',
    accountId: '000000000000',
    submit: async (event) => {
      invoked.push(event as unknown as SnsLambdaEvent);
    },
    invoke: async () => null,
  });
  invokeServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void route.handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => invokeServer.listen(0, '127.0.0.1', resolve));
  const { port } = invokeServer.address() as AddressInfo;
  const config = parseConfig({
    routes: [
      { id: 'orders', prefix: 'orders/', suffix: '.json', format: 'json', key: 'id' },
      { id: 'uploads', prefix: 'uploads/', suffix: '.json', format: 'json', key: 'id' },
    ],
    topic: {
      subscriptions: [
        { protocol: 'sqs', queue: 'moderation', filterPolicy: { route: ['uploads'] } },
        {
          protocol: 'sqs',
          queue: 'moderation-raw',
          filterPolicy: { route: [{ prefix: 'up' }], status: [{ 'anything-but': ['FAILED'] }] },
          rawMessageDelivery: true,
        },
        {
          protocol: 'sqs',
          queue: 'failures',
          filterPolicyScope: 'MessageBody',
          filterPolicy: { status: ['FAILED'] },
        },
        {
          protocol: 'lambda',
          endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:moderate',
          filterPolicy: { records: [{ numeric: ['>=', 1] }], route: ['orders'] },
        },
        { protocol: 'sms', endpoint: '+14155550100', filterPolicy: { status: ['FAILED'] } },
      ],
    },
    local: { port: 0, lambdaEndpoint: `http://127.0.0.1:${port}` },
  });
  stack = await LocalStack.start({
    config,
    dataDir: join(dir, 'data'),
    print: () => {},
    retryDelaysMs: [50, 100],
    sns: { delivery: { timeoutMs: 2000, retries: 1, retryDelayMs: 100 } },
    functionRuntime: 'in-process',
  });
  for (const [key, body] of [
    ['orders/o-1.json', '{"id":"o-1","total":3}'],
    ['uploads/u-1.json', '{"id":"u-1","user":"ada"}'],
    ['uploads/broken.json', '{"id":'],
  ] as const) {
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: config.bucket.name, Key: key, Body: body }));
  }
  // Every file's notification published, and every delivery of each settled.
  await until('three notifications delivered', async () => {
    const published = await stack.sns.notifications({ topicArn: stack.names.topicArn });
    const settled = published.filter((m) => m.deliveries.every((d) => d.status !== 'pending'));
    return settled.length === 3 ? settled : undefined;
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => invokeServer?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('topic subscriptions from the config, through the local stack', () => {
  it("an SQS subscriber with a filter policy on route receives that route's notifications only", async () => {
    const messages = await drain('moderation');
    const bodies = messages.map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
    expect(bodies.map((b) => b.Type)).toEqual(['Notification', 'Notification']);
    const notifications = bodies.map((b) => JSON.parse(String(b.Message)) as Record<string, unknown>);
    expect(notifications.map((n) => n.key).sort()).toEqual(['uploads/broken.json', 'uploads/u-1.json']);
    expect(notifications.every((n) => n.route === 'uploads')).toBe(true);
    expect(bodies[0]?.TopicArn).toBe(stack.names.topicArn);
    expect(bodies[0]?.MessageAttributes).toMatchObject({ route: { Type: 'String', Value: 'uploads' } });
  });

  it('raw message delivery: the JSON notification alone, the attributes as SQS message attributes', async () => {
    const messages = await drain('moderation-raw');
    expect(messages).toHaveLength(1);
    const body = JSON.parse(messages[0]?.Body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ key: 'uploads/u-1.json', status: 'PROCESSED', route: 'uploads' });
    expect(messages[0]?.MessageAttributes?.status).toEqual({ DataType: 'String', StringValue: 'PROCESSED' });
  });

  it('a MessageBody-scope filter policy matches on the JSON notification', async () => {
    const messages = await drain('failures');
    expect(messages).toHaveLength(1);
    const envelope = JSON.parse(messages[0]?.Body ?? '{}') as { Message: string };
    expect(JSON.parse(envelope.Message)).toMatchObject({ key: 'uploads/broken.json', status: 'FAILED' });
  });

  it("invokes the lambda subscriber through Lambda's Invoke API with the aws:sns event", async () => {
    await until('the invocation', async () => (invoked.length > 0 ? invoked : undefined));
    expect(invoked).toHaveLength(1);
    const record = invoked[0]?.Records[0];
    expect(record?.EventSource).toBe('aws:sns');
    expect(record?.Sns.TopicArn).toBe(stack.names.topicArn);
    expect(JSON.parse(record?.Sns.Message ?? '{}')).toMatchObject({
      key: 'orders/o-1.json',
      route: 'orders',
    });
    expect(record?.Sns.MessageAttributes.records).toEqual({ Type: 'Number', Value: '1' });
  });

  it('keeps the SMS as the phone shows it: the failure only', async () => {
    const sms = await stack.sns.phoneMessages({ topicArn: stack.names.topicArn });
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ phoneNumber: '+14155550100', parts: 1 });
    expect(sms[0]?.text).toContain('uploads/broken.json');
    expect(sms[0]?.text.length).toBeLessThanOrEqual(160);
  });

  it('records which subscriptions each notification reached', async () => {
    const published = await stack.sns.notifications({ topicArn: stack.names.topicArn });
    const reached = (key: string) =>
      published
        .find((m) => m.message.includes(key))
        ?.deliveries.map((d) => `${d.protocol}:${d.status}`)
        .sort();
    expect(reached('orders/o-1.json')).toEqual(['lambda:delivered']);
    expect(reached('uploads/u-1.json')).toEqual(['sqs:delivered', 'sqs:delivered']);
    expect(reached('uploads/broken.json')).toEqual(['sms:delivered', 'sqs:delivered', 'sqs:delivered']);
  });
});
