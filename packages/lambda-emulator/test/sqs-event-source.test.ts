import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchReport,
  partialFailures,
  type SqsEvent,
  SqsEventSource,
  type SqsEventSourceOptions,
} from '../src/sqs-event-source.ts';
import { type SqsEndpoint, startSqs } from './support/sqs.ts';

let sqs: SqsEndpoint;
beforeAll(async () => {
  sqs = await startSqs();
});
afterAll(async () => {
  await sqs?.close();
});

let queues = 0;
/** A queue with a short visibility timeout and a dead-letter queue after `maxReceiveCount` receives. */
async function queueWithDlq(maxReceiveCount = 2) {
  queues += 1;
  const dlq = await sqs.client.send(new CreateQueueCommand({ QueueName: `esm-dlq-${queues}` }));
  const dlqArn = await arnOf(dlq.QueueUrl!);
  const queue = await sqs.client.send(
    new CreateQueueCommand({
      QueueName: `esm-${queues}`,
      Attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  return { url: queue.QueueUrl!, arn: await arnOf(queue.QueueUrl!), dlqUrl: dlq.QueueUrl! };
}

async function arnOf(url: string): Promise<string> {
  const attributes = await sqs.client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return attributes.Attributes!.QueueArn!;
}

async function send(url: string, bodies: string[]) {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((body, n) => ({ Id: String(n), MessageBody: body })),
      }),
    );
  }
}

async function drain(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let round = 0; round < 10; round += 1) {
    const got = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (!got.Messages?.length) break;
    bodies.push(...got.Messages.map((m) => m.Body!));
  }
  return bodies.sort();
}

function mapping(queue: { url: string; arn: string }, overrides: Partial<SqsEventSourceOptions>) {
  return new SqsEventSource({
    sqs: sqs.client,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: 'us-east-1',
    batchSize: 10,
    maxBatchingWindowMs: 0,
    maximumConcurrency: 2,
    reportBatchItemFailures: true,
    waitTimeSeconds: 1,
    invoke: async () => ({}),
    ...overrides,
  });
}

/** Runs the mapping until `done` holds (bounded), then stops it. */
async function runUntil(source: SqsEventSource, done: () => boolean, limitMs = 20_000) {
  source.start();
  const deadline = Date.now() + limitMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await source.stop();
  if (!done()) throw new Error(`the condition did not hold within ${limitMs} ms`);
}

describe('the local SQS event source mapping', () => {
  it('invokes the function with SQS-shaped records and deletes a batch that succeeded', async () => {
    const queue = await queueWithDlq();
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: 'hello',
        MessageAttributes: { Author: { DataType: 'String', StringValue: 'eventline' } },
      }),
    );
    const events: SqsEvent[] = [];
    const source = mapping(queue, {
      invoke: async (event) => {
        events.push(event);
        return {};
      },
    });

    await runUntil(source, () => events.length === 1);

    const record = events[0]!.Records[0]!;
    expect(record).toMatchObject({
      body: 'hello',
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      messageAttributes: { Author: { stringValue: 'eventline', dataType: 'String', stringListValues: [] } },
    });
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(record.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(record.md5OfBody).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(await drain(queue.url)).toEqual([]);
  });

  it('returns only the items a partial batch response lists; they come back with a higher receive count', async () => {
    const queue = await queueWithDlq(5);
    await send(queue.url, ['a', 'b', 'c']);
    const seen: Array<{ body: string; count: string }> = [];
    const source = mapping(queue, {
      invoke: async (event) => {
        for (const r of event.Records)
          seen.push({ body: r.body, count: r.attributes.ApproximateReceiveCount! });
        const failed = event.Records.filter(
          (r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1',
        );
        return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });

    await runUntil(source, () => seen.some((s) => s.body === 'b' && s.count === '2'));

    expect(seen.filter((s) => s.body === 'a')).toEqual([{ body: 'a', count: '1' }]);
    expect(seen.filter((s) => s.body === 'c')).toEqual([{ body: 'c', count: '1' }]);
    expect(await drain(queue.url)).toEqual([]);
  });

  it('deletes nothing when the function fails; after maxReceiveCount SQS moves the messages to the DLQ', async () => {
    const queue = await queueWithDlq(2);
    await send(queue.url, ['x', 'y']);
    const batches: BatchReport[] = [];
    const source = mapping(queue, {
      invoke: async () => {
        throw new Error('Task timed out after 1.00 seconds');
      },
    });
    source.on('batch', (b: BatchReport) => batches.push(b));

    let inDlq: string[] = [];
    source.start();
    const deadline = Date.now() + 30_000;
    while (inDlq.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const got = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
      );
      inDlq = [...inDlq, ...(got.Messages ?? []).map((m) => m.Body!)];
    }
    await source.stop();

    expect(inDlq.sort()).toEqual(['x', 'y']);
    expect(batches.every((b) => b.outcome === 'failed' && b.deleted === 0)).toBe(true);
    expect(batches[0]?.error).toBe('Task timed out after 1.00 seconds');
  });

  it('a batch whose instance timed out or died keeps the visibility timeout, even with quick local retries', async () => {
    const counts = async (url: string) => {
      const { Attributes } = await sqs.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return {
        visible: Number(Attributes?.ApproximateNumberOfMessages),
        hidden: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
      };
    };
    const seen: Record<string, unknown> = {};
    for (const lost of [false, true]) {
      queues += 1;
      const created = await sqs.client.send(
        new CreateQueueCommand({ QueueName: `esm-keep-${queues}`, Attributes: { VisibilityTimeout: '60' } }),
      );
      const queue = { url: created.QueueUrl!, arn: await arnOf(created.QueueUrl!) };
      await send(queue.url, ['claimed']);
      const batches: BatchReport[] = [];
      const source = mapping(queue, {
        invoke: async () => {
          throw Object.assign(new Error('Task timed out after 1.00 seconds'), { lost });
        },
        // The local shortcut: visible again at once.
        retryVisibilitySeconds: () => 0,
        keepsVisibility: (error) => (error as { lost?: boolean }).lost === true,
      });
      source.on('batch', (b: BatchReport) => batches.push(b));
      // A function error takes the shortcut: the message is back at once, received a second time
      // (with the queue's 60 s it could not be within the bound). A lost instance's batch stays hidden.
      await runUntil(source, () => batches.length >= (lost ? 1 : 2));
      seen[lost ? 'lost' : 'error'] = {
        report: batches[0]?.atVisibilityTimeout ?? false,
        ...(lost ? await counts(queue.url) : {}),
      };
    }
    expect(seen).toEqual({ error: { report: false }, lost: { report: true, visible: 0, hidden: 1 } });
  });

  it('quick local retries of an item another invocation holds: its last delivery waits until no holder can have it', async () => {
    queues += 1;
    const created = await sqs.client.send(
      new CreateQueueCommand({ QueueName: `esm-held-${queues}`, Attributes: { VisibilityTimeout: '60' } }),
    );
    const queue = { url: created.QueueUrl!, arn: await arnOf(created.QueueUrl!) };
    await send(queue.url, ['held', 'held-long', 'failed', 'fine']);
    const bodies = new Map<string, string>();
    const seen: Array<{ body: string; at: number }> = [];
    const batches: BatchReport[] = [];
    const source = mapping(queue, {
      maxBatchingWindowMs: 500,
      invoke: async (event) => {
        for (const r of event.Records) {
          bodies.set(r.messageId, r.body);
          seen.push({ body: r.body, at: Date.now() });
        }
        const failed = event.Records.filter((r) => r.body !== 'fine');
        return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      retryVisibilitySeconds: () => 0,
      // The third delivery is the last (SQS dead-letters at the fourth receive).
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 60,
      // A live holder can renew its lease until its timeout: 3 s from now, past the 1 s it logged.
      holdMs: 3_000,
      heldUntil: (id) =>
        bodies.get(id) === 'held'
          ? Date.now() + 1_000
          : bodies.get(id) === 'held-long'
            ? Date.now() + 120_000
            : undefined,
    });
    source.on('batch', (b: BatchReport) => batches.push(b));

    await runUntil(source, () => seen.filter((s) => s.body === 'held').length >= 3);

    const held = seen.filter((s) => s.body === 'held').map((s) => s.at);
    // Second delivery quick, the last one once no holder can have the file (holdMs, not the lease).
    expect(held[1]! - held[0]!).toBeLessThan(1_500);
    expect(held[2]! - held[1]!).toBeGreaterThanOrEqual(3_000);
    // Held past the queue's 60 s visibility timeout: the last delivery waits for that, as on Lambda.
    expect(seen.filter((s) => s.body === 'held-long')).toHaveLength(2);
    // Not held: quick every time.
    expect(seen.filter((s) => s.body === 'failed').length).toBeGreaterThanOrEqual(3);
    expect(seen.filter((s) => s.body === 'fine')).toHaveLength(1);
    // Held back: 'held' and 'held-long' at their second delivery (one batch or two: two pollers), and
    // 'held' again at its third if that batch settled before the mapping stopped; never 'failed'.
    expect(batches.reduce((sum, b) => sum + (b.heldBack ?? 0), 0)).toBeGreaterThanOrEqual(2);
    expect(batches.reduce((sum, b) => sum + (b.heldBack ?? 0), 0)).toBeLessThanOrEqual(3);
    expect(batches.filter((b) => b.heldBack).every((b) => b.outcome === 'partial')).toBe(true);
  });

  it('fails the whole batch on an invalid partial response, as Lambda does', async () => {
    const queue = await queueWithDlq(5);
    await send(queue.url, ['only']);
    const batches: BatchReport[] = [];
    const source = mapping(queue, { invoke: async () => ({ batchItemFailures: [{ foo: 'notvalid' }] }) });
    source.on('batch', (b: BatchReport) => batches.push(b));

    await runUntil(source, () => batches.length >= 1);

    expect(batches[0]).toMatchObject({ outcome: 'failed', deleted: 0, returned: 1 });
    expect(batches[0]?.error).toContain('invalid partial batch response');
  });

  it('gathers a batch across receives within the batching window', async () => {
    const queue = await queueWithDlq(5);
    await send(
      queue.url,
      Array.from({ length: 25 }, (_, i) => `m${i}`),
    );
    const sizes: number[] = [];
    const source = mapping(queue, {
      batchSize: 25,
      maxBatchingWindowMs: 2_000,
      invoke: async (event) => {
        sizes.push(event.Records.length);
        return {};
      },
    });

    await runUntil(source, () => sizes.reduce((a, b) => a + b, 0) >= 25);

    expect(Math.max(...sizes)).toBeGreaterThan(10);
  });

  it('refuses settings Lambda refuses', () => {
    const queue = { url: 'http://127.0.0.1:1/q', arn: 'arn:aws:sqs:us-east-1:000000000000:q' };
    expect(() => mapping(queue, { batchSize: 11, maxBatchingWindowMs: 0 })).toThrow(
      'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10',
    );
    expect(() => mapping(queue, { maximumConcurrency: 1 })).toThrow('maximumConcurrency: expected 2 to 1000');
  });
});

describe('partial batch responses', () => {
  const ids = new Set(['m1', 'm2']);
  it.each([
    [null, []],
    [{}, []],
    [{ batchItemFailures: null }, []],
    [{ batchItemFailures: [] }, []],
    [{ batchItemFailures: [{ itemIdentifier: 'm2' }] }, ['m2']],
  ])('%j returns %j', (response, expected) => {
    expect([...(partialFailures(response, ids) as Set<string>)]).toEqual(expected);
  });
  it.each([
    ['a string', 'ok'],
    ['an unknown id', { batchItemFailures: [{ itemIdentifier: 'm9' }] }],
    ['an empty id', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a wrong key', { batchItemFailures: [{ foo: 'm1' }] }],
    ['not a list', { batchItemFailures: 'm1' }],
  ])('%s fails the whole batch', (_, response) => {
    expect(partialFailures(response, ids)).toBe('invalid');
  });
});
