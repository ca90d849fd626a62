import type { S3Client } from '@aws-sdk/client-s3';
import type { FileState } from '@eventline/core';
import { encodeS3Key } from '@eventline/core';
import type { StoredDeadLetter } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BadInput, CORPUS_CONFIG, corpus } from './support/bad-inputs.ts';
import {
  type BackdoorWriter,
  BUCKET,
  countBy,
  deliveredNotifications,
  type LedgerView,
  type NotificationDoc,
  report,
  s3Client,
  s3Event,
  scanLedger,
  sqsRecord,
  startBackdoorWriter,
  startTestStack,
  type TestStack,
  uploadAll,
} from './support/harness.ts';

/**
 * The bad-input corpus. Part 1: files put through the edge (malformed JSON at several positions,
 * broken gzip, empty files, BOM, invalid UTF-8, non-objects, nesting and numbers DynamoDB refuses,
 * 400 KB+ records, duplicate ids, awkward and over-long keys...), mixed with good files. Part 2:
 * events handed to the handler directly (other buckets, s3:TestEvent, objects that no longer
 * exist, absurd declared sizes, garbage SQS bodies, broken records...).
 * Every case must end the way it should, with a message naming the object (or the message) and the
 * position or field; and nothing else may be lost: every good file has its record and its one
 * notification, every failure exactly one dead letter and one failure notification.
 */

const GOOD_FILES = 30;

interface EventCase {
  name: string;
  /** The event handed to the handler. */
  event: () => unknown;
  /** What must follow (checked after all cases ran). */
  check: (ctx: Context) => void;
}

interface Context {
  ledger: LedgerView;
  letters: StoredDeadLetter[];
  notes: NotificationDoc[];
  results: Map<string, { result?: unknown; error?: unknown }>;
}

describe('bad input corpus', () => {
  let test: TestStack;
  let writer: BackdoorWriter;
  let s3: S3Client;
  const files = corpus();
  const good = Array.from({ length: GOOD_FILES }, (_, i) => ({
    key: `incoming/control/${String(i).padStart(2, '0')}.json`,
    body: JSON.stringify({ id: `control-${i}`, n: i }),
  }));
  const refusals = new Map<string, Error>();
  const objects = new Map<string, { key: string; eTag: string; size: number }>();
  const ctx: Context = { ledger: undefined!, letters: [], notes: [], results: new Map() };
  const events: EventCase[] = [];

  const state = (key: string): FileState | undefined => ctx.ledger.files.get(key);
  const lettersFor = (text: string) =>
    ctx.letters.filter((l) => l.reason.includes(text) || JSON.stringify(l.event).includes(`"${text}"`));
  const resultOf = (name: string) => ctx.results.get(name)!;
  const outcomesOf = (name: string) =>
    (resultOf(name).result as { outcomes: Array<{ status: string }> }).outcomes;
  const failuresOf = (name: string) =>
    (resultOf(name).result as { batchItemFailures: unknown[] }).batchItemFailures;

  // Part 2: events, built on objects written behind the pipeline's back (so no event of their own).
  const sqs = (name: string, bodies: Array<{ id: string; body: unknown }>) => ({
    Records: bodies.map(({ id, body }) => sqsRecord(body, `${name}-${id}`)),
  });
  const badEvent = (messageId: string, ...fragments: string[]) => {
    const letters = lettersFor(messageId);
    expect(letters, messageId).toHaveLength(1);
    expect(letters[0]?.code).toBe('bad-event');
    expect(letters[0]?.reason).toContain(`SQS message ${messageId}: `);
    for (const fragment of fragments) expect(letters[0]?.reason).toContain(fragment);
  };
  const processedOnce = (key: string) => {
    expect(state(key)?.status, key).toBe('PROCESSED');
    expect(ctx.ledger.recordsByObject.get(key), key).toHaveLength(1);
    expect(
      ctx.notes.filter((n) => n.key === key && n.status === 'PROCESSED'),
      key,
    ).toHaveLength(1);
  };
  events.push(
    {
      name: 's3:TestEvent, direct',
      event: () => ({
        Service: 'Amazon S3',
        Event: 's3:TestEvent',
        Time: '2026-01-05T10:00:00.123Z',
        Bucket: BUCKET,
        RequestId: 'T1',
        HostId: 'h',
      }),
      check: () => {
        expect(outcomesOf('s3:TestEvent, direct')).toEqual([]);
        expect(lettersFor('T1')).toEqual([]);
      },
    },
    {
      name: 's3:TestEvent inside SQS, next to a good record',
      event: () =>
        sqs('test-event', [
          { id: 'test', body: { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET } },
          { id: 'good', body: s3Event(objects.get('incoming/events/good-1.json')!) },
        ]),
      check: () => {
        expect(failuresOf('s3:TestEvent inside SQS, next to a good record')).toEqual([]);
        expect(lettersFor('test-event-test')).toEqual([]);
        processedOnce('incoming/events/good-1.json');
      },
    },
    {
      name: 'an event for another bucket',
      event: () =>
        s3Event({ key: 'incoming/events/good-2.json', eTag: 'abc', size: 10 }, { bucket: 'someone-elses' }),
      check: () => {
        expect(outcomesOf('an event for another bucket')).toEqual([
          expect.objectContaining({ status: 'ignored', bucket: 'someone-elses' }),
        ]);
        expect(state('incoming/events/good-2.json')).toBeUndefined();
      },
    },
    {
      name: 'an object that no longer exists',
      event: () =>
        s3Event({ key: 'incoming/events/deleted.json', eTag: 'd41d8cd98f00b204e9800998ecf8427e', size: 5 }),
      check: () => {
        const s = state('incoming/events/deleted.json');
        expect(s?.status).toBe('FAILED');
        expect(s?.error?.code).toBe('object-missing');
        expect(s?.error?.message).toBe(
          'eventline-local/incoming/events/deleted.json: the object no longer exists',
        );
        expect(ctx.letters.filter((l) => l.object?.key === 'incoming/events/deleted.json')).toHaveLength(1);
        expect(
          ctx.notes.filter((n) => n.key === 'incoming/events/deleted.json' && n.status === 'FAILED'),
        ).toHaveLength(1);
      },
    },
    {
      name: 'declared size of 5 GiB (the object is small)',
      event: () => s3Event({ ...objects.get('incoming/events/declared-huge.json')!, size: 5 * 1024 ** 3 }),
      check: () => {
        const s = state('incoming/events/declared-huge.json');
        expect(s?.status).toBe('FAILED');
        expect(s?.error?.code).toBe('too-large');
        expect(s?.error?.message).toBe(
          'incoming/events/declared-huge.json: 5368709120 bytes is over the default limit of 10485760 bytes for format json (a json file is read whole): raise it with maxFileBytes on route "json", or send large files as json-array or ndjson, which are streamed',
        );
      },
    },
    {
      name: 'declared size of 0 bytes for a non-empty object',
      event: () => s3Event({ ...objects.get('incoming/events/declared-zero.json')!, size: 0 }),
      check: () => processedOnce('incoming/events/declared-zero.json'),
    },
    {
      name: 'a zero-byte object, declared as such',
      event: () => s3Event(objects.get('incoming/events/zero.json')!),
      check: () => {
        const s = state('incoming/events/zero.json');
        expect(s?.status).toBe('FAILED');
        expect(s?.error?.message).toBe(
          'incoming/events/zero.json: the file is empty; expected a JSON object',
        );
      },
    },
    {
      name: 'a negative declared size',
      event: () =>
        sqs('negative', [{ id: 'm', body: s3Event({ key: 'incoming/events/neg.json', size: -1 }) }]),
      check: () => badEvent('negative-m', 'Records[0]: s3.object.size'),
    },
    {
      name: 'ObjectRemoved:Delete is not a creation',
      event: () => s3Event({ key: 'incoming/events/good-3.json' }, { eventName: 'ObjectRemoved:Delete' }),
      check: () => {
        expect(outcomesOf('ObjectRemoved:Delete is not a creation')).toEqual([]);
        expect(state('incoming/events/good-3.json')).toBeUndefined();
      },
    },
    {
      name: 'three records: another bucket, a good object, a missing one',
      event: () => ({
        Records: [
          ...s3Event({ key: 'incoming/events/x.json' }, { bucket: 'other-bucket' }).Records,
          ...s3Event(objects.get('incoming/events/good-4.json')!).Records,
          ...s3Event({ key: 'incoming/events/missing-2.json', eTag: 'e', size: 2 }).Records,
        ],
      }),
      check: () => {
        expect(
          outcomesOf('three records: another bucket, a good object, a missing one').map((o) => o.status),
        ).toEqual(['ignored', 'processed', 'failed']);
        processedOnce('incoming/events/good-4.json');
        expect(state('incoming/events/missing-2.json')?.error?.code).toBe('object-missing');
      },
    },
    {
      name: 'EventBridge "Object Created"',
      event: () => {
        const o = objects.get('incoming/events/good-5.json')!;
        return {
          version: '0',
          id: 'eb-1',
          'detail-type': 'Object Created',
          source: 'aws.s3',
          account: '000000000000',
          time: '2026-01-05T10:00:00Z',
          region: 'us-east-1',
          resources: [`arn:aws:s3:::${BUCKET}`],
          detail: {
            version: '0',
            bucket: { name: BUCKET },
            object: { key: o.key, size: o.size, etag: o.eTag, sequencer: '00FF00FF00FF00FF' },
            reason: 'PutObject',
          },
        };
      },
      check: () => processedOnce('incoming/events/good-5.json'),
    },
    {
      name: 'EventBridge event without an object key',
      event: () =>
        sqs('eb-bad', [
          {
            id: 'm',
            body: {
              'detail-type': 'Object Created',
              source: 'aws.s3',
              time: 't',
              detail: { bucket: { name: BUCKET }, object: {} },
            },
          },
        ]),
      check: () => badEvent('eb-bad-m', 'detail.object.key'),
    },
    {
      name: 'an unrecognised event shape',
      event: () => ({ hello: 'world' }),
      check: () => {
        expect(outcomesOf('an unrecognised event shape')).toEqual([]);
        const letters = ctx.letters.filter((l) => JSON.stringify(l.event) === '{"hello":"world"}');
        expect(letters).toHaveLength(1);
        expect(letters[0]?.reason).toContain('unrecognised event');
      },
    },
    {
      name: 'garbage SQS bodies, each next to good records',
      event: () =>
        sqs('garbage', [
          { id: 'text', body: 'this is not JSON' },
          { id: 'empty', body: '' },
          { id: 'null', body: 'null' },
          { id: 'number', body: '42' },
          { id: 'array', body: '[1, 2, 3]' },
          { id: 'good-a', body: s3Event(objects.get('incoming/events/good-6.json')!) },
          { id: 'object', body: '{}' },
          { id: 'records-string', body: '{"Records": "nope"}' },
          { id: 'records-garbage', body: '{"Records": [{"eventSource": "aws:s3"}]}' },
          { id: 'good-b', body: s3Event(objects.get('incoming/events/good-7.json')!) },
        ]),
      check: () => {
        expect(failuresOf('garbage SQS bodies, each next to good records')).toEqual([]);
        badEvent('garbage-text', 'body is not JSON');
        badEvent('garbage-empty', 'body is not JSON');
        badEvent('garbage-null', 'no "Records" array');
        badEvent('garbage-number', 'no "Records" array');
        badEvent('garbage-array', 'no "Records" array');
        badEvent('garbage-object', 'no "Records" array');
        badEvent('garbage-records-string', 'no "Records" array');
        badEvent('garbage-records-garbage', 'Records[0]: eventVersion');
        processedOnce('incoming/events/good-6.json');
        processedOnce('incoming/events/good-7.json');
      },
    },
    {
      name: 'SNS envelope whose Message is not JSON',
      event: () =>
        sqs('sns-garbage', [{ id: 'm', body: { Type: 'Notification', MessageId: 'x', Message: '{oops' } }]),
      check: () => badEvent('sns-garbage-m', 'SNS Message is not JSON'),
    },
    {
      name: 'a record with eventVersion 1.0',
      event: () => {
        const event = s3Event(objects.get('incoming/events/good-8.json')!);
        (event.Records[0] as { eventVersion: string }).eventVersion = '1.0';
        return sqs('version', [{ id: 'm', body: event }]);
      },
      check: () => {
        badEvent('version-m', 'Records[0]: eventVersion: expected a 2.x eventVersion, received "1.0"');
        expect(state('incoming/events/good-8.json')).toBeUndefined();
      },
    },
    {
      name: 'a key that is not valid URL encoding',
      event: () => {
        const event = s3Event({ key: 'incoming/events/x.json' });
        (event.Records[0] as { s3: { object: { key: string } } }).s3.object.key =
          'incoming/events/%E0%A4%A.json';
        return sqs('encoding', [{ id: 'm', body: event }]);
      },
      check: () => badEvent('encoding-m', 'Records[0].s3.object.key: not a valid URL-encoded key'),
    },
    {
      name: 'a record without its object key',
      event: () => {
        const event = s3Event({ key: 'incoming/events/x.json' });
        delete (event.Records[0] as { s3: { object: { key?: string } } }).s3.object.key;
        return sqs('no-key', [{ id: 'm', body: event }]);
      },
      check: () => badEvent('no-key-m', 'Records[0]: s3.object.key'),
    },
    {
      name: 'an SQS record without a messageId, next to a good one',
      event: () => {
        const batch = sqs('no-id', [
          { id: 'broken', body: 'x' },
          { id: 'good', body: s3Event(objects.get('incoming/events/good-9.json')!) },
        ]);
        delete (batch.Records[0] as { messageId?: string }).messageId;
        return batch;
      },
      check: () => {
        expect(failuresOf('an SQS record without a messageId, next to a good one')).toEqual([]);
        processedOnce('incoming/events/good-9.json');
        const letters = ctx.letters.filter((l) => l.reason.startsWith('Records[0]: messageId'));
        expect(letters).toHaveLength(1);
      },
    },
    {
      name: 'a key with + and spaces, encoded as S3 encodes it',
      event: () => s3Event(objects.get('incoming/events/a b+c.json')!),
      check: () => {
        expect(encodeS3Key('incoming/events/a b+c.json')).toBe('incoming/events/a+b%2Bc.json');
        processedOnce('incoming/events/a b+c.json');
      },
    },
  );

  beforeAll(async () => {
    // In process: the corpus config's schema is code defined here, and a function bundle (deployed,
    // or the local stack's worker instances) takes code only from eventline.config.ts (config/bundled.ts).
    test = await startTestStack({ config: CORPUS_CONFIG, stack: { functionRuntime: 'in-process' } });
    writer = await startBackdoorWriter(test.dataDir);
    s3 = s3Client(test.stack.url);
    // Part 1: the files, interleaved with good ones, through the edge.
    const uploads = files.flatMap((file, i) => {
      const control = good[i % GOOD_FILES];
      return i < GOOD_FILES && control ? [file, control] : [file];
    });
    const result = await uploadAll(s3, uploads, { concurrency: 4 });
    for (const [key, error] of result.failed) refusals.set(key, error);
    await test.stack.idle();
    // Part 2: the events.
    for (const name of [
      'good-1',
      'good-2',
      'good-3',
      'good-4',
      'good-5',
      'good-6',
      'good-7',
      'good-8',
      'good-9',
    ]) {
      const key = `incoming/events/${name}.json`;
      objects.set(key, await writer.put(key, JSON.stringify({ id: `event-${name}` })));
    }
    for (const [key, body] of [
      ['incoming/events/declared-huge.json', '{"id": "declared-huge"}'],
      ['incoming/events/declared-zero.json', '{"id": "declared-zero"}'],
      ['incoming/events/zero.json', ''],
      ['incoming/events/a b+c.json', '{"id": "plus-space"}'],
    ] as const) {
      objects.set(key, await writer.put(key, body));
    }
    for (const c of events) {
      try {
        ctx.results.set(c.name, { result: await test.stack.handler(c.event()) });
      } catch (error) {
        ctx.results.set(c.name, { error });
      }
    }
    await test.stack.idle();
    ctx.ledger = await scanLedger(test.stack.clients.documents);
    ctx.letters = await test.stack.deadLetters.list();
    ctx.notes = deliveredNotifications(test.subscriber);
  }, 5 * 60_000);

  afterAll(async () => {
    s3?.destroy();
    await writer?.close();
    await test?.close();
  });

  it(`has at least 50 distinct cases (${files.length} files, ${events.length} events)`, () => {
    expect(new Set([...files.map((f) => f.name), ...events.map((e) => e.name)]).size).toBe(
      files.length + events.length,
    );
    expect(files.length + events.length).toBeGreaterThanOrEqual(50);
  });

  it.each(files.map((f) => [f.name, f] as const))('file: %s', (_, file: BadInput) => {
    const s = state(file.key);
    if (file.refused) {
      const error = refusals.get(file.key);
      expect(error?.name).toBe(file.refused.code);
      expect(error?.message).toMatch(file.refused.message);
      expect(s).toBeUndefined();
      return;
    }
    expect(refusals.get(file.key)).toBeUndefined();
    const records = ctx.ledger.recordsByObject.get(file.key) ?? [];
    const notes = ctx.notes.filter((n) => n.key === file.key);
    const letters = ctx.letters.filter((l) => l.object?.key === file.key);
    if (file.fails) {
      expect(s?.status).toBe('FAILED');
      expect(s?.error?.code).toBe(file.fails.code);
      expect(
        s?.error?.message.startsWith(`${file.key}: `) || s?.error?.message.includes(`/${file.key}: `),
      ).toBe(true);
      for (const where of file.fails.where ?? []) expect(s?.error?.message).toMatch(where);
      expect(records).toEqual([]);
      expect(letters).toHaveLength(1);
      expect(letters[0]?.reason).toBe(s?.error?.message);
      expect(notes).toHaveLength(1);
      expect(notes[0]?.status).toBe('FAILED');
      expect(notes[0]?.error?.message).toBe(s?.error?.message);
      return;
    }
    expect(s?.status).toBe('PROCESSED');
    expect(letters).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.status).toBe('PROCESSED');
    if (file.rejects) {
      expect(records).toHaveLength(file.rejects.written);
      expect(s?.counts.rejected).toBe(file.rejects.positions.length === 1 ? 1 : s?.counts.rejected);
      const reasons = (s?.rejects ?? []).map((r) => r.reason).join('\n');
      expect(reasons).toContain(file.key);
      for (const where of file.rejects.positions) expect(reasons).toMatch(where);
      return;
    }
    expect(records).toHaveLength(file.processed?.records ?? 1);
    file.processed?.check?.(records);
  });

  it.each(events.map((e) => [e.name, e] as const))('event: %s', (_, c: EventCase) => {
    c.check(ctx);
  });

  it('lost nothing else: every good file has one record and one notification; every failure one letter', async () => {
    for (const file of good) {
      expect(ctx.ledger.files.get(file.key)?.status, file.key).toBe('PROCESSED');
      expect(ctx.ledger.recordsByObject.get(file.key), file.key).toHaveLength(1);
    }
    const perKey = countBy(ctx.notes, (n) => n.key);
    expect([...perKey].filter(([, n]) => n > 1)).toEqual([]);
    const failed = [...ctx.ledger.files.values()].filter((s) => s.status === 'FAILED');
    const lettersPerKey = countBy(
      ctx.letters.filter((l) => l.object),
      (l) => l.object!.key,
    );
    for (const s of failed) expect(lettersPerKey.get(s.key), s.key).toBe(1);
    expect([...ctx.ledger.files.values()].filter((s) => s.status === 'PROCESSING')).toEqual([]);
    expect(test.stack.activity.counters.retries).toBe(0);
    await report('bad-input', {
      cases: files.length + events.length,
      files: files.length,
      events: events.length,
      goodFilesAlongside: GOOD_FILES,
      failedAsExpected: failed.length,
      refusedAtUpload: refusals.size,
      deadLetters: ctx.letters.length,
      notifications: ctx.notes.length,
      retries: test.stack.activity.counters.retries,
      lost: 0,
      duplicated: [...perKey.values()].filter((n) => n > 1).length,
    });
  });
});
