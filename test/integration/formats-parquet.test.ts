import * as zlib from 'node:zlib';
import type { EventlineConfigInput } from '@eventline/config';
import { normaliseEvent, type ObjectEvent, type ObjectSource } from '@eventline/core';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileState, type Item, pipelineFor, putObject, recordItems } from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators } from '../support/emulators.ts';
import { MemoryContinuations } from '../support/memory-ports.ts';

/**
 * `format: 'parquet'` through the real Pipeline on the S3 emulator and dynalite, with Parquet files
 * written by hyparquet-writer in the test: ranged GETs only (the footer, then the row groups), exact
 * INT64 and DECIMAL, ISO timestamps, nested columns as maps and lists, a paused file resuming in the
 * row group of its checkpoint, and bad files refused with the file and what is wrong.
 */

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

const route = { id: 'iot', prefix: 'iot/', suffix: '.parquet', format: 'parquet', key: 'id' } as const;
const config: EventlineConfigInput = { routes: [route] };

/** `n` sensor readings, `perGroup` rows per row group, with every kind of column the decoder converts. */
function readings(n: number, perGroup: number): Uint8Array {
  const ids = Array.from({ length: n }, (_, i) => `r-${i}`);
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: ids },
        // 2^53 + 1 + i: past a double's exact integers.
        { name: 'seq', data: ids.map((_, i) => 9007199254740993n + BigInt(i)) },
        // DECIMAL(18, 4) as INT64: unscaled values, 12345.6789 + i.
        { name: 'reading', data: ids.map((_, i) => 123456789n + BigInt(i)) },
        // DECIMAL(9, 2) as FIXED_LEN_BYTE_ARRAY(4), negative: unscaled values, -0.01 × (i + 1).
        { name: 'offset', data: ids.map((_, i) => -BigInt(i + 1)) },
        { name: 'at', data: ids.map((_, i) => 1772359200000000n + BigInt(i) * 1_000_001n) },
        { name: 'tags', data: ids.map((_, i) => (i % 3 === 0 ? [] : ['indoor', `floor-${i % 5}`])) },
        {
          name: 'location',
          data: ids.map((_, i) => (i % 4 === 3 ? null : { lat: 52.5 + i / 1000, lon: 13.4 })),
        },
        { name: 'labels', data: ids.map((_, i) => [{ key: 'unit', value: i % 2 === 0 ? 'C' : 'F' }]) },
      ],
      schema: [
        { name: 'root', num_children: 8 },
        { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'seq', type: 'INT64', repetition_type: 'REQUIRED' },
        {
          name: 'reading',
          type: 'INT64',
          converted_type: 'DECIMAL',
          scale: 4,
          precision: 18,
          repetition_type: 'REQUIRED',
        },
        {
          name: 'offset',
          type: 'FIXED_LEN_BYTE_ARRAY',
          type_length: 4,
          converted_type: 'DECIMAL',
          scale: 2,
          precision: 9,
          repetition_type: 'OPTIONAL',
        },
        {
          name: 'at',
          type: 'INT64',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
          repetition_type: 'REQUIRED',
        },
        { name: 'tags', converted_type: 'LIST', repetition_type: 'OPTIONAL', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'location', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'lat', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'lon', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'labels', converted_type: 'MAP', repetition_type: 'OPTIONAL', num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'value', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ],
      rowGroupSize: perGroup,
    }),
  );
}

/** Records every GET's range: what the decoder fetched. */
function recordingRanges(ranges: Array<{ from?: number; to?: number }>) {
  return (source: ObjectSource): ObjectSource => ({
    open: (event, options) => {
      ranges.push({
        ...(options?.fromByte !== undefined ? { from: options.fromByte } : {}),
        ...(options?.toByte !== undefined ? { to: options.toByte } : {}),
      });
      return source.open(event, options);
    },
    putInternal: (...args) => source.putInternal(...args),
  });
}

const payload = (item: Item | undefined) => item?.payload?.M;

describe('format parquet', () => {
  it('reads a file by ranged GETs only, with exact INT64 and DECIMAL, ISO timestamps, maps and lists', async () => {
    const ranges: Array<{ from?: number; to?: number }> = [];
    const t = await pipelineFor(emulators, config, { wrapSource: recordingRanges(ranges) });
    const body = readings(25, 10);
    const event = await putObject(emulators, 'iot/2026/03/01/readings.parquet', body);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    expect(outcome.counts).toMatchObject({ read: 25, written: 25, rejected: 0, bytes: body.length });
    // Every GET is ranged; the first ends at the file's last byte (the footer); one per row group after it.
    expect(ranges.every((r) => r.to !== undefined)).toBe(true);
    expect(ranges[0]!.to).toBe(body.length - 1);
    expect(ranges.length).toBeGreaterThanOrEqual(4);
    const records = await recordItems(emulators, t.table);
    expect(records.size).toBe(25);
    const first = payload(records.get('r-0'));
    expect(first).toEqual({
      id: { S: 'r-0' },
      seq: { N: '9007199254740993' },
      reading: { N: '12345.6789' },
      offset: { N: '-0.01' },
      at: { S: '2026-03-01T10:00:00.000000Z' },
      tags: { L: [] },
      location: { M: { lat: { N: '52.5' }, lon: { N: '13.4' } } },
      labels: { M: { unit: { S: 'C' } } },
    });
    const last = payload(records.get('r-24'));
    expect(last?.seq).toEqual({ N: '9007199254741017' });
    expect(last?.reading).toEqual({ N: '12345.6813' });
    expect(last?.offset).toEqual({ N: '-0.25' });
    expect(last?.at).toEqual({ S: '2026-03-01T10:00:24.000024Z' });
    expect(payload(records.get('r-23'))?.tags).toEqual({ L: [{ S: 'indoor' }, { S: 'floor-3' }] });
    expect(payload(records.get('r-3'))?.location).toEqual({ NULL: true });
    expect(records.get('r-24')?.index).toEqual({ N: '24' });
  });

  it('a paused file resumes in the row group of its checkpoint, never from the first row group', async () => {
    const ranges: Array<{ from?: number; to?: number }> = [];
    const continuations = new MemoryContinuations();
    const t = await pipelineFor(emulators, config, { continuations, wrapSource: recordingRanges(ranges) });
    const body = readings(12, 4);
    let event: ObjectEvent = await putObject(emulators, 'iot/paused.parquet', body);

    // A 1 ms budget: every segment is past its pause point at once and handles one record.
    let outcome = await t.pipeline.processObject(event, { deadline: Date.now() + 1 });
    const firstGroupEnd = Math.min(...ranges.slice(1).map((r) => r.from ?? 0));
    let segments = 1;
    while (outcome.status === 'continued' && segments < 50) {
      const checkpoint = (await fileState(t, event))?.checkpoint;
      expect(checkpoint?.records).toBe(segments);
      [event] = normaliseEvent(continuations.scheduled.at(-1))[0]!.objects as [ObjectEvent];
      ranges.length = 0;
      outcome = await t.pipeline.processObject(event, { deadline: Date.now() + 1 });
      segments += 1;
      if (checkpoint!.values >= 4) {
        // Past the first row group: the footer and its own row group only.
        const rowGroupReads = ranges.slice(1);
        expect(rowGroupReads.length).toBeGreaterThan(0);
        expect(rowGroupReads.every((r) => (r.from ?? 0) > firstGroupEnd)).toBe(true);
      }
    }
    expect(outcome.status).toBe('processed');
    expect(segments).toBe(12);
    expect(outcome.counts).toMatchObject({ read: 12, written: 12, rejected: 0 });
    const records = await recordItems(emulators, t.table);
    expect([...records.keys()].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `r-${i}`).sort());
    // DynamoDB keeps a number without its trailing zeros (12345.6800).
    expect(payload(records.get('r-11'))?.reading).toEqual({ N: '12345.68' });
  });

  it('an event without a size (a listing) learns it from a one-byte ranged GET', async () => {
    const t = await pipelineFor(emulators, config);
    const body = readings(3, 10);
    const { size: _size, ...event } = await putObject(emulators, 'iot/listed.parquet', body);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome).toMatchObject({
      status: 'processed',
      counts: { read: 3, written: 3, bytes: body.length },
    });
  });

  it('reads GZIP pages, and ZSTD pages where node:zlib has zstd (Node 24, as on Lambda)', async () => {
    const t = await pipelineFor(emulators, config);
    const zstd = (zlib as { zstdCompressSync?: (input: Uint8Array) => Uint8Array }).zstdCompressSync;
    const write = (codec: 'GZIP' | 'ZSTD') =>
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: ['a', 'b', 'c'], type: 'STRING' },
            { name: 'n', data: [1, 2, 3], type: 'INT32' },
          ],
          codec,
          compressors: {
            GZIP: (input: Uint8Array) => zlib.gzipSync(input),
            ...(zstd ? { ZSTD: (input: Uint8Array) => zstd(input) } : {}),
          },
        }),
      );

    const gzip = await t.pipeline.processObject(
      await putObject(emulators, 'iot/gzip.parquet', write('GZIP')),
    );
    expect(gzip).toMatchObject({ status: 'processed', counts: { written: 3 } });
    // Node 20's zlib has no zstd: the file cannot even be written there.
    if (zstd) {
      const outcome = await t.pipeline.processObject(
        await putObject(emulators, 'iot/zstd.parquet', write('ZSTD')),
      );
      expect(outcome).toMatchObject({ status: 'processed', counts: { written: 3 } });
    }
  });

  it.each([
    [
      'not Parquet at all',
      'iot/text.parquet',
      new TextEncoder().encode('id,reading\nr-1,20.5\n'),
      /its footer: .*PAR1/,
    ],
    ['empty', 'iot/empty.parquet', new Uint8Array(0), /its footer: /],
    [
      'a footer length past the file',
      'iot/cut.parquet',
      (() => {
        const whole = readings(5, 10);
        return Uint8Array.from([...whole.subarray(0, 4), ...whole.subarray(whole.length - 8)]);
      })(),
      /its footer: /,
    ],
    [
      'a corrupt row group',
      'iot/corrupt.parquet',
      (() => {
        const whole = readings(30, 10);
        const bad = Uint8Array.from(whole);
        bad.fill(0xff, 4, 200); // the first row group's first pages
        return bad;
      })(),
      /row group 0 \(rows 0–9\): /,
    ],
  ])('refuses a bad file (%s), naming the file and what is wrong', async (_what, key, body, message) => {
    const t = await pipelineFor(emulators, config);
    const event = await putObject(emulators, key, body);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('bad-parquet');
    expect(outcome.error?.message).toContain(`${key}: not a readable Parquet file: `);
    expect(outcome.error?.message).toMatch(message);
  });
});
