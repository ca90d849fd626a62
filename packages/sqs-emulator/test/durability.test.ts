import { spawn } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_FILE, type SqsEmulatorOptions } from '../src/index.ts';
import {
  CREDENTIALS,
  eventually,
  makeDataDir,
  REGION,
  type Running,
  removeDataDir,
  startEmulator,
} from './support.ts';

/** State across restarts, and moving messages out of a dead-letter queue (StartMessageMoveTask). */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(
  dataDir: string,
  warnings?: string[],
  extra?: Partial<SqsEmulatorOptions>,
): Promise<Running> {
  const running = await startEmulator(dataDir, warnings, extra);
  cleanups.push(() => running.stop());
  return running;
}

async function counts(sqs: Running, QueueUrl: string): Promise<Record<string, string>> {
  const { Attributes } = await sqs.client.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
  );
  return Attributes ?? {};
}

async function deadLetterSetup(sqs: Running, sourceName: string, dlqName: string) {
  const { QueueUrl: dlq } = await sqs.client.send(new CreateQueueCommand({ QueueName: dlqName }));
  const dlqArn = (await counts(sqs, dlq as string)).QueueArn as string;
  const { QueueUrl: source } = await sqs.client.send(
    new CreateQueueCommand({
      QueueName: sourceName,
      Attributes: {
        VisibilityTimeout: '0',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
      },
    }),
  );
  return { dlq: dlq as string, dlqArn, source: source as string };
}

/** Sends `n` messages to `source` and receives each past maxReceiveCount 1, so all end in the DLQ. */
async function deadLetter(sqs: Running, source: string, dlq: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    const Entries = Array.from({ length: Math.min(10, n - i) }, (_, j) => ({
      Id: `m${i + j}`,
      MessageBody: `body ${i + j}`,
    }));
    await sqs.client.send(new SendMessageBatchCommand({ QueueUrl: source, Entries }));
  }
  let received = 0;
  for (let attempt = 0; attempt < n * 4 && received < n; attempt++) {
    const got = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10 }),
    );
    received += got.Messages?.length ?? 0;
  }
  await eventually(async () => {
    await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10 }));
    return (await counts(sqs, dlq)).ApproximateNumberOfMessages === String(n) ? true : undefined;
  }, `${n} messages in the dead-letter queue`);
}

describe('persistence', () => {
  it('keeps queues, messages, receive counts and visibility across a restart', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const first = await startEmulator(dataDir);
    const { QueueUrl } = await first.client.send(
      new CreateQueueCommand({
        QueueName: 'durable',
        Attributes: { VisibilityTimeout: '300' },
        tags: { a: 'b' },
      }),
    );
    const url = QueueUrl as string;
    await first.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }));
    await first.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'two',
        MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
      }),
    );
    const inFlight = await first.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(inFlight.Messages).toHaveLength(1);
    await first.stop();

    const second = await started(dataDir);
    const url2 = url.replace(first.url, second.url);
    const after = await counts(second, url2);
    expect(after).toMatchObject({
      VisibilityTimeout: '300',
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    const got = await second.client.send(
      new ReceiveMessageCommand({
        QueueUrl: url2,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(got.Messages?.[0]?.MessageId).not.toBe(inFlight.Messages?.[0]?.MessageId);
    expect(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    // The handle from before the restart still deletes its message.
    await second.client.send(
      new DeleteMessageCommand({ QueueUrl: url2, ReceiptHandle: inFlight.Messages?.[0]?.ReceiptHandle }),
    );
    expect((await counts(second, url2)).ApproximateNumberOfMessagesNotVisible).toBe('1');
  });

  it('remembers FIFO deduplication ids and group order across a restart', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const first = await startEmulator(dataDir);
    const { QueueUrl } = await first.client.send(
      new CreateQueueCommand({
        QueueName: 'orders.fifo',
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    for (const body of ['one', 'two'])
      await first.client.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: 'g' }));
    await first.stop();
    const second = await started(dataDir);
    const url = (QueueUrl as string).replace(first.url, second.url);
    await second.client.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g' }),
    );
    const got = await second.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    expect(got.Messages?.map((m) => m.Body)).toEqual(['one', 'two']);
  });

  it('skips a torn last record and reports it', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const first = await startEmulator(dataDir);
    const { QueueUrl } = await first.client.send(new CreateQueueCommand({ QueueName: 'torn' }));
    await first.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'kept' }));
    await first.stop();
    const log = join(dataDir, LOG_FILE);
    expect((await readFile(log, 'utf8')).split('\n').filter(Boolean)).toHaveLength(2);
    await appendFile(log, '{"op":"put","queue":"torn","mess');
    const warnings: string[] = [];
    const second = await started(dataDir, warnings);
    expect(warnings.join('\n')).toContain('unfinished last record');
    const got = await second.client.send(
      new ReceiveMessageCommand({ QueueUrl: (QueueUrl as string).replace(first.url, second.url) }),
    );
    expect(got.Messages?.map((m) => m.Body)).toEqual(['kept']);

    // What this run writes after the torn record starts a line of its own: a third start reads it
    // (appended to the fragment, it was lost and the log refused to load as corrupt).
    const url = (QueueUrl as string).replace(first.url, second.url);
    await second.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after the crash' }));
    await second.stop();
    const third = await started(dataDir);
    const again = await third.client.send(
      new ReceiveMessageCommand({
        QueueUrl: (QueueUrl as string).replace(first.url, third.url),
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    // ('kept' is in flight: the second run received it.)
    expect(again.Messages?.map((m) => m.Body)).toEqual(['after the crash']);
  });
});

describe('crash', () => {
  it('keeps every acknowledged send when the process is killed with SIGKILL mid-stream', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url)), dataDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
      child.once('exit', (code) => reject(new Error(`the emulator exited early (${code})`)));
    });
    const client = new SQSClient({ endpoint: url, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    cleanups.push(async () => client.destroy());
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'crash' }));
    const acknowledged = new Set<string>();
    let failures = 0;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; i < 200; i++) {
          if (worker === 0 && i === 60) child.kill('SIGKILL');
          try {
            const sent = await client.send(
              new SendMessageCommand({ QueueUrl, MessageBody: `w${worker}-${i}` }),
            );
            acknowledged.add(sent.MessageId as string);
          } catch {
            failures++;
            return;
          }
        }
      }),
    );
    await exited;
    expect(acknowledged.size).toBeGreaterThanOrEqual(60);
    expect(failures).toBeGreaterThan(0);

    const after = await started(dataDir);
    const recovered = new Set<string>();
    for (let attempt = 0; attempt < 400; attempt++) {
      const got = await after.client.send(
        new ReceiveMessageCommand({
          QueueUrl: (QueueUrl as string).replace(url, after.url),
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 600,
        }),
      );
      if (!got.Messages) break;
      for (const message of got.Messages) recovered.add(message.MessageId as string);
    }
    const lost = [...acknowledged].filter((id) => !recovered.has(id));
    expect(lost).toEqual([]);
  });
});

describe('compaction', () => {
  it('rewrites the log from the live state while requests go on, losing nothing', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const compaction = { minRecords: 40, factor: 2 };
    const first = await startEmulator(dataDir, [], { compaction });
    const { QueueUrl } = await first.client.send(new CreateQueueCommand({ QueueName: 'churn' }));
    const url = QueueUrl as string;
    // Sends, receives and deletes interleave, so snapshots are taken with writes pending.
    // Four sends in five are received and deleted; one in five stays.
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; i < 15; i++) {
          await first.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `w${worker}-${i}` }));
          if (i % 5 === 4) continue;
          const got = await first.client.send(
            new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 600 }),
          );
          for (const message of got.Messages ?? [])
            await first.client.send(
              new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
            );
        }
      }),
    );
    const before = await counts(first, url);
    const lines = (await readFile(join(dataDir, LOG_FILE), 'utf8')).split('\n').filter(Boolean).length;
    await first.stop();
    const total =
      Number(before.ApproximateNumberOfMessages) + Number(before.ApproximateNumberOfMessagesNotVisible);
    // Each worker has sent one more message than it received before every receive, so all 96 succeed.
    expect(total).toBe(24);
    // 8 × 15 sends alone are 120 records; the file holds far fewer after the rewrites.
    expect(lines).toBeLessThan(120);
    const second = await started(dataDir, [], { compaction });
    const after = await counts(second, url.replace(first.url, second.url));
    expect([after.ApproximateNumberOfMessages, after.ApproximateNumberOfMessagesNotVisible]).toEqual([
      before.ApproximateNumberOfMessages,
      before.ApproximateNumberOfMessagesNotVisible,
    ]);
  });
});

describe('message move tasks', () => {
  it('moves dead-lettered messages back to their source queue', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const sqs = await started(dataDir);
    const { dlq, dlqArn, source } = await deadLetterSetup(sqs, 'orders', 'orders-dlq');
    await deadLetter(sqs, source, dlq, 3);
    const { TaskHandle } = await sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(TaskHandle).toBeTruthy();
    const done = await eventually(async () => {
      const { Results } = await sqs.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
      return Results?.[0]?.Status === 'COMPLETED' ? Results[0] : undefined;
    }, 'the move task to complete');
    expect(done).toMatchObject({ ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 });
    expect(done.TaskHandle).toBeUndefined();
    expect((await counts(sqs, dlq)).ApproximateNumberOfMessages).toBe('0');
    const back = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: source,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(back.Messages?.map((m) => m.Body).sort()).toEqual(['body 0', 'body 1', 'body 2']);
    expect(back.Messages?.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['1', '1', '1']);
  });

  it('moves no faster than MaxNumberOfMessagesPerSecond', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const sqs = await started(dataDir);
    const { dlqArn, source, dlq } = await deadLetterSetup(sqs, 'paced', 'paced-dlq');
    await deadLetter(sqs, source, dlq, 3);
    const startedAt = Date.now();
    await sqs.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 }),
    );
    const seen: Array<{ at: number; moved: number; status: string }> = [];
    await eventually(async () => {
      const { Results } = await sqs.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
      const task = Results?.[0];
      seen.push({
        at: Date.now() - startedAt,
        moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
        status: task?.Status ?? '',
      });
      return task?.Status === 'COMPLETED' ? true : undefined;
    }, 'the move task to complete');
    // One a second: at most 1 + floor(elapsed s) moved at any moment; all 3 take about 2 s.
    for (const point of seen)
      expect(point.moved, JSON.stringify(point)).toBeLessThanOrEqual(1 + Math.floor(point.at / 1000));
    expect(seen.at(-1)!.at).toBeGreaterThanOrEqual(1_900);
  });

  it('moves dead-lettered messages to a chosen destination queue', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const sqs = await started(dataDir);
    const { dlq, dlqArn, source } = await deadLetterSetup(sqs, 'payments', 'payments-dlq');
    await deadLetter(sqs, source, dlq, 2);
    const { QueueUrl: replay } = await sqs.client.send(
      new CreateQueueCommand({ QueueName: 'payments-replay' }),
    );
    const replayArn = (await counts(sqs, replay as string)).QueueArn;
    await sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: replayArn }));
    await eventually(async () => {
      const { Results } = await sqs.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
      return Results?.[0]?.Status === 'COMPLETED' ? true : undefined;
    }, 'the move task to complete');
    expect((await counts(sqs, replay as string)).ApproximateNumberOfMessages).toBe('2');
    expect((await counts(sqs, source)).ApproximateNumberOfMessages).toBe('0');
  });

  it('refuses a source that is no dead-letter queue, a second running task, and cancels a running one', async () => {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const sqs = await started(dataDir);
    const { dlq, dlqArn, source } = await deadLetterSetup(sqs, 'slow', 'slow-dlq');
    const sourceArn = (await counts(sqs, source)).QueueArn;
    await expect(
      sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Source queue must be configured as a Dead Letter Queue.',
    });
    await deadLetter(sqs, source, dlq, 20);
    const { TaskHandle } = await sqs.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 }),
    );
    await expect(
      sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const running = await sqs.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    expect(running.Results?.[0]).toMatchObject({
      Status: 'RUNNING',
      TaskHandle,
      MaxNumberOfMessagesPerSecond: 1,
    });
    const cancelled = await sqs.client.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThan(20);
    const { Results } = await sqs.client.send(
      new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }),
    );
    expect(Results?.[0]?.Status).toBe('CANCELLED');
    const left = Number((await counts(sqs, dlq)).ApproximateNumberOfMessages);
    expect(left + (cancelled.ApproximateNumberOfMessagesMoved ?? 0)).toBe(20);
    await expect(sqs.client.send(new CancelMessageMoveTaskCommand({ TaskHandle }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
