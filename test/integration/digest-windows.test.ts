// Digest windows over the real DynamoLedger on the DynamoDB emulator: each file's outcome joins one
// window in the outcome's own write (TransactWriteItems), a full window moves outcomes to the next
// part and is closed at once, a close publishes once with the window's key, and a lost response
// after the transaction applied (a crash, as the client sees it) counts the file once.

import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type DynamoDbApi, DynamoLedger, windowKey } from '@eventline/aws';
import { createClients, destroyClients } from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import {
  type DigestScheduler,
  digestCloseMessage,
  digestDueQuery,
  digestKey,
  dueWindowOf,
  normaliseEvent,
  Pipeline,
  type WindowRef,
} from '@eventline/core';
import { ensureLedgerTable, startLocalDynamo } from '@eventline/dynamodb-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ManualClock,
  MemoryDeadLetters,
  MemoryNotifier,
  MemorySource,
  objectEvent,
} from '../support/memory-ports.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

class RecordingScheduler implements DigestScheduler {
  readonly closes: Array<{ window: WindowRef; delaySeconds: number }> = [];
  async schedule(window: WindowRef, delaySeconds: number): Promise<void> {
    this.closes.push({ window, delaySeconds });
  }
}

/** The SQS record a close message arrives as (the ingest queue's event source). */
const closeRecord = (window: WindowRef, id: string) => ({
  Records: [
    {
      messageId: id,
      receiptHandle: id,
      body: JSON.stringify(digestCloseMessage(window)),
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
      awsRegion: 'us-east-1',
    },
  ],
});

let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
let clients: ReturnType<typeof createClients>;

beforeAll(async () => {
  dynamo = await startLocalDynamo({});
  clients = createClients({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${dynamo.port}`,
    credentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  destroyClients(clients);
  await dynamo.close();
});

const route = { id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson' } as const;

async function setup(notify: unknown, options: { crashAfterTransaction?: () => boolean } = {}) {
  const table = `digest-${Math.random().toString(36).slice(2)}`;
  await ensureLedgerTable(clients.dynamodb, table);
  const calls: string[] = [];
  const real = clients.dynamodb;
  // The real client, with the operations counted and a response lost after a transaction applied.
  const counted =
    <I, O>(name: string, call: (input: I) => Promise<O>) =>
    (input: I) => {
      calls.push(name);
      return call(input);
    };
  const dynamodb: DynamoDbApi = {
    getItem: counted('GetItem', (input) => real.getItem(input)),
    putItem: counted('PutItem', (input) => real.putItem(input)),
    updateItem: counted('UpdateItem', (input) => real.updateItem(input)),
    batchWriteItem: counted('BatchWriteItem', (input) => real.batchWriteItem(input)),
    transactWriteItems: async (input) => {
      calls.push('TransactWriteItems');
      const out = await real.transactWriteItems!(input);
      if (options.crashAfterTransaction?.())
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return out;
    },
  };
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 10));
  const ledger = new DynamoLedger({ tableName: table, dynamodb, clock });
  const source = new MemorySource();
  const notifier = new MemoryNotifier();
  const scheduler = new RecordingScheduler();
  const pipeline = new Pipeline({
    config: parseConfig({ routes: [{ ...route, notify }] }),
    source,
    ledger,
    notifier,
    deadLetters: new MemoryDeadLetters(),
    digests: scheduler,
    clock,
    sleep: async () => {},
  });
  const windowItem = async (ref: WindowRef) => {
    const { Item } = await real.getItem({
      TableName: table,
      Key: { pk: { S: windowKey(ref) } },
      ConsistentRead: true,
    });
    return Item ? unmarshall(Item) : undefined;
  };
  return { table, calls, clock, ledger, source, notifier, scheduler, pipeline, windowItem };
}

const file = (i: number) => `${JSON.stringify({ id: `r${i}`, v: i })}\n`;

describe('digest windows on the DynamoDB emulator', () => {
  it('counts each outcome in one window, fills a window and moves on, and publishes each window once', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 3 } });
    for (let i = 0; i < 4; i += 1) t.source.put(`iot/${i}.ndjson`, file(i));
    for (let i = 0; i < 4; i += 1) {
      expect((await t.pipeline.processObject(objectEvent(t.source, `iot/${i}.ndjson`))).status).toBe(
        'processed',
      );
    }
    // A missing object fails permanently: it counts in the digest with its reason.
    expect((await t.pipeline.processObject(objectEvent(t.source, 'iot/gone.ndjson'))).status).toBe('failed');
    expect(t.notifier.sent).toHaveLength(0);

    const start = Date.UTC(2026, 0, 1, 0, 0, 0);
    const part0 = { route: 'iot', start, part: 0 };
    const part1 = { route: 'iot', start, part: 1 };
    // Each window's close was sent before its first outcome; the full one also closes at once.
    expect(t.scheduler.closes).toEqual([
      { window: part0, delaySeconds: 50 },
      { window: part0, delaySeconds: 0 },
      { window: part1, delaySeconds: 50 },
    ]);
    expect(await t.windowItem(part0)).toMatchObject({ files: 3, processed: 3, failed: 0, written: 3 });
    expect(await t.windowItem(part1)).toMatchObject({
      files: 2,
      processed: 1,
      failed: 1,
      failures: [{ key: 'iot/gone.ndjson', code: 'object-missing' }],
    });
    expect((await t.ledger.getFile('b', 'iot/3.ndjson'))?.digest).toBe(`iot/${start}/1`);

    t.clock.advance(60_000);
    for (const [i, { window }] of t.scheduler.closes.entries()) {
      const [message] = normaliseEvent(closeRecord(window, `m${i}`));
      expect(message?.kind).toBe('digest-close');
      await t.pipeline.handleMessage(message!);
    }
    expect(t.notifier.sent.map((n) => n.json.idempotencyKey)).toEqual([digestKey(part0), digestKey(part1)]);
    expect(t.notifier.sent.map((n) => n.json.files)).toEqual([
      { total: 3, processed: 3, failed: 0 },
      { total: 2, processed: 1, failed: 1 },
    ]);
    expect(t.notifier.sent[1]?.text).toContain('Failed: iot/gone.ndjson');
    expect(await t.windowItem(part1)).toMatchObject({ messageId: 'm-2' });

    // A window closed is closed: a later outcome in the same slot joins the next part.
    t.clock.time = start + 30_000;
    t.source.put('iot/late.ndjson', file(9));
    await t.pipeline.processObject(objectEvent(t.source, 'iot/late.ndjson'));
    expect(await t.windowItem({ route: 'iot', start, part: 2 })).toMatchObject({ files: 1 });
  });

  it('counts a file once when the response to its outcome write is lost and the event is redelivered', async () => {
    let crash = true;
    const t = await setup(
      { digest: { everySeconds: 60, maxFiles: 100 } },
      {
        crashAfterTransaction: () => {
          const now = crash;
          crash = false;
          return now;
        },
      },
    );
    t.source.put('iot/a.ndjson', file(1));
    const event = objectEvent(t.source, 'iot/a.ndjson');
    await expect(t.pipeline.processObject(event)).rejects.toThrow();
    // The redelivery finds the outcome written (the transaction had applied): a duplicate, not counted again.
    expect((await t.pipeline.processObject(event)).status).toBe('duplicate');
    const window = { route: 'iot', start: Date.UTC(2026, 0, 1), part: 0 };
    expect(await t.windowItem(window)).toMatchObject({ files: 1, processed: 1 });
    // Redelivered closes publish one digest.
    t.clock.advance(60_000);
    for (const id of ['c1', 'c1', 'c2'])
      await t.pipeline.handleMessage(normaliseEvent(closeRecord(window, id))[0]!);
    expect(t.notifier.sent).toHaveLength(1);
    expect(t.notifier.sent[0]?.attributes.status?.value).toBe('DIGEST');
  });

  it('publishes a window once when two closes run at the same time (the timed one and the early one)', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 100 } });
    t.source.put('iot/a.ndjson', file(1));
    await t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    const window = { route: 'iot', start: Date.UTC(2026, 0, 1), part: 0 };
    const results = await Promise.allSettled(
      ['t1', 't2', 't3'].map((id) => t.pipeline.handleMessage(normaliseEvent(closeRecord(window, id))[0]!)),
    );
    expect(t.notifier.sent).toHaveLength(1);
    // A close that found another publishing is retried by SQS; the retry finds the digest sent.
    for (const result of results.filter((r) => r.status === 'rejected')) {
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/another close is publishing it/);
    }
    for (const id of ['r1', 'r2'])
      await t.pipeline.handleMessage(normaliseEvent(closeRecord(window, id))[0]!);
    expect(t.notifier.sent).toHaveLength(1);
  });

  it('publishes a window whose first close failed to publish when the close comes back (its hold is released)', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 100 } });
    t.source.put('iot/a.ndjson', file(1));
    await t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    const window = { route: 'iot', start: Date.UTC(2026, 0, 1), part: 0 };
    t.clock.advance(60_000);
    // SNS (a mock of the cloud here) refuses the close's Publish: the close fails and SQS returns it.
    t.notifier.down = true;
    await expect(t.pipeline.handleMessage(normaliseEvent(closeRecord(window, 'c'))[0]!)).rejects.toThrow(
      /SNS is down/,
    );
    t.notifier.down = false;
    // The local stack returns it after 1 s, then 2 s (well inside the lease): each delivery must be
    // able to publish, or the close is dead-lettered after its deliveries and the window never sent.
    t.clock.advance(1_000);
    await t.pipeline.handleMessage(normaliseEvent(closeRecord(window, 'c'))[0]!);
    expect(t.notifier.sent.map((n) => n.json.idempotencyKey)).toEqual([digestKey(window)]);
    expect(await t.windowItem(window)).toMatchObject({ files: 1, messageId: 'm-1' });
  });

  it('lets a fresh container (part 0 in its cache) join a slot that has filled more than 20 parts', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 1 } });
    for (let i = 0; i < 25; i += 1) {
      t.source.put(`iot/${i}.ndjson`, file(i));
      await t.pipeline.processObject(objectEvent(t.source, `iot/${i}.ndjson`));
    }
    const start = Date.UTC(2026, 0, 1);
    expect(await t.windowItem({ route: 'iot', start, part: 24 })).toMatchObject({ files: 1 });
    // Another function instance over the same ledger: its cache starts at part 0 of the slot.
    const fresh = new Pipeline({
      config: parseConfig({ routes: [{ ...route, notify: { digest: { everySeconds: 60, maxFiles: 1 } } }] }),
      source: t.source,
      ledger: t.ledger,
      notifier: t.notifier,
      deadLetters: new MemoryDeadLetters(),
      digests: t.scheduler,
      clock: t.clock,
      sleep: async () => {},
    });
    t.source.put('iot/late.ndjson', file(99));
    expect((await fresh.processObject(objectEvent(t.source, 'iot/late.ndjson'))).status).toBe('processed');
    const id = (await t.ledger.getFile('b', 'iot/late.ndjson'))?.digest;
    const part = Number(id?.split('/')[2]);
    expect(part).toBeGreaterThan(24);
    expect(await t.windowItem({ route: 'iot', start, part })).toMatchObject({ files: 1 });
  });

  it('writes a digest outcome with its window in one request instead of the final PutItem and the Publish', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 100 } });
    t.source.put('iot/a.ndjson', file(1));
    t.source.put('iot/b.ndjson', file(2));
    await t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    // The container's first outcome in a window also records the window as owed a close (its due
    // item, the UpdateItem before the transaction); the next ones in that window do not.
    expect(t.calls).toEqual(['UpdateItem', 'BatchWriteItem', 'UpdateItem', 'TransactWriteItems']);
    t.calls.length = 0;
    await t.pipeline.processObject(objectEvent(t.source, 'iot/b.ndjson'));
    expect(t.calls).toEqual(['UpdateItem', 'BatchWriteItem', 'TransactWriteItems']);
    expect(t.notifier.sent).toHaveLength(0);
  });

  it('keeps a window owed a close in the attention index until it is sent, so a sweep finds one whose close letters were lost (T14)', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 100 } });
    const start = Date.UTC(2026, 0, 1);
    const window = { route: 'iot', start, part: 0 };
    const due = async (before: number) => {
      const page = await clients.documents.send(new QueryCommand(digestDueQuery(t.table, 'iot', before)));
      return (page.Items ?? []).map((item) => dueWindowOf(item));
    };
    t.source.put('iot/a.ndjson', file(1));
    await t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    // Its close was sent (and then lost: never delivered). Before its end the sweep leaves it alone.
    expect(t.scheduler.closes).toHaveLength(1);
    expect(await due(start + 59_000)).toEqual([]);
    expect(await due(start + 61_000)).toEqual([{ ...window, endsAt: start + 60_000 }]);
    // The sweep's close (reconcile --fix sends the same message) publishes it and takes it out.
    t.clock.advance(120_000);
    await t.pipeline.handleMessage(normaliseEvent(closeRecord(window, 'sweep'))[0]!);
    expect(t.notifier.sent.map((n) => n.json.files)).toEqual([{ total: 1, processed: 1, failed: 0 }]);
    expect(await due(start + 600_000)).toEqual([]);
    // A container that marks the window due after it was sent (its cache was fresh) is refused:
    // the window stays out of the index.
    await t.ledger.markWindowDue(window, start + 60_000);
    expect(await due(start + 600_000)).toEqual([]);
    // A close that crashed after marking the window sent, before clearing: its redelivery clears.
    const next = { route: 'iot', start: start + 120_000, part: 0 };
    await t.ledger.markWindowDue(next, next.start + 60_000);
    await t.ledger.markWindowSent(next, '', new Date(t.clock.now()).toISOString());
    expect(await due(start + 600_000)).toHaveLength(1);
    await t.pipeline.handleMessage(normaliseEvent(closeRecord(next, 'again'))[0]!);
    expect(await due(start + 600_000)).toEqual([]);
  });

  it('publishes a failure at once with failuresImmediately, and still counts it in the digest', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 100, failuresImmediately: true } });
    expect((await t.pipeline.processObject(objectEvent(t.source, 'iot/gone.ndjson'))).status).toBe('failed');
    expect(t.notifier.sent.map((n) => n.subject)).toEqual(['S3 Event Failed']);
    expect(await t.windowItem({ route: 'iot', start: Date.UTC(2026, 0, 1), part: 0 })).toMatchObject({
      files: 1,
      failed: 1,
    });
  });

  it("leaves the cost of an 'each' file unchanged: no transaction, no window", async () => {
    const t = await setup('each');
    t.source.put('iot/a.ndjson', file(1));
    await t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    // The claim, the record, the final write of PROCESSED and SENT (with GetObject and Publish: 5 requests).
    expect(t.calls).toEqual(['UpdateItem', 'BatchWriteItem', 'PutItem']);
    expect(t.scheduler.closes).toHaveLength(0);
    expect(t.notifier.sent).toHaveLength(1);
  });

  it('closes a window nobody joined without publishing, and the slot moves on to the next part', async () => {
    const t = await setup({ digest: { everySeconds: 60, maxFiles: 100 } });
    const window = { route: 'iot', start: Date.UTC(2026, 0, 1), part: 0 };
    await t.pipeline.handleMessage(normaliseEvent(closeRecord(window, 'x'))[0]!);
    expect(t.notifier.sent).toHaveLength(0);
    t.source.put('iot/a.ndjson', file(1));
    await t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    expect(await t.windowItem(window)).toMatchObject({ files: 0 });
    expect(await t.windowItem({ ...window, part: 1 })).toMatchObject({ files: 1 });
  });
});
