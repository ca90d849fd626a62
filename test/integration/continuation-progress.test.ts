import { gzipSync } from 'node:zlib';
import type { EventlineConfigInput } from '@eventline/config';
import {
  type Checkpoint,
  errorMessage,
  normaliseEvent,
  type ObjectEvent,
  type Outcome,
} from '@eventline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fileState,
  type Item,
  pipelineFor,
  putObject,
  readObject,
  recordItems,
  type TestPipeline,
} from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators } from '../support/emulators.ts';
import { MemoryContinuations } from '../support/memory-ports.ts';

/**
 * Every segment of a continued file makes progress, whatever its format (issue 22, hole 1). CSV,
 * gzip and JSON-array files used to resume by re-reading from byte 0 and skipping the records
 * handled, before the pause check: once that prefix cost the whole budget, a segment paused with
 * nothing done, as a free handoff, forever. Now every format resumes at a byte checkpoint (a
 * ranged GET; a gzip object inflated again and its prefix dropped, never decoded), a segment pauses
 * only after handling a record, and a segment that reaches none counts as a failed attempt.
 *
 * The real Pipeline on the S3 emulator and dynalite; the continuation is read back through
 * `normaliseEvent` as the handler reads it. A budget is the time to the invocation's deadline: with
 * 700 ms the file pauses 500 ms before it; with 1 ms every segment is past its pause point at once
 * and handles exactly one record, so the file resumes at every record boundary it has.
 */

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

interface Run {
  outcome: Outcome;
  segments: number;
  checkpoints: Checkpoint[];
}

/** Runs a file's segments, each with `budgetMs` to its deadline, checking that every one advances. */
async function runSegments(
  t: TestPipeline,
  continuations: MemoryContinuations,
  first: ObjectEvent,
  budgetMs: number,
  maxSegments: number,
): Promise<Run> {
  let event = first;
  const checkpoints: Checkpoint[] = [];
  for (let segment = 1; segment <= maxSegments; segment++) {
    const outcome = await t.pipeline.processObject(event, { deadline: Date.now() + budgetMs });
    if (outcome.status !== 'continued') return { outcome, segments: segment, checkpoints };
    const checkpoint = (await fileState(t, event))?.checkpoint;
    const previous = checkpoints.at(-1);
    expect(checkpoint?.records, `segment ${segment} advances`).toBeGreaterThan(previous?.records ?? 0);
    expect(checkpoint?.offset, `segment ${segment} resumes further on`).toBeGreaterThan(
      previous?.offset ?? 0,
    );
    checkpoints.push(checkpoint!);
    expect(continuations.scheduled).toHaveLength(segment);
    const [message] = normaliseEvent(continuations.scheduled.at(-1));
    event = message!.objects[0]!;
  }
  throw new Error(`no outcome after ${maxSegments} segments`);
}

async function continued(config: Parameters<typeof pipelineFor>[1]) {
  const continuations = new MemoryContinuations();
  const t = await pipelineFor(emulators, config, { continuations });
  return { t, continuations };
}

/** What a record item says of its record, to compare a continued run with a one-shot one. */
const recordView = (item: Item) => JSON.stringify([item.payload, item.line, item.index]);

/** The file read in one invocation (no continuations), into a table of its own. */
async function oneShot(config: Parameters<typeof pipelineFor>[1], key: string, body: string | Uint8Array) {
  const t = await pipelineFor(emulators, config);
  const event = await putObject(emulators, key, body);
  const outcome = await t.pipeline.processObject(event);
  expect(outcome.status).toBe('processed');
  return { outcome, records: await recordItems(emulators, t.table) };
}

async function expectSameRecords(table: string, expected: Map<string, Item>) {
  const records = await recordItems(emulators, table);
  expect(records.size).toBe(expected.size);
  for (const [pk, item] of expected) expect(recordView(records.get(pk)!), pk).toBe(recordView(item));
}

// Compression `auto` (the default): gzip is known by its magic bytes, whatever the suffix.
const ndjsonRoute = { id: 'iot', prefix: 'iot/', suffix: '', format: 'ndjson', key: 'id' } as const;
const csvRoute = { id: 'orders', prefix: 'orders/', suffix: '', format: 'csv', key: 'id' } as const;
const arrayRoute = { id: 'bulk', prefix: 'bulk/', suffix: '', format: 'json-array', key: 'id' } as const;

describe('every segment of a continued file makes progress', () => {
  it('a gzip NDJSON file of 20,000 records with a 700 ms budget ends PROCESSED with every record (it stalled at 15,538)', async () => {
    const n = 20_000;
    const { t, continuations } = await continued({ routes: [ndjsonRoute] });
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `d-${i}`, reading: i / 4 }));
    const body = gzipSync(`${lines.join('\n')}\n`);
    const event = await putObject(emulators, 'iot/readings.ndjson.gz', body);

    const run = await runSegments(t, continuations, event, 700, n);

    expect(run.outcome).toMatchObject({
      status: 'processed',
      counts: { read: n, written: n, rejected: 0, bytes: body.length },
    });
    expect(run.segments).toBeGreaterThan(1);
    expect(run.checkpoints.every((c) => c.inflated === true)).toBe(true);
    expect((await recordItems(emulators, t.table)).size).toBe(n);
    expect(await fileState(t, event)).toMatchObject({ status: 'PROCESSED', attempts: 1 });
    expect(t.notifier.sent).toHaveLength(1);
  }, 240_000);

  it('a gzip CSV file with a tiny budget ends PROCESSED with every row', async () => {
    const n = 10_000;
    const { t, continuations } = await continued({ routes: [csvRoute] });
    const rows = Array.from({ length: n }, (_, i) => `o-${i},"ü ${i}, ""q""\nnext",${i}.5`);
    const body = gzipSync(`id,note,amount\r\n${rows.join('\r\n')}\r\n`);
    const event = await putObject(emulators, 'orders/day.csv.gz', body);

    // 1.5 s: small enough for several segments, large enough that a resumed segment reaches its checkpoint
    // (GET, inflate, skip) on a loaded machine: at 600 ms a busy CI run failed it as no-progress.
    const run = await runSegments(t, continuations, event, 1500, n);

    expect(run.outcome).toMatchObject({ status: 'processed', counts: { read: n, written: n, rejected: 0 } });
    expect(run.segments).toBeGreaterThan(1);
    const records = await recordItems(emulators, t.table);
    expect(records.size).toBe(n);
    expect(records.get('o-9999')?.payload?.M?.note?.S).toBe('ü 9999, "q"\nnext');
    expect(records.get('o-9999')?.line?.N).toBe(String(2 + 2 * 9999));
  }, 240_000);

  it('a CSV with quoted newlines, multi-byte characters, CRLF and a BOM resumes at every row boundary', async () => {
    const config: EventlineConfigInput = { routes: [{ ...csvRoute, csv: { types: { amount: 'number' } } }] };
    const rows = [
      'a-1,"first\r\nsecond 😀",1.5',
      'a-2,日本語,2',
      '', // a blank line between two records
      'a-3,"quote "" and, comma",-0.25',
      'a-4,short', // a record error: two fields of three
      'a-5,"ends in a newline\n",not-a-number', // a record error: amount
      'a-6,é,1e3',
    ];
    const text = `\uFEFFid,note,amount\r\n${rows.join('\r\n')}\r\n`;
    const expected = await oneShot(config, 'orders/tricky-1.csv', text);
    const { t, continuations } = await continued(config);
    const event = await putObject(emulators, 'orders/tricky-2.csv', text);

    const run = await runSegments(t, continuations, event, 1, 100);

    // One record per segment: 6 records, 2 of them rejected, 6 segments.
    expect(run.segments).toBe(6);
    expect(run.outcome).toMatchObject({ status: 'processed', counts: { read: 6, written: 4, rejected: 2 } });
    expect(run.outcome.counts).toEqual(expected.outcome.counts);
    await expectSameRecords(t.table, expected.records);
    // Rejects name the file's own lines (quoted newlines counted), one rejects object per segment.
    const key = (await fileState(t, event))?.rejectsKey ?? '';
    const parts = [key, key.replace(/\.ndjson$/, '.1.ndjson')];
    const rejects = await Promise.all(parts.map((part) => readObject(emulators, part)));
    expect(rejects.map((text) => JSON.parse(text)).map((r) => [r.code, r.position.line])).toEqual([
      ['column-count', 7],
      ['bad-number', 8],
    ]);
  }, 120_000);

  it('a JSON array of nested arrays and objects resumes at every element boundary', async () => {
    const elements = [
      { id: 'e-1', nested: [[1, [2, { deep: ['x', { y: [] }] }]], {}], s: '],[{"' },
      { id: 'e-2', text: 'é, 日本, 😀 \\ "', list: [{ a: [1, 2] }, { b: { c: [3] } }] },
      { id: 'e-3', n: -1.5e-7, empty: { o: {}, a: [] } },
      {
        id: 'e-4',
        matrix: [
          [1, 2],
          [3, [4, [5]]],
        ],
      },
    ];
    const text = `\uFEFF[\n${elements.map((e) => JSON.stringify(e, null, 2)).join(' ,\r\n')}\n]\n`;
    const expected = await oneShot({ routes: [arrayRoute] }, 'bulk/nested-1.json', text);
    const { t, continuations } = await continued({ routes: [arrayRoute] });
    const event = await putObject(emulators, 'bulk/nested-2.json', text);

    const run = await runSegments(t, continuations, event, 1, 100);

    expect(run.segments).toBe(elements.length);
    expect(run.outcome).toMatchObject({ status: 'processed', counts: { read: 4, written: 4 } });
    await expectSameRecords(t.table, expected.records);
    expect(run.checkpoints.every((c) => c.inflated === undefined)).toBe(true);
  }, 120_000);

  it('a multi-member gzip JSON array (members split mid-element) continues to the end', async () => {
    const n = 3_000;
    const text = `[${Array.from({ length: n }, (_, i) => JSON.stringify({ id: `m-${i}`, v: [i, { w: `ü${i}` }] })).join(',\n')}]`;
    const bytes = Buffer.from(text);
    const cuts = [0, 1_001, 50_003, 90_007, bytes.length];
    const body = Buffer.concat(cuts.slice(1).map((end, i) => gzipSync(bytes.subarray(cuts[i], end))));
    const expected = await oneShot({ routes: [arrayRoute] }, 'bulk/members-1.json.gz', body);
    const { t, continuations } = await continued({ routes: [arrayRoute] });
    const event = await putObject(emulators, 'bulk/members-2.json.gz', body);

    const run = await runSegments(t, continuations, event, 600, n);

    expect(run.outcome).toMatchObject({ status: 'processed', counts: { read: n, written: n } });
    expect(run.segments).toBeGreaterThan(1);
    await expectSameRecords(t.table, expected.records);
  }, 240_000);

  it('a segment that makes no progress counts as an attempt: the file ends FAILED with the reason', async () => {
    const { t, continuations } = await continued({ routes: [ndjsonRoute] });
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `s-${i}` }));
    const event = await putObject(emulators, 'iot/stall.ndjson.gz', gzipSync(lines.join('\n')));
    // The first segment is past its pause point at once: it handles one record and pauses.
    const first = await t.pipeline.processObject(event, { deadline: Date.now() + 1 });
    expect(first.status).toBe('continued');
    expect((await fileState(t, event))?.checkpoint).toMatchObject({ records: 1, inflated: true });
    const [message] = normaliseEvent(continuations.scheduled[0]);
    const next = message!.objects[0]!;

    // The next ones have no time to inflate the prefix again: no record, no free handoff.
    for (const attempt of [1, 2]) {
      const error = await t.pipeline.processObject(next, { deadline: Date.now() + 1 }).catch((e) => e);
      expect(errorMessage(error)).toMatch(/continuation 2 made no progress/);
      expect(await fileState(t, event)).toMatchObject({ status: 'PROCESSING', attempts: attempt });
    }
    const last = await t.pipeline.processObject(next, { deadline: Date.now() + 1 });

    expect(last.status).toBe('failed');
    const state = await fileState(t, event);
    expect(state).toMatchObject({ status: 'FAILED', attempts: 3, error: { code: 'attempts-exhausted' } });
    expect(state?.error?.message).toMatch(
      /failed 3 of 3 attempts; last error: TransientError: .*made no progress/,
    );
    expect(continuations.scheduled).toHaveLength(1);
    expect(t.notifier.sent).toHaveLength(1);
  }, 120_000);
});
