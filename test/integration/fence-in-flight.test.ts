import { join } from 'node:path';
import type { DynamoDbApi } from '@eventline/aws';
import { DynamoLedger, S3ObjectSource } from '@eventline/aws';
import { createHttpClients } from '@eventline/aws/http';
import { createClients } from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import {
  type ObjectEvent,
  type Outcome,
  Pipeline,
  type RecordWriter,
  type RecordWriterOptions,
} from '@eventline/core';
import { ensureLedgerTable } from '@eventline/dynamodb-emulator';
import { FileDeadLetterQueue } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObject, RecordingNotifier, recordItems } from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators, testCredentials } from '../support/emulators.ts';
import { type HoldingProxy, startHoldingProxy } from '../support/holding-proxy.ts';

/**
 * Issue 22, hole 11: the fence holds for a request in flight. Record batches are not conditional:
 * they are fenced by the claim's lease. The lease was checked before each BatchWriteItem, but the
 * client's own retries (4 tries, 20 s socket timeout) outlast the margin, so a batch held in the
 * network could land after a newer version's records; and Publish, which precedes the conditional
 * write recording the outcome, was sent by a holder whose claim was already taken over. Now each
 * call is abandoned at the lease minus the margin (its abort signal), and a holder checks its lease
 * (renewing it by a conditional write when half is gone) before it publishes.
 *
 * The real Pipeline, DynamoLedger and S3ObjectSource on the S3 emulator and dynalite, with the SDK v3
 * client and the Lambda entry's signed-request client; a real HTTP proxy holds the batch in the
 * network (test/support/holding-proxy.ts). Leases are short (1.5 s, margin 375 ms) and real time
 * passes; nothing asserts a duration.
 */

const LEASE_MS = 1_500;
const config = parseConfig({
  routes: [{ id: 'rows', prefix: 'fence/', suffix: '.ndjson', format: 'ndjson', key: 'id' }],
});

let emulators: Emulators;
let tables = 0;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pipeline(table: string, dynamodb: DynamoDbApi, notifier: RecordingNotifier, ledger?: DynamoLedger) {
  return new Pipeline({
    config,
    bucketName: emulators.bucket,
    source: new S3ObjectSource(emulators.clients.s3),
    ledger: ledger ?? new DynamoLedger({ tableName: table, dynamodb, baseDelayMs: 5, maxDelayMs: 50 }),
    notifier,
    deadLetters: new FileDeadLetterQueue(join(emulators.dir, table)),
    leaseMs: LEASE_MS,
  });
}

async function freshTable(): Promise<string> {
  tables += 1;
  const table = `fence-${tables}`;
  await ensureLedgerTable(emulators.clients.dynamodb, table);
  return table;
}

/** Waits until the claim of `event`'s object, as stored, has run out. */
async function leaseRunsOut(ledger: DynamoLedger, event: ObjectEvent): Promise<void> {
  const state = await ledger.getFile(event.bucket, event.key);
  await sleep(Math.max(0, (state?.leaseUntil ?? 0) - Date.now()) + 50);
}

const rows = (v: number) => `${JSON.stringify({ id: 'a', v })}\n${JSON.stringify({ id: 'b', v })}\n`;

/** The version each record item holds. */
async function versions(table: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [pk, item] of await recordItems(emulators, table)) {
    out[pk] = Number(item.payload?.M?.v?.N);
  }
  return out;
}

const settle = (p: Promise<Outcome>) =>
  p.then(
    (outcome) => ({ outcome: outcome.status, error: undefined }),
    (error: unknown) => ({ outcome: undefined, error: (error as { code?: string }).code }),
  );

describe('hole 11: a record batch in flight never lands past the fence', () => {
  for (const client of ['sdk', 'http'] as const) {
    it(`abandons a BatchWriteItem held in the network at the lease minus the margin (${client} client)`, async () => {
      const table = await freshTable();
      const proxy: HoldingProxy = await startHoldingProxy(emulators.dynamoEndpoint);
      try {
        const options = { region: 'us-east-1', endpoint: proxy.url, credentials: testCredentials };
        const slow = client === 'sdk' ? createClients(options).dynamodb : createHttpClients(options).dynamodb;
        const notifier = new RecordingNotifier();
        const holder = pipeline(table, slow, notifier);
        const newer = pipeline(table, emulators.clients.dynamodb, notifier);
        const ledger = new DynamoLedger({ tableName: table, dynamodb: emulators.clients.dynamodb });

        const v1 = await putObject(emulators, `fence/held-${client}.ndjson`, rows(1));
        proxy.holding = true;
        const first = settle(holder.processObject(v1));
        await proxy.waitForHeld();
        // The batch of v1 is in the network; the holder's lease runs out and v2 is processed.
        await leaseRunsOut(ledger, v1);
        const v2 = await putObject(emulators, `fence/held-${client}.ndjson`, rows(2));
        expect((await newer.processObject(v2)).status).toBe('processed');
        // The network delivers what it still holds.
        await proxy.release();
        const held = await first;

        expect(await versions(table)).toEqual({ a: 2, b: 2 });
        expect(proxy.dropped).toBe(1);
        expect(held).toEqual({ outcome: undefined, error: 'write-deadline' });
        expect(notifier.sent.map((n) => [n.json.status, n.json.sequencer])).toEqual([
          ['PROCESSED', v2.sequencer],
        ]);
      } finally {
        await proxy.close();
      }
    });
  }

  it('does not publish once its claim was taken over while it finished its records', async () => {
    const table = await freshTable();
    const notifier = new RecordingNotifier();
    let resume: () => void = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let stalled: () => void = () => {};
    const stalling = new Promise<void>((resolve) => {
      stalled = resolve;
    });
    /** The holder's process stalls (a long GC pause, a starved CPU) after its records are written. */
    class StallingLedger extends DynamoLedger {
      override recordWriter(options: RecordWriterOptions): RecordWriter {
        const writer = super.recordWriter(options);
        return {
          add: (item) => writer.add(item),
          settle: () => writer.settle(),
          finish: async () => {
            const written = await writer.finish();
            stalled();
            await paused;
            return written;
          },
        };
      }
    }
    const dynamodb = emulators.clients.dynamodb;
    const holder = pipeline(
      table,
      dynamodb,
      notifier,
      new StallingLedger({ tableName: table, dynamodb, baseDelayMs: 5, maxDelayMs: 50 }),
    );
    const newer = pipeline(table, dynamodb, notifier);
    const ledger = new DynamoLedger({ tableName: table, dynamodb });

    const v1 = await putObject(emulators, 'fence/stalled.ndjson', rows(1));
    const first = settle(holder.processObject(v1));
    await stalling;
    await leaseRunsOut(ledger, v1);
    const v2 = await putObject(emulators, 'fence/stalled.ndjson', rows(2));
    expect((await newer.processObject(v2)).status).toBe('processed');
    resume();

    expect(await first).toEqual({ outcome: 'superseded', error: undefined });
    expect(await versions(table)).toEqual({ a: 2, b: 2 });
    expect(notifier.sent.map((n) => [n.json.status, n.json.sequencer])).toEqual([
      ['PROCESSED', v2.sequencer],
    ]);
    expect(await ledger.getFile(v2.bucket, v2.key)).toMatchObject({
      status: 'PROCESSED',
      sequencer: v2.sequencer,
    });
  });
});
