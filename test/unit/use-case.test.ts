import { type EventlineConfigInput, parseConfig } from '@eventline/config';
import { Pipeline, TransientError } from '@eventline/core';
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  MemoryContinuations,
  MemoryDeadLetters,
  MemoryLedger,
  MemoryNotifier,
  MemorySource,
  objectEvent,
  seqOf,
} from '../support/memory-ports.ts';

/**
 * The processing use case's state machine on in-memory ports (no network): what each path costs in
 * ledger requests, and the holes of protocol v1 (issue 15), each as a scenario.
 */

const ndjsonRoute = {
  id: 'iot',
  prefix: 'iot/',
  suffix: '.ndjson',
  format: 'ndjson',
  key: 'deviceId',
} as const;

function setup(config: EventlineConfigInput = {}, options: { leaseMs?: number; chunkBytes?: number } = {}) {
  const ledger = new MemoryLedger();
  const source = new MemorySource(options.chunkBytes);
  const notifier = new MemoryNotifier();
  const deadLetters = new MemoryDeadLetters();
  const continuations = new MemoryContinuations();
  const clock = new ManualClock();
  const pipeline = new Pipeline({
    config: parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json' }, ndjsonRoute], ...config }),
    source,
    ledger,
    notifier,
    deadLetters,
    continuations,
    clock,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  return { ledger, source, notifier, deadLetters, continuations, clock, pipeline };
}

const lines = (n: number, tag: string) =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ deviceId: `d-${i}`, tag })).join('\n')}\n`;

describe('what a file costs in ledger requests', () => {
  it('a new small JSON file: one claim, one record, one final write (PROCESSED and SENT together)', async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    const outcome = await t.pipeline.processObject(objectEvent(t.source, 'incoming/a.json'));
    expect(outcome.status).toBe('processed');
    expect(t.ledger.calls).toEqual(['claim', 'putRecord', 'putFile:PROCESSED:SENT']);
    expect(t.notifier.sent).toHaveLength(1);
  });

  it('a redelivered finished file: the refused claim alone', async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    const event = objectEvent(t.source, 'incoming/a.json');
    await t.pipeline.processObject(event);
    t.ledger.calls.length = 0;
    expect((await t.pipeline.processObject(event)).status).toBe('duplicate');
    expect(t.ledger.calls).toEqual(['claim']);
    expect(t.notifier.sent).toHaveLength(1);
  });

  it('a new version of a finished key: the same three requests as a new file', async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1","v":1}');
    await t.pipeline.processObject(objectEvent(t.source, 'incoming/a.json'));
    t.source.put('incoming/a.json', '{"id":"a-1","v":2}');
    t.ledger.calls.length = 0;
    expect((await t.pipeline.processObject(objectEvent(t.source, 'incoming/a.json'))).status).toBe(
      'processed',
    );
    expect(t.ledger.calls).toEqual(['claim', 'putRecord', 'putFile:PROCESSED:SENT']);
  });

  it('writes PENDING only when Publish fails, and a redelivery sends it', async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    const event = objectEvent(t.source, 'incoming/a.json');
    t.notifier.down = true;
    await expect(t.pipeline.processObject(event)).rejects.toMatchObject({ code: 'notify-failed' });
    expect(t.ledger.files.get(`b/incoming/a.json`)).toMatchObject({
      status: 'PROCESSED',
      notification: { status: 'PENDING' },
      leaseUntil: 0,
    });
    t.notifier.down = false;
    expect((await t.pipeline.processObject(event)).status).toBe('finished');
    expect(t.notifier.sent).toHaveLength(1);
    expect((await t.pipeline.processObject(event)).status).toBe('duplicate');
  });
});

describe('owed steps survive supersession', () => {
  it("delivers an older version's pending notification when a newer version takes the file over", async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1","v":1}');
    const v1 = objectEvent(t.source, 'incoming/a.json');
    t.notifier.down = true;
    await expect(t.pipeline.processObject(v1)).rejects.toMatchObject({ code: 'notify-failed' });
    t.notifier.down = false;
    t.source.put('incoming/a.json', '{"id":"a-1","v":2}');
    const v2 = objectEvent(t.source, 'incoming/a.json');
    expect((await t.pipeline.processObject(v2)).status).toBe('processed');
    // v1's retry now finds a newer version: nothing to do, and nothing was dropped.
    expect((await t.pipeline.processObject(v1)).status).toBe('stale');
    const sequencers = t.notifier.sent.map((n) => n.json.sequencer);
    expect(sequencers).toEqual([v1.sequencer, v2.sequencer]);
    expect(t.ledger.files.get('b/incoming/a.json')?.owed).toBeUndefined();
  });

  it("delivers an older version's pending dead letter too", async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":');
    const v1 = objectEvent(t.source, 'incoming/a.json');
    t.notifier.down = true;
    await expect(t.pipeline.processObject(v1)).rejects.toMatchObject({ code: 'notify-failed' });
    expect(t.deadLetters.letters).toHaveLength(1);
    t.notifier.down = false;
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    await t.pipeline.processObject(objectEvent(t.source, 'incoming/a.json'));
    expect(t.notifier.sent.map((n) => n.subject)).toEqual(['S3 Event Failed', 'S3 Event Processed']);
  });
});

describe('attempts', () => {
  it('ends a file that keeps failing FAILED on its last attempt, dead-lettered and notified', async () => {
    const t = setup({ files: { maxAttempts: 3 } });
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    const event = objectEvent(t.source, 'incoming/a.json');
    t.source.failure = new TransientError('aws-unavailable', 'GetObject incoming/a.json: ServiceUnavailable');
    await expect(t.pipeline.processObject(event)).rejects.toBeInstanceOf(TransientError);
    await expect(t.pipeline.processObject(event)).rejects.toBeInstanceOf(TransientError);
    const last = await t.pipeline.processObject(event);
    expect(last).toMatchObject({ status: 'failed', error: { code: 'attempts-exhausted' } });
    expect(last.error?.message).toMatch(/failed 3 of 3 attempts; last error: TransientError: GetObject/);
    expect(t.deadLetters.letters).toHaveLength(1);
    expect(t.notifier.sent.map((n) => n.subject)).toEqual(['S3 Event Failed']);
    expect((await t.pipeline.processObject(event)).status).toBe('duplicate');
  });

  it('fails a file whose attempts died without a word (crashes) once they are used up', async () => {
    const t = setup({ files: { maxAttempts: 2 } }, { leaseMs: 1000 });
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    const event = objectEvent(t.source, 'incoming/a.json');
    // Two attempts claimed the file and died (their leases ran out).
    const claimed = await t.ledger.claim(
      {
        bucket: 'b',
        key: event.key,
        route: 'default',
        seq: seqOf(event),
        sequencer: event.sequencer!,
        eventTime: event.eventTime,
        status: 'PROCESSING',
        rev: 0,
        leaseUntil: t.clock.now() - 1,
        attempts: 2,
        counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
        rejects: [],
        notification: { status: 'NOT_NEEDED' },
        deadLetter: { status: 'NOT_NEEDED' },
        startedAt: '',
        updatedAt: '',
        ...(event.eTag ? { eTag: event.eTag } : {}),
      },
      t.clock.now(),
    );
    expect(claimed.claimed).toBe(true);
    const outcome = await t.pipeline.processObject(event);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'attempts-exhausted' } });
    expect(t.source.opens).toEqual([]);
  });

  it('fails a file on a programming error at once, with the reason, instead of retrying it', async () => {
    const t = setup();
    t.source.put('incoming/a.json', '{"id":"a-1"}');
    t.source.failure = new TypeError("Cannot read properties of undefined (reading 'body')");
    const outcome = await t.pipeline.processObject(objectEvent(t.source, 'incoming/a.json'));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'internal-error' } });
    expect(outcome.error?.message).toMatch(/TypeError: Cannot read properties of undefined/);
    expect(t.deadLetters.letters).toHaveLength(1);
  });
});

describe('fencing', () => {
  it('stops a writer whose lease ran out before its next batch; the newer version keeps its records', async () => {
    const t = setup({}, { leaseMs: 10_000, chunkBytes: 256 });
    let v2Done: Promise<unknown> | undefined;
    // v1 stalls in the middle of its file for longer than its lease; v2 is written meanwhile.
    t.source.put('iot/a.ndjson', lines(40, 'v1'), {
      beforeChunk: async (n) => {
        if (n !== 3 || v2Done) return;
        t.clock.advance(30_000);
        t.source.put('iot/a.ndjson', lines(40, 'v2'));
        v2Done = t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
        await v2Done;
      },
    });
    const v1 = t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    expect((await v1).status).toBe('superseded');
    expect(await v2Done).toMatchObject({ status: 'processed' });
    const tags = [...t.ledger.records.values()].map(
      (r) => (r.payload as { M: { tag: { S: string } } }).M.tag.S,
    );
    expect(tags).toHaveLength(40);
    expect(new Set(tags)).toEqual(new Set(['v2']));
    expect(t.ledger.files.get('b/iot/a.ndjson')).toMatchObject({ status: 'PROCESSED' });
  });

  it('renews the lease between batches of a long file, so a redelivery waits instead of taking over', async () => {
    const t = setup({}, { leaseMs: 10_000, chunkBytes: 256 });
    t.source.put('iot/a.ndjson', lines(200, 'v1'), {
      beforeChunk: async () => t.clock.advance(1_000),
    });
    const outcome = await t.pipeline.processObject(objectEvent(t.source, 'iot/a.ndjson'));
    expect(outcome).toMatchObject({ status: 'processed', counts: { written: 200 } });
    expect(t.ledger.calls.filter((c) => c === 'putFile:PROCESSING:NOT_NEEDED').length).toBeGreaterThan(2);
  });
});

describe('continuations', () => {
  it('pauses a long NDJSON file before the invocation ends and resumes it by range, each record once', async () => {
    const t = setup({}, { chunkBytes: 128 });
    const n = 2_000;
    t.source.put('iot/long.ndjson', lines(n, 'x'), { beforeChunk: async () => t.clock.advance(50) });
    const event = objectEvent(t.source, 'iot/long.ndjson');
    let outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 5_000 });
    let invocations = 1;
    let handled = 0;
    while (outcome.status === 'continued' && invocations < 100) {
      expect(t.continuations.scheduled).toHaveLength(invocations);
      const checkpoint = t.ledger.files.get('b/iot/long.ndjson')?.checkpoint;
      expect(checkpoint?.records).toBeGreaterThan(handled);
      expect(checkpoint?.records).toBe(checkpoint?.counts.read);
      handled = checkpoint?.records ?? 0;
      outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 5_000 });
      invocations += 1;
    }
    expect(invocations).toBeGreaterThan(2);
    expect(outcome).toMatchObject({ status: 'processed', counts: { read: n, written: n, rejected: 0 } });
    expect(t.ledger.records.size).toBe(n);
    expect([...t.ledger.writesPerKey.values()].every((count) => count === 1)).toBe(true);
    expect(t.source.opens.slice(1).every((o) => (o.fromByte ?? 0) > 0)).toBe(true);
    const state = t.ledger.files.get('b/iot/long.ndjson');
    expect(state).toMatchObject({ status: 'PROCESSED', attempts: 1 });
    expect(state?.checkpoint).toBeUndefined();
    expect(t.notifier.sent).toHaveLength(1);
  });

  it('resumes a checkpoint written before byte offsets by skipping its records, none written twice', async () => {
    const t = setup({}, { chunkBytes: 128 });
    const n = 300;
    t.source.put('iot/old.ndjson', lines(n, 'x'), { beforeChunk: async () => t.clock.advance(50) });
    const event = objectEvent(t.source, 'iot/old.ndjson');
    let outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 3_000 });
    expect(outcome.status).toBe('continued');
    // As an older eventline left it: the records handled, no offset.
    const state = t.ledger.files.get('b/iot/old.ndjson')!;
    delete state.checkpoint!.offset;
    const skipped = state.checkpoint!.records;
    outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 3_000 });
    expect(t.source.opens.at(-1)?.fromByte).toBeUndefined();
    expect(t.ledger.files.get('b/iot/old.ndjson')?.checkpoint?.records ?? n).toBeGreaterThan(skipped);
    for (let i = 0; outcome.status === 'continued' && i < 100; i++) {
      outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 3_000 });
    }
    expect(outcome).toMatchObject({ status: 'processed', counts: { read: n, written: n } });
    expect(t.ledger.records.size).toBe(n);
    expect([...t.ledger.writesPerKey.values()].every((count) => count === 1)).toBe(true);
  });

  it('a CSV header too wide to keep in the checkpoint resumes by skipping, still advancing', async () => {
    const route = { id: 'wide', prefix: 'wide/', suffix: '.csv', format: 'csv', key: 'id' } as const;
    const t = setup({ routes: [route] }, { chunkBytes: 4_096 });
    // A 66 KB header (over the 64 KiB a checkpoint keeps) and 30 rows of 8 KB; 20 ms per 4 KB read.
    const wide = ['id', 'a'.repeat(33_000), 'b'.repeat(33_000)];
    const rows = Array.from({ length: 30 }, (_, i) => `w-${i},${'v'.repeat(8_000)},x`);
    t.source.put('wide/w.csv', `${wide.join(',')}\n${rows.join('\n')}\n`, {
      beforeChunk: async () => t.clock.advance(20),
    });
    const event = objectEvent(t.source, 'wide/w.csv');
    let outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 2_000 });
    let segments = 1;
    let handled = 0;
    while (outcome.status === 'continued' && segments < 10) {
      const checkpoint = t.ledger.files.get('b/wide/w.csv')?.checkpoint;
      expect(checkpoint?.offset).toBeUndefined();
      expect(checkpoint?.records).toBeGreaterThan(handled);
      handled = checkpoint?.records ?? 0;
      outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 2_000 });
      segments += 1;
    }
    expect(segments).toBeGreaterThan(1);
    expect(outcome).toMatchObject({ status: 'processed', counts: { read: 30, written: 30 } });
    expect([...t.ledger.writesPerKey.values()].every((count) => count === 1)).toBe(true);
  });

  it('keeps line numbers and the keys made from them across a resume', async () => {
    const t = setup({ routes: [{ ...ndjsonRoute, key: 'nothing' }] }, { chunkBytes: 64 });
    const body = `${Array.from({ length: 300 }, (_, i) => (i % 7 === 3 ? '' : JSON.stringify({ i }))).join('\n')}\n`;
    t.source.put('iot/lines.ndjson', body, { beforeChunk: async () => t.clock.advance(100) });
    const event = objectEvent(t.source, 'iot/lines.ndjson');
    let outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 3_000 });
    for (let i = 0; outcome.status === 'continued' && i < 100; i++) {
      outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 3_000 });
    }
    expect(outcome.status).toBe('processed');
    for (const [pk, item] of t.ledger.records) {
      const i = Number((item.payload as { M: { i: { N: string } } }).M.i.N);
      expect(pk).toBe(`iot/lines.ndjson#${i + 1}`);
    }
    expect(t.ledger.records.size).toBe(300 - Math.floor((300 - 4) / 7) - 1);
  });
});
