import { join } from 'node:path';
import { DynamoLedger, S3ObjectSource } from '@eventline/aws';
import { ConfigError, type EventlineConfigInput, parseConfig } from '@eventline/config';
import {
  normaliseEvent,
  type ObjectEvent,
  type ObjectSource,
  type Outcome,
  Pipeline,
  TransientError,
} from '@eventline/core';
import { ensureLedgerTable } from '@eventline/dynamodb-emulator';
import { FileDeadLetterQueue } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObject, RecordingNotifier } from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators } from '../support/emulators.ts';
import { ManualClock, MemoryContinuations } from '../support/memory-ports.ts';

/**
 * Issue 22, holes 10 and 4: how many attempts a file gets against how many times its event is
 * delivered, and what a FAILED outcome says it wrote. The real Pipeline, DynamoLedger and
 * S3ObjectSource on the S3 emulator and dynalite; a manual clock lets leases run out. A crash is an
 * invocation that never returns (its GetObject never answers), as a killed Lambda.
 */

let emulators: Emulators;
let tables = 0;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

const route = { id: 'rows', prefix: 'attempts/', suffix: '.ndjson', format: 'ndjson' as const, key: 'id' };

/** Queue mode's continuations: the events sent again, with the delay each asked for. */
class DelayingContinuations extends MemoryContinuations {
  readonly delays = true;
  readonly delaysAsked: number[] = [];
  override async schedule(event: Record<string, unknown>, delaySeconds?: number): Promise<void> {
    this.delaysAsked.push(delaySeconds ?? 0);
    await super.schedule(event);
  }
}

async function setup(input: EventlineConfigInput, ports: { queue?: boolean } = {}) {
  tables += 1;
  const table = `attempts-${tables}`;
  await ensureLedgerTable(emulators.clients.dynamodb, table);
  const config = parseConfig({ routes: [route], ...input });
  const clock = new ManualClock(Date.now());
  const ledger = new DynamoLedger({ tableName: table, dynamodb: emulators.clients.dynamodb, clock });
  const s3 = new S3ObjectSource(emulators.clients.s3);
  const crash = { on: false, opened: 0, failNext: 0 };
  // Test double over the real source: while `crash.on`, GetObject never answers (the invocation
  // dies); `failNext` GetObjects fail as when S3 is briefly unavailable.
  const source: ObjectSource = Object.assign(Object.create(s3) as ObjectSource, {
    open: (...args: Parameters<ObjectSource['open']>) => {
      if (crash.failNext > 0) {
        crash.failNext -= 1;
        return Promise.reject(new TransientError('aws-unavailable', 'GetObject: S3 is unavailable (test)'));
      }
      if (!crash.on) return s3.open(...args);
      crash.opened += 1;
      return new Promise<never>(() => {});
    },
  });
  const notifier = new RecordingNotifier();
  const deadLetters = new FileDeadLetterQueue(join(emulators.dir, table));
  const continuations = ports.queue ? new DelayingContinuations() : new MemoryContinuations();
  const pipeline = new Pipeline({
    continuations,
    // Waiting (direct mode's wait for an older version's lease, hole 12) moves the manual clock.
    sleep: async (ms) => clock.advance(ms),
    config,
    bucketName: emulators.bucket,
    source,
    ledger,
    notifier,
    deadLetters,
    clock,
  });
  return { config, clock, ledger, crash, notifier, deadLetters, continuations, pipeline };
}

/** Waits (bounded) until the ledger shows `event`'s claim of attempt `n`. */
async function claimed(t: Awaited<ReturnType<typeof setup>>, event: ObjectEvent, n: number) {
  for (let i = 0; i < 200; i++) {
    const state = await t.ledger.getFile(event.bucket, event.key);
    if (state && state.attempts >= n && state.leaseUntil > t.clock.now()) return state;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`attempt ${n} of ${event.key} was never claimed`);
}

describe('hole 10: a crash on the last attempt is recorded FAILED by a delivery that exists', () => {
  for (const trigger of [{ mode: 'direct' as const }, { mode: 'queue' as const, maxReceiveCount: 3 }]) {
    it(`ends a file whose every attempt crashes FAILED within its event's deliveries (${trigger.mode} mode, defaults)`, async () => {
      const t = await setup({ trigger });
      const deliveries = trigger.mode === 'queue' ? trigger.maxReceiveCount : 3;
      const event = await putObject(emulators, `attempts/crash-${trigger.mode}.ndjson`, '{"id":"a"}\n');
      t.crash.on = true;
      let last: Promise<unknown> | undefined;
      for (let delivery = 1; delivery <= deliveries; delivery++) {
        last = t.pipeline.processObject(event);
        if (delivery < deliveries) {
          await claimed(t, event, delivery);
          // The invocation died: its lease runs out before the event is delivered again.
          t.clock.advance(10 * 60_000);
        }
      }
      // The last delivery either records FAILED or works on the file as one more attempt, which crashes.
      let settled = false;
      void last?.finally(() => {
        settled = true;
      });
      const crashed = (async () => {
        for (let i = 0; i < 3000 && !settled && t.crash.opened < deliveries; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return { status: `stuck PROCESSING after ${t.crash.opened} crashed attempts` };
      })();
      const outcome = await Promise.race([last, crashed]);
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'attempts-exhausted' } });
      expect(await t.ledger.getFile(event.bucket, event.key)).toMatchObject({
        status: 'FAILED',
        deadLetter: { status: 'SENT' },
      });
      expect(t.notifier.sent.map((n) => n.json.status)).toEqual(['FAILED']);
      expect((await t.deadLetters.list()).map((l) => l.object?.key)).toEqual([event.key]);
    });
  }

  it('refuses files.maxAttempts that leaves no delivery to record a crash, naming the settings', () => {
    const refused = (input: EventlineConfigInput) => {
      try {
        parseConfig({ routes: [route], ...input });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ trigger: { maxReceiveCount: 3 }, files: { maxAttempts: 3 } })).toMatch(
      /files\.maxAttempts: files\.maxAttempts 3 must be below the 3 deliveries of an event \(trigger\.maxReceiveCount 3\)/,
    );
    expect(refused({ trigger: { mode: 'direct' }, files: { maxAttempts: 3 } })).toMatch(
      /files\.maxAttempts 3 must be below the 3 deliveries of an event \(trigger\.retryAttempts 2 \+ 1\)/,
    );
    expect(refused({ trigger: { mode: 'direct', retryAttempts: 0 } })).toMatch(
      /trigger\.retryAttempts: trigger\.retryAttempts 0 delivers an event once/,
    );
    expect(refused({ trigger: { maxReceiveCount: 1 } })).toMatch(
      /trigger\.maxReceiveCount 1 delivers an event once/,
    );
    // The default follows the deliveries; an explicit value below them stands.
    expect(parseConfig({ routes: [route] }).files.maxAttempts).toBe(3);
    expect(parseConfig({ routes: [route], trigger: { mode: 'direct' } }).files.maxAttempts).toBe(2);
    expect(parseConfig({ routes: [route], trigger: { maxReceiveCount: 2 } }).files.maxAttempts).toBe(1);
    expect(
      parseConfig({ routes: [route], trigger: { maxReceiveCount: 9 }, files: { maxAttempts: 8 } }).files
        .maxAttempts,
    ).toBe(8);
  });
});

describe('hole 4: a FAILED outcome counts the records it wrote', () => {
  it('says 50 records written when the 51st line fails the file', async () => {
    const t = await setup({ routes: [{ ...route, onInvalid: 'fail' }] });
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `r-${i}`, i }));
    lines[50] = '{"id":"r-50",';
    const event = await putObject(emulators, 'attempts/bad-line.ndjson', `${lines.join('\n')}\n`);
    const outcome = await t.pipeline.processObject(event);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'invalid-record' } });
    const state = await t.ledger.getFile(event.bucket, event.key);
    expect(state).toMatchObject({ status: 'FAILED', counts: { read: 51, written: 50 } });
    expect(t.notifier.sent[0]?.json).toMatchObject({ status: 'FAILED', records: { written: 50 } });
  });
});

describe('hole 13: attempts count the failures since the last progress, not over a whole continued file', () => {
  it('finishes a file of 3 segments, each of which fails once transiently, with files.maxAttempts 2', async () => {
    const t = await setup({ files: { maxAttempts: 2 } });
    const body = ['a', 'b', 'c'].map((id) => JSON.stringify({ id })).join('\n');
    let event = await putObject(emulators, 'attempts/long.ndjson', `${body}\n`);
    const outcomes: string[] = [];
    for (let segment = 1; segment <= 3; segment++) {
      // S3 fails this segment's first attempt; its retry succeeds. A 1 ms budget: every segment
      // handles one record and pauses (a multi-hour file in miniature).
      t.crash.failNext = 1;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const outcome: Outcome | string = await t.pipeline
          .processObject(event, { deadline: t.clock.now() + 1 })
          .catch((error: unknown) => (error as TransientError).code);
        outcomes.push(typeof outcome === 'string' ? outcome : outcome.status);
        if (typeof outcome !== 'string' && outcome.status !== 'continued') break;
      }
      if (outcomes.at(-1) !== 'continued') break;
      const [message] = normaliseEvent(t.continuations.scheduled.at(-1));
      event = message!.objects[0]!;
    }
    expect(outcomes).toEqual([
      'aws-unavailable',
      'continued',
      'aws-unavailable',
      'continued',
      'aws-unavailable',
      'processed',
    ]);
    expect(await t.ledger.getFile(event.bucket, event.key)).toMatchObject({
      status: 'PROCESSED',
      counts: { written: 3 },
    });
  });
});

describe('hole 12: a newer version behind a segment of an older, continued one is not left to the DLQ', () => {
  const body = (v: number) => `${['a', 'b', 'c'].map((id) => JSON.stringify({ id, v })).join('\n')}\n`;

  /** v1 continues after one record; its second segment hangs on GetObject, holding its lease, when v2 is written. */
  async function behindASegment(t: Awaited<ReturnType<typeof setup>>, key: string) {
    const v1 = await putObject(emulators, key, body(1));
    expect((await t.pipeline.processObject(v1, { deadline: t.clock.now() + 1 })).status).toBe('continued');
    const [message] = normaliseEvent(t.continuations.scheduled.at(-1));
    const segment2 = message!.objects[0]!;
    t.crash.on = true;
    void t.pipeline.processObject(segment2, { deadline: t.clock.now() + 60_000 });
    await claimed(t, segment2, 1);
    t.crash.on = false;
    const v2 = await putObject(emulators, key, body(2));
    return { segment2, v2, heldUntil: (await t.ledger.getFile(v2.bucket, v2.key))!.leaseUntil };
  }

  it('queue mode: the delivery succeeds, sending the event again delayed until the lease ends; that one processes v2', async () => {
    const t = await setup({ trigger: { mode: 'queue', maxReceiveCount: 2 } }, { queue: true });
    const key = 'attempts/versions-queue.ndjson';
    const { v2, heldUntil, segment2 } = await behindASegment(t, key);
    const continuations = t.continuations as DelayingContinuations;
    const sent = continuations.scheduled.length;
    // Before the fix: InProgressError, each such delivery using one of the event's 2 receives.
    expect((await t.pipeline.processObject(v2)).status).toBe('deferred');
    expect(continuations.scheduled).toHaveLength(sent + 1);
    const [again] = normaliseEvent(continuations.scheduled.at(-1));
    expect(again!.objects[0]).toMatchObject({ key, sequencer: v2.sequencer, eTag: v2.eTag });
    expect(continuations.delaysAsked.at(-1)! * 1000).toBeGreaterThanOrEqual(heldUntil - t.clock.now());
    // SQS holds the message back until then; the segment's lease has run out (its invocation died).
    t.clock.advance(continuations.delaysAsked.at(-1)! * 1000);
    expect((await t.pipeline.processObject(again!.objects[0]!)).status).toBe('processed');
    expect((await t.pipeline.processObject(segment2)).status).toBe('stale');
    expect(await t.ledger.getFile(v2.bucket, v2.key)).toMatchObject({
      status: 'PROCESSED',
      sequencer: v2.sequencer,
      counts: { written: 3 },
    });
  });

  it('direct mode: the invocation waits for the lease within its own time, then processes v2', async () => {
    const t = await setup({ trigger: { mode: 'direct' } });
    const key = 'attempts/versions-direct.ndjson';
    const { v2 } = await behindASegment(t, key);
    const outcome = await t.pipeline.processObject(v2, { deadline: t.clock.now() + 15 * 60_000 });
    expect(outcome.status).toBe('processed');
    expect(await t.ledger.getFile(v2.bucket, v2.key)).toMatchObject({
      status: 'PROCESSED',
      sequencer: v2.sequencer,
      counts: { written: 3 },
    });
  });

  it('direct mode: an invocation too short to wait for the lease waits what it can, then invokes the function again with the event', async () => {
    const t = await setup({ trigger: { mode: 'direct' } });
    const key = 'attempts/versions-short.ndjson';
    const { v2 } = await behindASegment(t, key);
    const sent = t.continuations.scheduled.length;
    const before = t.clock.now();
    expect((await t.pipeline.processObject(v2, { deadline: before + 30_000 })).status).toBe('deferred');
    // It waited three quarters of its time first: no loop of short invocations while the lease runs.
    expect(t.clock.now() - before).toBeGreaterThanOrEqual(22_500);
    const [again] = normaliseEvent(t.continuations.scheduled.at(-1));
    expect(t.continuations.scheduled).toHaveLength(sent + 1);
    expect(again!.objects[0]).toMatchObject({ key, sequencer: v2.sequencer });
  });
});
