import { execFile } from 'node:child_process';
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
const KEYS = [
  'orders/o-1.json',
  'uploads/u-1.json',
  'uploads/broken.json',
  'quiet/q-1.json',
  'quiet/broken.json',
  'alerts/a-1.json',
  'alerts/broken.json',
];

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
      { id: 'quiet', prefix: 'quiet/', suffix: '.json', format: 'json', key: 'id', notify: 'none' },
      { id: 'alerts', prefix: 'alerts/', suffix: '.json', format: 'json', key: 'id', notify: 'failures' },
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
    ['quiet/q-1.json', '{"id":"q-1"}'],
    ['quiet/broken.json', '{"id":'],
    ['alerts/a-1.json', '{"id":"a-1"}'],
    ['alerts/broken.json', '{"id":'],
  ] as const) {
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: config.bucket.name, Key: key, Body: body }));
  }
  for (const key of KEYS) {
    await until(`the outcome of ${key}`, async () => {
      const file = await stack.ledger.getFile(config.bucket.name, key);
      return file && file.status !== 'PROCESSING' && file.notification.status !== 'PENDING'
        ? file
        : undefined;
    });
  }
  // Every notification the policies send published, and every delivery of each settled.
  await until('four notifications delivered', async () => {
    const published = await stack.sns.notifications({ topicArn: stack.names.topicArn });
    const settled = published.filter((m) => m.deliveries.every((d) => d.status !== 'pending'));
    return settled.length === 4 ? settled : undefined;
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
    const notifications = messages.map(
      (m) =>
        JSON.parse((JSON.parse(m.Body ?? '{}') as { Message: string }).Message) as Record<string, unknown>,
    );
    expect(notifications.map((n) => `${n.key} ${n.status}`).sort()).toEqual([
      'alerts/broken.json FAILED',
      'uploads/broken.json FAILED',
    ]);
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
    expect(sms.map((m) => m.text.split(' ')[1])).toEqual(expect.arrayContaining(['uploads:', 'alerts:']));
    expect(sms).toHaveLength(2);
    for (const m of sms) {
      expect(m).toMatchObject({ phoneNumber: '+14155550100', parts: 1 });
      expect(m.text).toMatch(/^eventline (uploads|alerts): FAILED \S+\/broken\.json: /);
    }
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

  it("publishes by each route's notify policy, and the ledger records what was not needed", async () => {
    const published = await stack.sns.notifications({ topicArn: stack.names.topicArn });
    const keys = published.map((m) => /"key":"([^"]+)"/.exec(m.message.replaceAll('\\"', '"'))?.[1]).sort();
    expect(keys).toEqual([
      'alerts/broken.json',
      'orders/o-1.json',
      'uploads/broken.json',
      'uploads/u-1.json',
    ]);
    const steps: Record<string, string | undefined> = {};
    for (const key of KEYS)
      steps[key] = (await stack.ledger.getFile('eventline-local', key))?.notification.status;
    expect(steps).toEqual({
      'orders/o-1.json': 'SENT',
      'uploads/u-1.json': 'SENT',
      'uploads/broken.json': 'SENT',
      'quiet/q-1.json': 'NOT_NEEDED',
      'quiet/broken.json': 'NOT_NEEDED',
      'alerts/a-1.json': 'NOT_NEEDED',
      'alerts/broken.json': 'SENT',
    });
  });

  it('lists the SMS on the console API and with `eventline sms`', async () => {
    const api = (await (await fetch(`${stack.url}/_eventline/sms`)).json()) as {
      messages: Array<{ text: string }>;
    };
    expect(api.messages.map((m) => m.text.split(' ')[2]).sort()).toEqual(['FAILED', 'FAILED']);
    const printed = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['bin/eventline.mjs', '--endpoint', stack.url, 'sms'],
        { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const lines = printed.trim().split('\n');
    expect(lines[0]).toMatch(/^SENT\s+TO\s+FROM\s+PARTS\s+TEXT/);
    expect(lines.filter((line) => line.includes('+14155550100'))).toHaveLength(2);
    expect(printed).toContain('eventline alerts: FAILED alerts/broken.json: ');
  });
});
