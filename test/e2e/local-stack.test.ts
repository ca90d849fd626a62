import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ListTopicsCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { parseConfig } from '@eventline/config';
import { fileKey } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../reliability/support/processes.ts';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

/**
 * The local stack end to end, through its one edge port, with real clients: SDK v3, Debian's
 * `aws` CLI, a real HTTP subscriber (with the confirmation handshake) and a real SMTP server.
 */

const run = promisify(execFile);
const AWS_CLI = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

let dir: string;
let stack: LocalStack;
let subscriber: HttpSubscriber;
let smtp: SmtpSink;
const lines: string[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const getItem = async (pk: string) =>
  (
    await stack.clients.dynamodb.send(
      new GetItemCommand({ TableName: 'events', Key: { pk: { S: pk } }, ConsistentRead: true }),
    )
  ).Item;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-e2e-'));
  smtp = await startSmtpSink();
  subscriber = await startHttpSubscriber();
  const config = parseConfig({
    topic: { subscriptions: [{ protocol: 'email', endpoint: 'ops@example.com' }] },
    local: { port: 0, smtp: { host: smtp.host, port: smtp.port } },
  });
  stack = await LocalStack.start({
    config,
    dataDir: join(dir, 'data'),
    print: (line) => lines.push(line),
    retryDelaysMs: [50, 100],
    sns: { delivery: { timeoutMs: 2000, retries: 2, retryDelayMs: 100 } },
    // In process: a test here wraps stack.handler to see the S3 events it is given.
    functionRuntime: 'in-process',
  });
  await stack.clients.sns.send(
    new SubscribeCommand({ TopicArn: stack.names.topicArn, Protocol: 'http', Endpoint: subscriber.url }),
  );
  await subscriber.waitForConfirmations();
});

afterAll(async () => {
  await stack?.stop();
  await subscriber?.close();
  await smtp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start: the local stack through its one edge port', () => {
  it('serves S3, DynamoDB and SNS on one loopback port', async () => {
    expect(stack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const topics = await stack.clients.sns.send(new ListTopicsCommand({}));
    expect(topics.Topics?.map((t) => t.TopicArn)).toContain(
      'arn:aws:sns:us-east-1:000000000000:events-notify',
    );
    expect(stack.banner()).toContain(`${stack.url}/_console`);
  });

  it('processes a JSON file put with SDK v3: ledger item, HTTP notification, email', async () => {
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: 'eventline-local',
        Key: 'incoming/order-7.json',
        Body: '{"id":"order-7","total":12.30}',
      }),
    );
    const item = await until('the ledger item', () => getItem('order-7'));
    expect(item.payload?.M?.total?.N).toBe('12.3');
    expect(item.source?.M?.key?.S).toBe('incoming/order-7.json');

    const [delivery] = await subscriber.waitFor(
      (r) =>
        r.headers['x-amz-sns-message-type'] === 'Notification' &&
        String(r.json?.Message).includes('order-7.json'),
    );
    expect(delivery?.headers['x-amz-sns-topic-arn']).toBe(stack.names.topicArn);
    expect(JSON.parse(String(delivery?.json?.Message))).toMatchObject({
      message: 'New file processed: incoming/order-7.json',
      status: 'PROCESSED',
    });

    const [mail] = await smtp.waitFor((m) => m.text.includes('incoming/order-7.json'));
    expect(mail?.subject).toBe('S3 Event Processed');
    expect(mail?.to).toContain('ops@example.com');
    expect(mail?.text).toMatch(/^New file processed: incoming\/order-7\.json/);
    expect(lines.some((l) => /✓ incoming\/order-7\.json → 1 record → notification sent/.test(l))).toBe(true);
  });

  it('ignores a file outside every route', async () => {
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'other/notes.json', Body: '{"id":"nope"}' }),
    );
    await until('the ignore line', async () =>
      lines.some((l) => l.includes('other/notes.json → ignored')) ? true : undefined,
    );
    await stack.idle();
    expect(await getItem('nope')).toBeUndefined();
    expect(await getItem(fileKey('eventline-local', 'other/notes.json'))).toBeUndefined();
  });

  it('sends a malformed file to the dead-letter queue with its reason and a failure notification', async () => {
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: 'eventline-local',
        Key: 'incoming/broken.json',
        Body: '{"id": "x", oops}',
      }),
    );
    const letter = await until('the dead letter', async () =>
      (await stack.deadLetters.list()).find((l) => l.object?.key === 'incoming/broken.json'),
    );
    expect(letter.code).toBe('malformed-json');
    expect(letter.reason).toMatch(/incoming\/broken\.json: malformed JSON at line 1, column 13/);
    const [failure] = await subscriber.waitFor((r) =>
      String(r.json?.Message).includes('incoming/broken.json'),
    );
    expect(failure?.json?.Subject).toBe('S3 Event Failed');
    const state = await getItem(fileKey('eventline-local', 'incoming/broken.json'));
    expect(state?.status?.S).toBe('FAILED');
  });

  it("works with Debian's aws CLI: s3 cp, dynamodb get-item, sns list-topics", async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    const aws = (...args: string[]) =>
      run(AWS_CLI, ['--endpoint-url', stack.url, ...args], { env, timeout: 60_000 });
    const file = join(dir, 'cli-order.json');
    await writeFile(file, '{"id":"cli-1","qty":3}');
    await aws('s3', 'cp', file, 's3://eventline-local/incoming/cli-order.json');
    await until('the ledger item', () => getItem('cli-1'));
    const got = await aws(
      'dynamodb',
      'get-item',
      '--table-name',
      'events',
      '--key',
      '{"pk":{"S":"cli-1"}}',
      '--output',
      'json',
    );
    expect(JSON.parse(got.stdout).Item.payload.M.qty.N).toBe('3');
    const topics = await aws('sns', 'list-topics', '--output', 'json');
    expect(JSON.parse(topics.stdout).Topics).toContainEqual({ TopicArn: stack.names.topicArn });
    const listed = await aws('s3', 'ls', 's3://eventline-local/incoming/');
    expect(listed.stdout).toContain('cli-order.json');
  });
});

describe('S3 events shaped as S3 sends them', () => {
  it('emits 2.1 records with encoded keys, unquoted eTags and growing sequencers for Put, Copy and multipart uploads', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const original = stack.handler;
    stack.handler = async (event, context) => {
      seen.push(event as Record<string, unknown>);
      return original(event, context);
    };
    try {
      const Bucket = 'eventline-local';
      await stack.clients.s3.send(
        new PutObjectCommand({ Bucket, Key: 'incoming/a+b c.json', Body: '{"id":"ev-put"}' }),
      );
      await until('the put', () => getItem('ev-put'));
      await stack.clients.s3.send(
        new CopyObjectCommand({
          Bucket,
          Key: 'incoming/copy of a+b.json',
          CopySource: `${Bucket}/${encodeURIComponent('incoming/a+b c.json')}`,
        }),
      );
      await until('the copy', () => getItem(fileKey(Bucket, 'incoming/copy of a+b.json')));
      const upload = await stack.clients.s3.send(
        new CreateMultipartUploadCommand({ Bucket, Key: 'incoming/multi.json' }),
      );
      const part = await stack.clients.s3.send(
        new UploadPartCommand({
          Bucket,
          Key: 'incoming/multi.json',
          UploadId: upload.UploadId,
          PartNumber: 1,
          Body: '{"id":"ev-multi"}',
        }),
      );
      await stack.clients.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'incoming/multi.json',
          UploadId: upload.UploadId,
          MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
        }),
      );
      await until('the multipart upload', () => getItem('ev-multi'));
      await stack.idle();
    } finally {
      stack.handler = original;
    }
    type Shaped = {
      eventName: string;
      s3: { bucket: unknown; object: { key: string; eTag?: string; size?: number; sequencer: string } };
    };
    // Queue mode (the default): each SQS record's body is the S3 event, as S3 sends it to the queue.
    const records = seen
      .flatMap((e) => e.Records as Array<{ eventSource?: string; body?: string }>)
      .map((r) =>
        r.eventSource === 'aws:sqs'
          ? (JSON.parse(r.body!) as { Records?: Shaped[] }).Records?.[0]
          : (r as Shaped),
      )
      .filter((r): r is Shaped => r !== undefined);
    expect(records.map((r) => [r.eventName, r.s3.object.key])).toEqual([
      ['ObjectCreated:Put', 'incoming/a%2Bb+c.json'],
      ['ObjectCreated:Copy', 'incoming/copy+of+a%2Bb.json'],
      ['ObjectCreated:CompleteMultipartUpload', 'incoming/multi.json'],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1' });
      expect(record.s3.bucket).toEqual({
        name: 'eventline-local',
        ownerIdentity: expect.any(Object),
        arn: 'arn:aws:s3:::eventline-local',
      });
      expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    }
    expect(records[0]?.s3.object.eTag).toMatch(/^[0-9a-f]{32}$/);
    expect(records[0]?.s3.object.size).toBe(15);
    const sequencers = records.map((r) => r.s3.object.sequencer as string);
    expect([...sequencers].sort()).toEqual(sequencers);
  });
});

describe('what a web page can make a browser send is refused', () => {
  const raw = (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(path, stack.url);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: init.method ?? 'GET',
          headers: init.headers,
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    expect((await raw('/_eventline/records', { headers: { host: 'attacker.example' } })).status).toBe(403);
    const form = 'Action=CreateTopic&Name=evil&Version=2010-03-31';
    const crossSite = await raw('/', {
      method: 'POST',
      headers: { origin: 'https://attacker.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(crossSite.status).toBe(403);
    expect((await raw('/_eventline/health')).status).toBe(200);
  });

  it('accepts only link actions as unsigned SNS GETs', async () => {
    const attempt = await raw(`/?Action=DeleteTopic&TopicArn=${encodeURIComponent(stack.names.topicArn)}`);
    expect(attempt.status).toBe(403);
    const topics = await stack.clients.sns.send(new ListTopicsCommand({}));
    expect(topics.Topics?.map((t) => t.TopicArn)).toContain(stack.names.topicArn);
  });

  it('takes admin actions only as JSON (a cross-site form cannot send one)', async () => {
    const form = await raw('/_eventline/backfill', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"prefix":""}',
    });
    expect(form.status).toBe(415);
  });

  it('refuses to serve beyond loopback without authentication', async () => {
    await expect(
      LocalStack.start({
        config: parseConfig({ local: { host: '0.0.0.0', port: 0 } }),
        dataDir: join(dir, 'exposed'),
      }),
    ).rejects.toThrow(/local\.host: "0\.0\.0\.0" is not a loopback address/);
  });
});

describe('clear errors at start', () => {
  it('says which port is in use', async () => {
    const port = Number(new URL(stack.url).port);
    const attempt = LocalStack.start({
      config: parseConfig({ local: { port } }),
      dataDir: join(dir, 'second'),
    });
    await expect(attempt).rejects.toThrow(
      new RegExp(`local\\.port: port ${port} on 127\\.0\\.0\\.1 is already in use`),
    );
  });

  it('says when the data directory cannot be used', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a directory');
    await expect(
      LocalStack.start({ config: parseConfig({ local: { port: 0 } }), dataDir: join(blocker, 'data') }),
    ).rejects.toThrow(/local\.dataDir: cannot use ".*a-file\/data" as the data directory/);
  });

  it('names the stack that holds the data directory, in one line (through the real CLI)', async () => {
    const port = new URL(stack.url).port;
    const result = await run(
      process.execPath,
      ['bin/eventline.mjs', 'start', '--port', '0', '--data-dir', join(dir, 'data')],
      { timeout: 60_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`local.dataDir: data directory "${join(dir, 'data')}" is in use`);
    expect(lines[0]).toContain(`pid ${process.pid}, port ${port}`);
    expect(result.stderr).not.toMatch(/Database is closed/);
    // The first stack is untouched by the refused second one.
    expect(await getItem('no-such-key')).toBeUndefined();
  });

  it('`eventline start` stops the stack on SIGTERM: no stack left running behind the command', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['bin/eventline.mjs', 'start', '--port', String(port), '--data-dir', join(dir, 'sigterm-data')],
      { stdio: 'ignore' },
    );
    const health = () =>
      fetch(`http://127.0.0.1:${port}/_health`).then(
        (r) => r.ok,
        () => false,
      );
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    try {
      const deadline = Date.now() + 60_000;
      while (!(await health()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await health()).toBe(true);
      child.kill('SIGTERM');
      await exited;
      // Whatever served the port has gone with the command (bounded: a stack left behind answers for ever).
      const gone = Date.now() + 15_000;
      while ((await health()) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      expect(await health()).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names the wrong setting when the config is bad (through the real CLI)', async () => {
    const bad = join(dir, 'bad.config.ts');
    await writeFile(bad, "export default { routes: [{ prefix: 'in/', format: 'yaml' }] };\n");
    const result = await run(process.execPath, ['bin/eventline.mjs', '--config', bad, 'start'], {
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('routes.0.format');
    expect(result.stderr).toMatch(/expected one of .*json/);
  });
});
