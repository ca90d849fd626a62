import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { SqsDeadLetters } from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import { fileKey } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { createSqsEmulator, type SqsEmulator, type SqsListener } from '@eventline/sqs-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The CLI through the AWS API path (SDK v3) against the local stack: DynamoDB and S3 on the stack's
 * edge, SQS on the SQS emulator started here (AWS_ENDPOINT_URL_SQS, the standard per-service
 * setting) with the queues named as the CDK app names them. Each command runs as a user runs it:
 * a separate process through bin/eventline.mjs.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const BUCKET = 'eventline-local';

/** The line every command starts its stderr with: which stack, region and endpoint it reads. */
const TARGET_LINE = /^eventline: (?:local stack|stack) \S+, region \S+, endpoint [^\n]*\n/;
/** What a command printed on stderr after that line. */
const afterTarget = (stderr: string) => stderr.replace(TARGET_LINE, '');
const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
let dir: string;
let stack: LocalStack;
let sqs: SqsEmulator;
let listener: SqsListener;
let client: SQSClient;
const urls: Record<'ingest' | 'files' | 'events', string> = { ingest: '', files: '', events: '' };

function eventline(args: string[], env: Record<string, string> = {}, endpointFlag = true): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/eventline.mjs', ...(endpointFlag ? ['--endpoint', stack.url] : []), ...args],
      {
        timeout: 90_000,
        env: { ...process.env, NO_COLOR: '1', AWS_ENDPOINT_URL_SQS: listener.url, ...env },
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

async function json<T>(args: string[]): Promise<T> {
  const run = await eventline([...args, '--json']);
  if (run.code !== 0) throw new Error(`eventline ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Every message of a queue, taken out of it (bounded: the queues here hold a few). */
async function drain(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let i = 0; i < 20; i++) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) {
      all.push(m);
      await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return all;
}

const visible = async (url: string) =>
  Number(
    (
      await client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      )
    ).Attributes?.ApproximateNumberOfMessages,
  );

/** The S3 record of an event message. */
const recordOf = (m: Message) =>
  (
    JSON.parse(m.Body ?? '{}') as {
      Records: Array<{ s3: { configurationId: string; object: { key: string; eTag?: string } } }>;
    }
  ).Records[0]?.s3;

async function put(key: string, body: string): Promise<void> {
  await stack.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-cli-aws-'));
  stack = await LocalStack.start({
    config: parseConfig({ local: { port: 0 } }),
    dataDir: join(dir, 'data'),
    retryDelaysMs: [50, 100],
  });
  sqs = createSqsEmulator({ region: 'us-east-1', accountId: '000000000000' });
  listener = await sqs.listen(0);
  client = new SQSClient({
    endpoint: listener.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  urls.events =
    (await client.send(new CreateQueueCommand({ QueueName: 'eventline-events-dlq' }))).QueueUrl ?? '';
  urls.files = (await client.send(new CreateQueueCommand({ QueueName: 'eventline-dlq' }))).QueueUrl ?? '';
  urls.ingest =
    (
      await client.send(
        new CreateQueueCommand({
          QueueName: 'eventline-ingest',
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: arnOf('eventline-events-dlq'),
              maxReceiveCount: 5,
            }),
          },
        }),
      )
    ).QueueUrl ?? '';
});

afterAll(async () => {
  client?.destroy();
  await listener?.close();
  await sqs?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('files, records, notifications and status through DynamoDB, S3 and SQS', () => {
  it('print the ledger in --json with numbers as stored, and status says alarms are not local', async () => {
    await put('incoming/cli-aws-a.json', '{"id":"cli-aws-a","big":12345678901234567890123456789012345678}');
    await stack.idle();
    await client.send(new SendMessageCommand({ QueueUrl: urls.events, MessageBody: '{"Records":[]}' }));

    const files = await json<{ files: Array<Record<string, unknown>> }>(['files', '--search', 'cli-aws-a']);
    expect(files.files).toEqual([
      expect.objectContaining({
        bucket: BUCKET,
        key: 'incoming/cli-aws-a.json',
        status: 'PROCESSED',
        counts: expect.objectContaining({ written: 1 }),
        notification: expect.objectContaining({ status: 'SENT' }),
      }),
    ]);
    const records = await eventline(['records', '--search', 'cli-aws-a', '--json']);
    expect(records.stdout).toContain('"big":12345678901234567890123456789012345678');
    // Without --endpoint the CLI follows AWS_ENDPOINT_URL, as the banner exports it, and says so.
    const followed = await eventline(
      ['records', '--search', 'cli-aws-a', '--json'],
      { AWS_ENDPOINT_URL: stack.url, EVENTLINE_ENDPOINT: '' },
      false,
    );
    expect(followed.stdout).toContain('"big":12345678901234567890123456789012345678');
    expect(followed.stderr).toBe(
      `eventline: local stack eventline, region us-east-1, endpoint ${stack.url} (SQS: ${listener.url})\n`,
    );
    const notes = await json<{ notifications: Array<{ key: string }> }>(['notifications']);
    expect(notes.notifications.map((n) => n.key)).toContain('incoming/cli-aws-a.json');

    const status = await json<{
      mode: string;
      alarms: { note: string };
      queues: Array<{ queue: string; visible?: string; note?: string }>;
      attention: { counts: Array<Record<string, string>>; newest: Array<{ key: string }> };
    }>(['status']);
    expect(status.mode).toBe('queue');
    expect(status.alarms.note).toMatch(/no CloudWatch locally/);
    expect(status.queues.map((q) => q.queue)).toEqual(['ingest', 'files', 'events']);
    expect(status.queues.find((q) => q.queue === 'events')?.visible).toBe('1');
    expect(status.queues.find((q) => q.queue === 'ingest')?.note).toMatch(/CloudWatch only/);
    // status reads the sparse attention index, not the table: a processed file is not in it.
    expect(status.attention.newest.map((r) => r.key)).not.toContain('incoming/cli-aws-a.json');
    expect(status.attention.counts.length).toBeGreaterThan(0);
    const people = await eventline(['status']);
    expect(people.stdout).toMatch(/^alarms: no CloudWatch locally/m);
    expect(people.stdout).toMatch(/^events +1 +0 +0 /m);
    await drain(urls.events);
  });

  it("files --status PROCESSING lists a file in progress that carries an older version's owed notification (in the index as owing a step)", async () => {
    // Prepare: a newer version claimed while the older one's notification was owed, its invocation
    // then retried (attempt 2): the outcome owes a step and is PROCESSING
    await put('incoming/cli-aws-owing.json', '{"id":"cli-aws-owing"}');
    await stack.idle();
    const done = await stack.ledger.getFile(BUCKET, 'incoming/cli-aws-owing.json');
    if (!done) throw new Error('no outcome for cli-aws-owing');
    const older = { ...done, notification: { status: 'PENDING' as const, error: 'SNS was down' } };
    expect(
      await stack.ledger.putFile(
        {
          ...done,
          status: 'PROCESSING',
          attempts: 2,
          leaseUntil: Date.now() - 60_000,
          owed: [
            {
              route: older.route,
              status: older.status,
              attempts: older.attempts,
              counts: older.counts,
              notification: 'PENDING',
              deadLetter: older.deadLetter.status,
            },
          ],
        },
        done.rev,
      ),
    ).toBe(true);

    // Act
    const files = await json<{ files: Array<{ key: string; status: string }> }>([
      'files',
      '--status',
      'PROCESSING',
    ]);

    // Assess
    expect(files.files.map((f) => [f.key, f.status])).toContainEqual([
      'incoming/cli-aws-owing.json',
      'PROCESSING',
    ]);
  });
});

describe('dlq over SQS', () => {
  it('lists both queues, replays a letter as a replay event on the ingest queue, drops one, redrives the events queue with a move task', async () => {
    const letters = new SqsDeadLetters(client, urls.files);
    for (const key of ['incoming/letter-1.json', 'incoming/letter-2.json']) {
      await put(key, '{"id":1}');
      await letters.send({
        code: 'bad-format',
        reason: `${key}: malformed JSON`,
        object: { bucket: BUCKET, key },
        event: {},
        failedAt: '2026-11-29T20:00:00.000Z',
      });
    }
    const raw = { Records: [{ eventSource: 'aws:s3', s3: { object: { key: 'incoming/raw.json' } } }] };
    await client.send(new SendMessageCommand({ QueueUrl: urls.events, MessageBody: JSON.stringify(raw) }));

    const listed = await json<{ letters: Array<{ id: string; queue: string; key: string; code: string }> }>([
      'dlq',
      'list',
    ]);
    expect(listed.letters.map((l) => [l.queue, l.key, l.code]).sort()).toEqual([
      ['events', 'incoming/raw.json', 'event'],
      ['files', 'incoming/letter-1.json', 'bad-format'],
      ['files', 'incoming/letter-2.json', 'bad-format'],
    ]);
    // Listing hides nothing for long: the letters are visible again.
    expect(await visible(urls.files)).toBe(2);

    const first = listed.letters.find((l) => l.key === 'incoming/letter-1.json')?.id ?? '';
    const replay = await json<{ results: Array<{ id: string; status: string }> }>(['dlq', 'replay', first]);
    expect(replay.results).toEqual([
      { id: first, queue: 'files', key: 'incoming/letter-1.json', status: 'redriven' },
    ]);
    const sent = await drain(urls.ingest);
    expect(sent.map((m) => [recordOf(m)?.configurationId, recordOf(m)?.object.key])).toEqual([
      ['eventline-replay', 'incoming/letter-1.json'],
    ]);

    const second = listed.letters.find((l) => l.key === 'incoming/letter-2.json')?.id ?? '';
    const dropped = await eventline(['dlq', 'drop', second]);
    expect(dropped.code).toBe(0);
    expect(await visible(urls.files)).toBe(0);
    const unknown = await eventline(['dlq', 'drop', second]);
    expect(unknown.code).toBe(1);
    expect(afterTarget(unknown.stderr)).toBe(
      `eventline: no dead letter "${second}" in local stack at ${stack.url} (see: npx eventline dlq list)\n`,
    );

    const move = await json<{ results: Array<{ queue: string; status: string }> }>([
      'dlq',
      'replay',
      '--queue',
      'events',
    ]);
    expect(move.results).toEqual([expect.objectContaining({ id: '*', queue: 'events', status: 'moving' })]);
    let moved: Message[] = [];
    for (let i = 0; i < 100 && moved.length === 0; i++) {
      moved = await drain(urls.ingest);
      if (moved.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(moved.map((m) => JSON.parse(m.Body ?? ''))).toEqual([raw]);
  });

  it('status shows a redrive of the events queue while it runs, and not once it has ended', async () => {
    for (let i = 0; i < 100; i += 10) {
      await client.send(
        new SendMessageBatchCommand({
          QueueUrl: urls.events,
          Entries: Array.from({ length: 10 }, (_, n) => ({
            Id: String(n),
            MessageBody: `{"Records":[],"n":${i + n}}`,
          })),
        }),
      );
    }
    // One message a second: the task would run for 100 s, far longer than the two status calls.
    const { TaskHandle } = await client.send(
      new StartMessageMoveTaskCommand({
        SourceArn: arnOf('eventline-events-dlq'),
        DestinationArn: arnOf('eventline-ingest'),
        MaxNumberOfMessagesPerSecond: 1,
      }),
    );
    type Status = {
      queues: Array<{ queue: string; redrive?: { moved: number; toMove: number }; note?: string }>;
    };
    const events = (await json<Status>(['status'])).queues.find((q) => q.queue === 'events');
    expect(events?.redrive).toMatchObject({ toMove: 100, moved: expect.any(Number) });
    expect(events?.redrive?.moved).toBeLessThan(100);
    expect(events?.note).toMatch(/^redrive running: \d+ of 100 moved back$/);
    const people = await eventline(['status']);
    expect(people.stdout).toMatch(/^events .* redrive running: \d+ of 100 moved back$/m);

    await client.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    const after = (await json<Status>(['status'])).queues.find((q) => q.queue === 'events');
    expect(after).not.toHaveProperty('redrive');
    expect(after?.note).toBeUndefined();
    const left = [...(await drain(urls.ingest)), ...(await drain(urls.events))];
    expect(left).toHaveLength(100);
  });
});

describe('backfill', () => {
  it('sends one backfill event per routed object to the ingest queue, with progress on stderr', async () => {
    await drain(urls.ingest);
    const keys = ['incoming/bf-1.json', 'incoming/bf-2.json', 'incoming/bf-3.json', 'elsewhere/bf-4.json'];
    for (const key of keys) await put(key, '{"id":"bf"}');
    const run = await eventline(['backfill', '--prefix', 'incoming/bf-', '--rate', '2', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ listed: 3, sent: 3, to: `the ingest queue ${urls.ingest}` });
    expect(run.stderr).toMatch(/^backfill: 3 listed, 3 sent to the ingest queue .*: done$/m);
    const sent = await drain(urls.ingest);
    expect(sent.map((m) => recordOf(m)?.object.key).sort()).toEqual(keys.slice(0, 3));
    expect(new Set(sent.map((m) => recordOf(m)?.configurationId))).toEqual(new Set(['eventline-backfill']));
    expect(sent.every((m) => recordOf(m)?.object.eTag)).toBe(true);
  });
});

describe('reconcile', () => {
  it('finds an object without an outcome, an outcome stuck past its lease, one that still owes its notification and a FAILED file not in the DLQ; --fix re-drives each', async () => {
    // Prepare: three files processed by the stack, then the ledger made to show each case
    await put('incoming/rc-missing.json', '{"id":"rc-missing"}');
    await put('incoming/rc-stuck.json', '{"id":"rc-stuck"}');
    await put('incoming/rc-owes.json', '{"id":"rc-owes"}');
    await put('incoming/rc-failed.json', '{"id":');
    await put('incoming/rc-lettered.json', '{"id":');
    await stack.idle();
    await stack.clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: 'events',
        Key: { pk: { S: fileKey(BUCKET, 'incoming/rc-missing.json') } },
      }),
    );
    const stuck = await stack.ledger.getFile(BUCKET, 'incoming/rc-stuck.json');
    if (!stuck) throw new Error('no outcome for rc-stuck');
    expect(
      await stack.ledger.putFile(
        { ...stuck, status: 'PROCESSING', leaseUntil: Date.now() - 60_000 },
        stuck.rev,
      ),
    ).toBe(true);
    // Finding 3: the notification failed past every retry and the event's letter is gone.
    const owes = await stack.ledger.getFile(BUCKET, 'incoming/rc-owes.json');
    if (!owes) throw new Error('no outcome for rc-owes');
    expect(
      await stack.ledger.putFile(
        { ...owes, leaseUntil: 0, notification: { status: 'PENDING', error: 'SNS was down' } },
        owes.rev,
      ),
    ).toBe(true);
    await new SqsDeadLetters(client, urls.files).send({
      code: 'bad-format',
      reason: 'malformed',
      object: { bucket: BUCKET, key: 'incoming/rc-lettered.json' },
      event: {},
      failedAt: new Date().toISOString(),
    });
    await drain(urls.ingest);

    // Act: report, then fix
    const report = await eventline(['reconcile', '--json']);
    const fixed = await eventline(['reconcile', '--fix', '--json']);

    // Assess
    type Finding = { kind: string; key: string; fixed?: boolean };
    const ours = (run: Run) =>
      (JSON.parse(run.stdout) as { findings: Finding[] }).findings
        .filter((f) => f.key.startsWith('incoming/rc-'))
        .map((f) => [f.kind, f.key, f.fixed ?? false])
        .sort();
    expect(report.code).toBe(1);
    expect(report.stderr).toMatch(
      /^reconcile: \d+ object\(s\) listed, \d+ outcome\(s\) read, \d+ finding\(s\)$/m,
    );
    expect(ours(report)).toEqual([
      ['failed-not-in-dlq', 'incoming/rc-failed.json', false],
      ['no-outcome', 'incoming/rc-missing.json', false],
      ['owes', 'incoming/rc-owes.json', false],
      ['stuck', 'incoming/rc-stuck.json', false],
    ]);
    expect(ours(fixed)).toEqual([
      ['failed-not-in-dlq', 'incoming/rc-failed.json', true],
      ['no-outcome', 'incoming/rc-missing.json', true],
      ['owes', 'incoming/rc-owes.json', true],
      ['stuck', 'incoming/rc-stuck.json', true],
    ]);
    const sent = (await drain(urls.ingest))
      .map((m) => [recordOf(m)?.configurationId, recordOf(m)?.object.key])
      .filter(([, key]) => key?.startsWith('incoming/rc-'))
      .sort();
    expect(sent).toEqual([
      ['eventline-backfill', 'incoming/rc-missing.json'],
      ['eventline-backfill', 'incoming/rc-owes.json'],
      ['eventline-backfill', 'incoming/rc-stuck.json'],
      ['eventline-replay', 'incoming/rc-failed.json'],
    ]);
  });
});
