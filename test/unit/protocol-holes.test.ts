import { type DynamoDbApi, DynamoLedger, type S3Api, S3ObjectSource } from '@eventline/aws';
import { type EventlineConfigInput, parseConfig } from '@eventline/config';
import { PermanentError, Pipeline, TransientError } from '@eventline/core';
import { describe, expect, it } from 'vitest';
import { FakeDynamo } from '../sim/fake-dynamo.ts';
import {
  ManualClock,
  MemoryContinuations,
  MemoryDeadLetters,
  MemoryLedger,
  MemoryNotifier,
  MemorySource,
  objectEvent,
} from '../support/memory-ports.ts';

/**
 * The holes of issue 22 that the protocol simulator (test/sim) also explores, each pinned as a named
 * scenario on in-memory ports that failed before its fix. docs/protocol.md names the invariant each
 * one breaks.
 */

function setup(config: EventlineConfigInput = {}) {
  const ledger = new MemoryLedger();
  const source = new MemorySource();
  const notifier = new MemoryNotifier();
  const deadLetters = new MemoryDeadLetters();
  const clock = new ManualClock();
  const pipeline = new Pipeline({
    config: parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json' }], ...config }),
    source,
    ledger,
    notifier,
    deadLetters,
    continuations: new MemoryContinuations(),
    clock,
  });
  return { ledger, source, notifier, deadLetters, clock, pipeline };
}

/** The event `backfill`, `reconcile --fix` and the local stack's restart send: ETag and size, no sequencer. */
const listingEvent = (t: ReturnType<typeof setup>, key: string) => {
  const { sequencer: _s, ...event } = objectEvent(t.source, key, { origin: 'backfill' });
  return event;
};

describe('hole 7: the idempotency key comes from the object version alone (I8)', () => {
  it('is the same whether the outcome was reached from the S3 event or from a re-drive without a sequencer', async () => {
    const direct = setup();
    direct.source.put('incoming/a.json', '{"id":"a-1"}');
    await direct.pipeline.processObject(objectEvent(direct.source, 'incoming/a.json'));

    const redriven = setup();
    redriven.source.put('incoming/a.json', '{"id":"a-1"}');
    redriven.source.failure = new TransientError('aws-unavailable', 'GetObject: S3 is down');
    await expect(
      redriven.pipeline.processObject(objectEvent(redriven.source, 'incoming/a.json')),
    ).rejects.toBeInstanceOf(TransientError);
    redriven.source.failure = undefined;
    expect((await redriven.pipeline.processObject(listingEvent(redriven, 'incoming/a.json'))).status).toBe(
      'processed',
    );

    const key = (t: ReturnType<typeof setup>) => t.notifier.sent[0]?.attributes.idempotencyKey?.value;
    expect(key(redriven)).toBeDefined();
    expect(key(redriven)).toBe(key(direct));
  });
});

describe('hole 14: a dead letter carries a dedupe key (I10)', () => {
  it("is the failure notification's idempotency key, the same for every letter of that outcome", async () => {
    const t = setup();
    // The object is gone by the time the event is handled: the file fails permanently.
    const event = { ...objectEvent(t.source, 'incoming/gone.json'), eTag: 'e-gone' };
    expect((await t.pipeline.processObject(event)).status).toBe('failed');
    const key = t.notifier.sent[0]?.attributes.idempotencyKey?.value;
    expect(key).toBeDefined();
    expect(t.deadLetters.letters.map((l) => l.dedupeKey)).toEqual([key]);
  });
});

describe('hole 9: a replayed file gets fresh attempts', () => {
  it('is processed again after it failed on its last attempt, instead of failing at once', async () => {
    const t = setup({ files: { maxAttempts: 2 } });
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    const event = objectEvent(t.source, 'incoming/a.json');
    t.source.failure = new TransientError('aws-unavailable', 'GetObject: S3 is down');
    await expect(t.pipeline.processObject(event)).rejects.toBeInstanceOf(TransientError);
    expect((await t.pipeline.processObject(event)).status).toBe('failed');
    expect(t.deadLetters.letters).toHaveLength(1);
    // The outage is over; the operator replays the dead letter.
    t.source.failure = undefined;
    const replayed = await t.pipeline.processObject({ ...event, origin: 'replay' }, { replay: true });
    expect(replayed.status).toBe('processed');
    expect(t.deadLetters.letters).toHaveLength(1);
    expect(t.notifier.sent.map((n) => n.json.status)).toEqual(['FAILED', 'PROCESSED']);
  });
});

describe('hole 8: one sender of owed steps', () => {
  it('a newer version waits while a finished version is leased to send its steps', async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1","v":1}');
    const v1 = objectEvent(t.source, 'incoming/a.json');
    t.notifier.down = true;
    await expect(t.pipeline.processObject(v1)).rejects.toBeInstanceOf(TransientError);
    // A redelivery of v1 takes the lease to send its notification, and is still sending...
    const [id] = [...t.ledger.files.keys()];
    const owing = t.ledger.files.get(id!)!;
    t.ledger.files.set(id!, { ...owing, rev: owing.rev + 1, leaseUntil: t.clock.now() + 60_000 });
    // ...when v2 arrives: it must not take the item over (and with it v1's notification).
    t.notifier.down = false;
    t.source.put('incoming/a.json', '{"id":"a-1","v":2}');
    await expect(t.pipeline.processObject(objectEvent(t.source, 'incoming/a.json'))).rejects.toThrow(
      /being processed elsewhere/,
    );
    expect(t.notifier.sent).toHaveLength(0);
  });
});

describe('holes 5 and 6: an event without a sequencer is ordered by asking S3 (I1)', () => {
  it('hole 6: a backfill event listed before an overwrite leaves the newer PROCESSED outcome alone', async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1","v":1}');
    const listedV1 = listingEvent(t, 'incoming/a.json');
    t.source.put('incoming/a.json', '{"id":"a-1","v":22}');
    const v2 = objectEvent(t.source, 'incoming/a.json');
    expect((await t.pipeline.processObject(v2)).status).toBe('processed');
    expect((await t.pipeline.processObject(listedV1)).status).toBe('stale');
    const [state] = [...t.ledger.files.values()];
    expect(state).toMatchObject({ status: 'PROCESSED', eTag: v2.eTag, sequencer: v2.sequencer });
    expect(t.notifier.sent).toHaveLength(1);
  });

  it("hole 5: reconcile's re-drive of a stuck older version does not overwrite the newer one", async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1","v":1}');
    const v1 = objectEvent(t.source, 'incoming/a.json');
    t.source.put('incoming/a.json', '{"id":"a-1","v":22}');
    const v2 = objectEvent(t.source, 'incoming/a.json');
    expect((await t.pipeline.processObject(v2)).status).toBe('processed');
    // reconcile --fix sends the version the ledger named (v1's ETag) without a sequencer.
    const { sequencer: _s, ...redrive } = v1;
    expect((await t.pipeline.processObject({ ...redrive, origin: 'backfill' })).status).toBe('stale');
    // and an S3 event older than a claim made without a sequencer is stale too.
    const t2 = setup();
    t2.source.put('incoming/a.json', '{"id":"a-1","v":1}');
    const old = objectEvent(t2.source, 'incoming/a.json');
    t2.source.put('incoming/a.json', '{"id":"a-1","v":22}');
    expect((await t2.pipeline.processObject(listingEvent(t2, 'incoming/a.json'))).status).toBe('processed');
    expect((await t2.pipeline.processObject(old)).status).toBe('stale');
    expect([...t2.ledger.files.values()][0]).toMatchObject({
      status: 'PROCESSED',
      eTag: t2.source.objects.get('incoming/a.json')?.eTag,
    });
  });
});

describe('hole 2: owed steps are bounded in the item but never dropped (I7)', () => {
  it("announces every version of 12 written during an SNS outage, the first one's too", async () => {
    const dynamo = new FakeDynamo();
    const api: DynamoDbApi = {
      getItem: async (input) => dynamo.getItem(input),
      putItem: async (input) => dynamo.putItem(input),
      updateItem: async (input) => dynamo.updateItem(input),
      batchWriteItem: async (input) => dynamo.batchWriteItem(input),
    };
    const t = setup();
    const pipeline = new Pipeline({
      config: parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json' }] }),
      source: t.source,
      ledger: new DynamoLedger({ tableName: 'ledger', dynamodb: api, clock: t.clock }),
      notifier: t.notifier,
      deadLetters: t.deadLetters,
      clock: t.clock,
    });
    t.notifier.down = true;
    const events = [];
    for (let v = 1; v <= 12; v++) {
      t.source.put('incoming/a.json', `{"id":"a-1","v":${v}${' '.repeat(v)}}`);
      const event = objectEvent(t.source, 'incoming/a.json');
      events.push(event);
      await expect(pipeline.processObject(event)).rejects.toBeInstanceOf(TransientError);
    }
    t.notifier.down = false;
    // The outage is over: the last version's event is redelivered.
    await pipeline.processObject(events.at(-1)!);
    const announced = new Set(t.notifier.sent.map((n) => n.json.sequencer));
    expect([...announced].length).toBe(12);
    for (const event of events) expect(announced.has(event.sequencer)).toBe(true);
  });
});

describe('I7: a replay of a FAILED outcome that still owes its notification announces the failure too', () => {
  it("sends the owed FAILED notification before the replayed attempt's PROCESSED one (real DynamoLedger)", async () => {
    const dynamo = new FakeDynamo();
    const api: DynamoDbApi = {
      getItem: async (input) => dynamo.getItem(input),
      putItem: async (input) => dynamo.putItem(input),
      updateItem: async (input) => dynamo.updateItem(input),
      batchWriteItem: async (input) => dynamo.batchWriteItem(input),
    };
    const t = setup();
    const pipeline = new Pipeline({
      config: parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json' }], files: { maxAttempts: 1 } }),
      source: t.source,
      ledger: new DynamoLedger({ tableName: 'ledger', dynamodb: api, clock: t.clock }),
      notifier: t.notifier,
      deadLetters: t.deadLetters,
      clock: t.clock,
    });
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    const event = objectEvent(t.source, 'incoming/a.json');
    // S3 is down on the only attempt, SNS too: FAILED is stored and dead-lettered, its Publish fails
    // (as when the stack restarts between the letter and the Publish): the notification is owed.
    t.source.failure = new TransientError('aws-unavailable', 'GetObject: S3 is down');
    t.notifier.down = true;
    await expect(pipeline.processObject(event)).rejects.toBeInstanceOf(TransientError);
    expect(t.deadLetters.letters).toHaveLength(1);
    expect(t.notifier.sent).toHaveLength(0);
    // Both are back; the operator replays the letter before any redelivery finished the steps.
    t.source.failure = undefined;
    t.notifier.down = false;
    const replayed = await pipeline.processObject({ ...event, origin: 'replay' }, { replay: true });
    expect(replayed.status).toBe('processed');
    expect(t.notifier.sent.map((n) => n.json.status)).toEqual(['FAILED', 'PROCESSED']);
    expect(t.deadLetters.letters).toHaveLength(1);
    // Nothing is owed any more: a redelivery of the event is a duplicate.
    expect((await pipeline.processObject(event)).status).toBe('duplicate');
  });
});

describe('finding 6: a 403 on HeadObject is a denial, not a missing object (I1, nothing silently dropped)', () => {
  it('retries the listing event with access-denied naming the permission instead of skipping it as stale', async () => {
    const t = setup();
    // A mock of the AWS cloud's S3 (named so): GetObject serves the memory objects, HeadObject is denied.
    const cloudS3: S3Api = {
      getObject: async ({ Key }) => {
        const object = t.source.objects.get(Key);
        if (!object) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
        return {
          Body: (async function* () {
            yield object.body;
          })(),
          ContentLength: object.body.length,
          ETag: `"${object.eTag}"`,
        };
      },
      headObject: async () => {
        throw Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      },
      putObject: async () => ({}),
    };
    const pipeline = new Pipeline({
      config: parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json' }] }),
      source: new S3ObjectSource(cloudS3),
      ledger: t.ledger,
      notifier: t.notifier,
      deadLetters: t.deadLetters,
      clock: t.clock,
    });
    t.source.put('incoming/a.json', '{"id":"a-1","v":1}');
    expect((await pipeline.processObject(objectEvent(t.source, 'incoming/a.json'))).status).toBe('processed');
    // Overwritten; backfill lists the new version (no sequencer): ordering it needs HeadObject.
    t.source.put('incoming/a.json', '{"id":"a-1","v":22}');
    const listed = listingEvent(t, 'incoming/a.json');
    const attempt = pipeline.processObject(listed);
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toMatchObject({ code: 'access-denied' });
    await expect(attempt).rejects.toThrow(/HeadObject.*403.*s3:ListBucket/);
    // The ledger still holds v1's outcome, untouched; the event stays to be retried (events DLQ).
    expect([...t.ledger.files.values()][0]).toMatchObject({ status: 'PROCESSED' });
    expect(t.notifier.sent).toHaveLength(1);
  });
});

describe('finding 2: a FAILED outcome claimed from a listing is not the same version as a new write of the same bytes (I6)', () => {
  const body = '{"id":"a-1"}';
  // The object is served, then the read fails for good (after S3 named the version it served).
  const failing = { beforeChunk: async () => Promise.reject(new PermanentError('bad', 'unreadable')) };

  for (const versioned of [true, false]) {
    it(`processes the re-upload instead of dropping it as a duplicate (versioned=${versioned})`, async () => {
      const t = setup();
      t.source.put('incoming/a.json', body, { ...failing, ...(versioned ? { versionId: 'v1' } : {}) });
      expect((await t.pipeline.processObject(listingEvent(t, 'incoming/a.json'))).status).toBe('failed');
      const failed = [...t.ledger.files.values()][0];
      // fail() records the version S3 served, as complete() does: the outcome names its write.
      expect(failed?.versionId).toBe(versioned ? 'v1' : undefined);
      t.source.put('incoming/a.json', body, versioned ? { versionId: 'v2' } : {});
      const event = objectEvent(t.source, 'incoming/a.json', versioned ? { versionId: 'v2' } : {});
      expect(event.eTag).toBe(failed?.eTag);
      expect((await t.pipeline.processObject(event)).status).toBe('processed');
      expect(t.notifier.sent.map((n) => n.json.status)).toEqual(['FAILED', 'PROCESSED']);
      // Redelivered, the new write's event is now a duplicate: it names the version by sequencer.
      expect((await t.pipeline.processObject(event)).status).toBe('duplicate');
    });
  }
});

describe("adversarial review: a listing's FAILED outcome is not named by an identical re-upload's versionId (I6 beside I8)", () => {
  const body = '{"id":"a-1"}';
  /** HeadObject of the memory bucket, as S3 answers it for a versioned bucket (second-precision Last-Modified). */
  const versionedHead = (t: ReturnType<typeof setup>, modified: Map<string, string>) => {
    t.source.current = async (_bucket: string, key: string) => {
      const object = t.source.objects.get(key);
      if (!object) return undefined;
      return {
        eTag: object.eTag,
        ...(object.versionId ? { versionId: object.versionId } : {}),
        ...(modified.has(object.versionId ?? '')
          ? { lastModified: modified.get(object.versionId ?? '') }
          : {}),
      };
    };
  };

  it("processes the re-upload's S3 event when the listing claim of the first write ran out of attempts after it", async () => {
    const t = setup({ files: { maxAttempts: 1 } });
    const modified = new Map([
      ['v1', '2026-01-01T00:00:00.000Z'],
      ['v2', '2026-01-01T00:00:07.000Z'],
    ]);
    versionedHead(t, modified);
    t.source.put('incoming/a.json', body, { versionId: 'v1' });
    // backfill listed v1 (its LastModified is the event's time). The same bytes are uploaded again
    // (v2, one ETag) before the listing's event is processed; its only attempt cannot read (S3 is
    // down for GetObject) and fails without S3 naming a version; HeadObject finds v2 under the ETag.
    const listed = { ...listingEvent(t, 'incoming/a.json'), eventTime: modified.get('v1')! };
    t.source.put('incoming/a.json', body, { versionId: 'v2' });
    t.source.failure = new TransientError('aws-unavailable', 'GetObject: S3 is down');
    expect((await t.pipeline.processObject(listed)).status).toBe('failed');
    t.source.failure = undefined;
    const failed = [...t.ledger.files.values()][0];
    expect(failed?.versionId).not.toBe('v2');
    // v2's own S3 event: a write never tried, it deserves its attempt (finding 2), not a duplicate.
    const v2 = objectEvent(t.source, 'incoming/a.json', { versionId: 'v2', eventTime: modified.get('v2')! });
    expect((await t.pipeline.processObject(v2)).status).toBe('processed');
    expect(t.notifier.sent.map((n) => n.json.status)).toEqual(['FAILED', 'PROCESSED']);
  });

  it('still names the outcome by the versionId when HeadObject serves the write the listing saw', async () => {
    const t = setup({ files: { maxAttempts: 1 } });
    const modified = new Map([['v1', '2026-01-01T00:00:00.000Z']]);
    versionedHead(t, modified);
    t.source.put('incoming/a.json', body, { versionId: 'v1' });
    const listed = { ...listingEvent(t, 'incoming/a.json'), eventTime: '2026-01-01T00:00:00.412Z' };
    t.source.failure = new TransientError('aws-unavailable', 'GetObject: S3 is down');
    expect((await t.pipeline.processObject(listed)).status).toBe('failed');
    t.source.failure = undefined;
    expect([...t.ledger.files.values()][0]?.versionId).toBe('v1');
    // Its S3 event finds the outcome its own: one FAILED, one key (I8).
    const v1 = objectEvent(t.source, 'incoming/a.json', { versionId: 'v1' });
    expect((await t.pipeline.processObject(v1)).status).toBe('duplicate');
  });
});
