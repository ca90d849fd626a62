import { createClients, destroyClients } from '@eventline/aws/sdk';
import type { ObjectEvent, ObjectSource } from '@eventline/core';
import { fileKey, TransientError } from '@eventline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fileState,
  getItem,
  pipelineFor,
  putObject,
  RecordingNotifier,
  readObject,
  recordItems,
} from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators, testCredentials } from '../support/emulators.ts';

/**
 * Ledger protocol v2 against the real adapters and emulators (local S3, dynalite): each test is a
 * hole of protocol v1 (issue 15) reproduced, and fails on the code before it.
 */

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ndjsonRoute = {
  id: 'iot',
  prefix: 'iot/',
  suffix: '.ndjson',
  format: 'ndjson',
  key: 'deviceId',
} as const;
const lines = (n: number, tag: string) =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ deviceId: `d-${i}`, tag })).join('\n')}\n`;

/** A source whose stream for one object version stops at chunk `at` until `release()` is called. */
function stallingSource(eTag: () => string | undefined, at: number) {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const stalled = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const wrap = (source: ObjectSource): ObjectSource => ({
    putInternal: (...args) => source.putInternal(...args),
    async open(event, options) {
      const opened = await source.open(event, options);
      if (event.eTag !== eTag()) return opened;
      async function* rechunked() {
        let n = 0;
        for await (const chunk of opened.body) {
          for (let i = 0; i < chunk.length; i += 200) {
            if (n++ === at) {
              reached();
              await gate;
            }
            yield chunk.subarray(i, i + 200);
          }
        }
      }
      return { ...opened, body: rechunked() };
    },
  });
  return { wrap, stalled, release: () => release() };
}

describe('fencing', () => {
  it('keeps the records of a newer version when the lease of a live older writer runs out', async () => {
    let v1: ObjectEvent | undefined;
    const stall = stallingSource(() => v1?.eTag, 3);
    const leaseMs = 1_500;
    const t = await pipelineFor(
      emulators,
      { routes: [ndjsonRoute], writes: { parallelism: 1, deadlineMs: 10_000 } },
      { wrapSource: stall.wrap, leaseMs },
    );
    v1 = await putObject(emulators, 'iot/fenced.ndjson', lines(40, 'v1'));
    const first = t.pipeline.processObject(v1);
    await stall.stalled;
    // v1 is alive but silent for longer than its lease; v2 lands and is processed meanwhile.
    await sleep(leaseMs + 300);
    const v2 = await putObject(emulators, 'iot/fenced.ndjson', lines(40, 'v2'));
    expect((await t.pipeline.processObject(v2)).status).toBe('processed');
    stall.release();
    expect((await first).status).toBe('superseded');

    const records = await recordItems(emulators, t.table);
    expect(records.size).toBe(40);
    expect(new Set([...records.values()].map((r) => r.payload?.M?.tag?.S))).toEqual(new Set(['v2']));
    expect(await fileState(t, v2)).toMatchObject({ status: 'PROCESSED', sequencer: v2.sequencer });
  });
});

describe('owed steps', () => {
  it("sends an older version's pending notification when a newer version takes the file over", async () => {
    const notifier = new RecordingNotifier();
    const t = await pipelineFor(
      emulators,
      { routes: [{ prefix: 'incoming/', suffix: '.json' }] },
      { notifier },
    );
    const v1 = await putObject(emulators, 'incoming/owed.json', '{"id":"owed-1","v":1}');
    notifier.down = true;
    await expect(t.pipeline.processObject(v1)).rejects.toBeInstanceOf(TransientError);
    notifier.down = false;
    const v2 = await putObject(emulators, 'incoming/owed.json', '{"id":"owed-1","v":2}');
    expect((await t.pipeline.processObject(v2)).status).toBe('processed');
    expect((await t.pipeline.processObject(v1)).status).toBe('stale');
    expect(notifier.sent.map((n) => n.json.sequencer)).toEqual([v1.sequencer, v2.sequencer]);
    // Each carries a stable idempotency key of its own.
    const keys = notifier.sent.map((n) => n.attributes.idempotencyKey?.value);
    expect(new Set(keys).size).toBe(2);
    expect(keys.every((k) => /^[0-9a-f]{64}$/.test(k ?? ''))).toBe(true);
  });
});

describe('bounded outcome items', () => {
  it('records the failure of a JSON file whose attribute name is 450,000 characters long', async () => {
    const t = await pipelineFor(emulators, { routes: [{ prefix: 'incoming/', suffix: '.json' }] });
    const name = 'a'.repeat(450_000);
    const event = await putObject(emulators, 'incoming/hostile-name.json', `{"id":"h-1","${name}":1e400}`);
    const outcome = await t.pipeline.processObject(event);
    expect(outcome).toMatchObject({ status: 'failed' });
    const state = await fileState(t, event);
    expect(state).toMatchObject({ status: 'FAILED', deadLetter: { status: 'SENT' } });
    const item = await getItem(emulators, t.table, fileKey(emulators.bucket, event.key));
    expect(JSON.stringify(item).length).toBeLessThan(8 * 1024);
    expect(state?.errorKey).toBeDefined();
    expect(await readObject(emulators, state!.errorKey!)).toContain('1e400');
  });

  it('records a CSV file with 60 rejects whose field names are 10,000 characters long', async () => {
    const header = 'h'.repeat(10_000);
    const t = await pipelineFor(emulators, {
      routes: [
        {
          id: 'csv',
          prefix: 'csv/',
          suffix: '.csv',
          format: 'csv',
          key: 'id',
          csv: { types: { [header]: 'number' } },
        },
      ],
    });
    const rows = Array.from({ length: 60 }, (_, i) => `r-${i},not-a-number-${'x'.repeat(100)}`);
    const event = await putObject(emulators, 'csv/hostile-header.csv', `id,${header}\n${rows.join('\n')}\n`);
    const outcome = await t.pipeline.processObject(event);
    expect(outcome).toMatchObject({ status: 'processed', counts: { read: 60, rejected: 60 } });
    const state = await fileState(t, event);
    expect(state?.rejects.length).toBeLessThanOrEqual(3);
    expect((await readObject(emulators, state!.rejectsKey!)).split('\n')).toHaveLength(60);
    const item = await getItem(emulators, t.table, fileKey(emulators.bucket, event.key));
    expect(JSON.stringify(item).length).toBeLessThan(8 * 1024);
  });
});

describe('attempts', () => {
  it('ends a file that always fails FAILED after files.maxAttempts attempts, dead-lettered and notified', async () => {
    const unreachable = createClients({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: testCredentials,
      maxAttempts: 1,
    });
    try {
      const t = await pipelineFor(
        emulators,
        { routes: [{ prefix: 'incoming/', suffix: '.json' }], files: { maxAttempts: 3 } },
        { s3: unreachable.s3 },
      );
      const event = await putObject(emulators, 'incoming/always-fails.json', '{"id":"af-1"}');
      await expect(t.pipeline.processObject(event)).rejects.toBeInstanceOf(TransientError);
      await expect(t.pipeline.processObject(event)).rejects.toBeInstanceOf(TransientError);
      const last = await t.pipeline.processObject(event);
      expect(last).toMatchObject({ status: 'failed', error: { code: 'attempts-exhausted' } });
      expect(last.error?.message).toMatch(/failed 3 of 3 attempts; last error: .*GetObject/);
      expect(await fileState(t, event)).toMatchObject({
        status: 'FAILED',
        attempts: 3,
        deadLetter: { status: 'SENT' },
        notification: { status: 'SENT' },
      });
      expect((await t.deadLetters.list()).map((l) => l.code)).toEqual(['attempts-exhausted']);
      expect(t.notifier.sent.map((n) => n.subject)).toEqual(['S3 Event Failed']);
    } finally {
      destroyClients(unreachable);
    }
  });
});
