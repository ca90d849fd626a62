import { join } from 'node:path';
import { DynamoLedger, S3ObjectSource } from '@eventline/aws';
import { ConfigError, type EventlineConfigInput, parseConfig } from '@eventline/config';
import { type ObjectEvent, type ObjectSource, Pipeline } from '@eventline/core';
import { ensureLedgerTable } from '@eventline/dynamodb-emulator';
import { FileDeadLetterQueue } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObject, RecordingNotifier } from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators } from '../support/emulators.ts';
import { ManualClock } from '../support/memory-ports.ts';

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

async function setup(input: EventlineConfigInput) {
  tables += 1;
  const table = `attempts-${tables}`;
  await ensureLedgerTable(emulators.clients.dynamodb, table);
  const config = parseConfig({ routes: [route], ...input });
  const clock = new ManualClock(Date.now());
  const ledger = new DynamoLedger({ tableName: table, dynamodb: emulators.clients.dynamodb, clock });
  const s3 = new S3ObjectSource(emulators.clients.s3);
  const crash = { on: false, opened: 0 };
  // Test double over the real source: while `crash.on`, GetObject never answers (the invocation dies).
  const source: ObjectSource = Object.assign(Object.create(s3) as ObjectSource, {
    open: (...args: Parameters<ObjectSource['open']>) => {
      if (!crash.on) return s3.open(...args);
      crash.opened += 1;
      return new Promise<never>(() => {});
    },
  });
  const notifier = new RecordingNotifier();
  const deadLetters = new FileDeadLetterQueue(join(emulators.dir, table));
  const pipeline = new Pipeline({
    config,
    bucketName: emulators.bucket,
    source,
    ledger,
    notifier,
    deadLetters,
    clock,
  });
  return { config, clock, ledger, crash, notifier, deadLetters, pipeline };
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
