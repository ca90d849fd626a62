import { gzipSync } from 'node:zlib';
import type { EventlineConfigInput, RouteInput } from '@eventline/config';
import { type AttributeValue, fileKey, fromAttributeValue } from '@eventline/core';
import { isLosslessNumber, parse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { byValue, decimalValue, fixture } from '../fixtures/formats/harness.ts';
import {
  fileState,
  getItem,
  type Item,
  pipelineFor,
  putObject,
  readObject,
  recordItems,
  scanTable,
} from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators } from '../support/emulators.ts';

/**
 * Every format, plain and gzip'd, end to end: the S3 emulator holds the object, the pipeline streams it
 * through its decoder into dynalite, and each test checks the table item by item (each test has a
 * table of its own), the file item, the rejects object and the one notification.
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: the route's key template syntax
const DEVICE_TS = '${deviceId}#${ts}';
const ordersCsv = { types: { amount: 'number', paid: 'boolean', items: 'json' } } as const;
const routes: RouteInput[] = [
  { id: 'ndjson', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson', key: 'deviceId' },
  { id: 'ndjson-gz', prefix: 'iot/', suffix: '.ndjson.gz', format: 'ndjson', key: 'deviceId' },
  { id: 'jsonl', prefix: 'iot/', suffix: '.jsonl', format: 'ndjson', key: 'deviceId' },
  { id: 'jsonl-gz', prefix: 'iot/', suffix: '.jsonl.gz', format: 'ndjson', key: 'deviceId' },
  { id: 'array', prefix: 'arrays/', suffix: '.json', format: 'json-array', key: DEVICE_TS },
  { id: 'array-gz', prefix: 'arrays/', suffix: '.json.gz', format: 'json-array', key: DEVICE_TS },
  { id: 'orders', prefix: 'orders/', suffix: '.csv', format: 'csv', key: 'orderId', csv: ordersCsv },
  { id: 'orders-gz', prefix: 'orders/', suffix: '.csv.gz', format: 'csv', key: 'orderId', csv: ordersCsv },
  {
    id: 'strict',
    prefix: 'strict/',
    suffix: '.ndjson',
    format: 'ndjson',
    key: 'deviceId',
    onInvalid: 'fail',
  },
  { id: 'keyless', prefix: 'keyless/', suffix: '.ndjson', format: 'ndjson', key: 'serial' },
  {
    id: 'checked',
    prefix: 'checked/',
    suffix: '.ndjson',
    format: 'ndjson',
    key: 'deviceId',
    schema: z.object({ deviceId: z.string(), temp: z.number().min(-50).max(80) }),
  },
];
const config: EventlineConfigInput = { routes, writes: { parallelism: 4, deadlineMs: 10_000 } };

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

/** A payload as stored, numbers by value (compare with `byValue()` of the source). */
const payloadOf = (item: Item | undefined) =>
  item?.payload
    ? fromAttributeValue(item.payload as AttributeValue, (text) => `n:${decimalValue(text)}`)
    : undefined;
const n = (text: string) => `n:${decimalValue(text)}`;

const numberText = (value: unknown) => (isLosslessNumber(value) ? (value as { value: string }).value : value);

interface ExpectedRecord {
  pk: string;
  value: unknown;
  line?: number;
  index: number;
}

/** The good readings of readings.ndjson, parsed line by line with lossless-json (independent of the decoders). */
async function readingsExpected(keyOf: (r: Record<string, unknown>) => string, withLines: boolean) {
  const lines = (await fixture('readings.ndjson')).toString('utf8').split('\n');
  const expected: ExpectedRecord[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '' || i === 3) return; // line 4 is the malformed one
    const value = parse(text) as Record<string, unknown>;
    expected.push({
      pk: keyOf(value),
      value: byValue(value),
      index: expected.length,
      ...(withLines ? { line: i + 1 } : {}),
    });
  });
  return expected;
}

const ordersExpected: ExpectedRecord[] = [
  {
    pk: '1001',
    line: 2,
    index: 0,
    value: {
      orderId: '1001',
      customer: 'Acme, Inc.',
      amount: n('12345678901234567890.5'),
      paid: true,
      items: [{ sku: 'A-1', qty: n('2') }],
    },
  },
  {
    pk: '1002',
    line: 3,
    index: 1,
    value: { orderId: '1002', customer: 'Line one\r\nline two', amount: n('0.1'), paid: false, items: [] },
  },
  {
    pk: '1003',
    line: 5,
    index: 2,
    value: { orderId: '1003', customer: 'Plain', amount: n('-42'), paid: true, items: null },
  },
  {
    pk: '1004',
    line: 6,
    index: 3,
    value: { orderId: '1004', customer: 'She said "hi"', amount: n('1e3'), paid: false, items: {} },
  },
  {
    pk: '1006',
    line: 8,
    index: 5,
    value: { orderId: '1006', customer: 'Fine', amount: n('0.5'), paid: true, items: [] },
  },
  {
    pk: '1008',
    line: 11,
    index: 7,
    value: { orderId: '1008', customer: 'Last', amount: n('7'), paid: false, items: { note: 'end' } },
  },
];

interface Variant {
  name: string;
  key: string;
  fixture: string;
  gzip: boolean;
  expected: () => Promise<ExpectedRecord[]>;
  rejected: Array<{ code: string; line?: number }>;
}

const readingsNdjson = () => readingsExpected((r) => String(r.deviceId), true);
const readingsArray = () =>
  readingsExpected((r) => `${String(r.deviceId)}#${String(numberText(r.ts))}`, false);
const malformedLine4 = [{ code: 'malformed-json', line: 4 }];
const ordersRejected = [
  { code: 'bad-number', line: 7 },
  { code: 'column-count', line: 9 },
];

const variants: Variant[] = [
  {
    name: 'ndjson',
    key: 'iot/readings.ndjson',
    fixture: 'readings.ndjson',
    gzip: false,
    expected: readingsNdjson,
    rejected: malformedLine4,
  },
  {
    name: 'ndjson, gzip (.gz)',
    key: 'iot/readings.ndjson.gz',
    fixture: 'readings.ndjson',
    gzip: true,
    expected: readingsNdjson,
    rejected: malformedLine4,
  },
  {
    name: 'ndjson, gzip found by its magic bytes',
    key: 'iot/zipped.ndjson',
    fixture: 'readings.ndjson',
    gzip: true,
    expected: readingsNdjson,
    rejected: malformedLine4,
  },
  {
    name: 'jsonl',
    key: 'iot/readings.jsonl',
    fixture: 'readings.ndjson',
    gzip: false,
    expected: readingsNdjson,
    rejected: malformedLine4,
  },
  {
    name: 'jsonl, gzip',
    key: 'iot/readings.jsonl.gz',
    fixture: 'readings.ndjson',
    gzip: true,
    expected: readingsNdjson,
    rejected: malformedLine4,
  },
  {
    name: 'json-array',
    key: 'arrays/readings.json',
    fixture: 'readings.json',
    gzip: false,
    expected: readingsArray,
    rejected: [],
  },
  {
    name: 'json-array, gzip',
    key: 'arrays/readings.json.gz',
    fixture: 'readings.json',
    gzip: true,
    expected: readingsArray,
    rejected: [],
  },
  {
    name: 'csv (BOM, CRLF, quoted newline)',
    key: 'orders/orders.csv',
    fixture: 'orders.csv',
    gzip: false,
    expected: async () => ordersExpected,
    rejected: ordersRejected,
  },
  {
    name: 'csv, gzip',
    key: 'orders/orders.csv.gz',
    fixture: 'orders.csv',
    gzip: true,
    expected: async () => ordersExpected,
    rejected: ordersRejected,
  },
];

describe.each(variants)('$name end to end', (variant) => {
  it('writes every good record as its own item, rejects the bad ones with their line, notifies once', async () => {
    const t = await pipelineFor(emulators, config);
    const raw = await fixture(variant.fixture);
    const body = variant.gzip ? gzipSync(raw) : raw;
    const event = await putObject(emulators, variant.key, body);
    const expected = await variant.expected();

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    expect(outcome.counts).toEqual({
      read: expected.length + variant.rejected.length,
      written: expected.length,
      rejected: variant.rejected.length,
      duplicates: 0,
      bytes: body.length,
    });
    const records = await recordItems(emulators, t.table);
    expect([...records.keys()].sort()).toEqual(expected.map((e) => e.pk).sort());
    for (const e of expected) {
      const item = records.get(e.pk);
      expect(payloadOf(item), e.pk).toEqual(e.value);
      expect(item?.origin).toEqual({ S: `${emulators.bucket}/${variant.key}` });
      expect(item?.index).toEqual({ N: String(e.index) });
      if (e.line !== undefined) expect(item?.line).toEqual({ N: String(e.line) });
    }
    const { count } = await scanTable(emulators, t.table);
    expect(count).toBe(expected.length + 1); // the records and the file item

    const state = await fileState(t, event);
    expect(state?.status).toBe('PROCESSED');
    expect(state?.counts).toEqual(outcome.counts);
    expect(state?.rejects.map((r) => ({ code: r.code, line: r.position.line }))).toEqual(variant.rejected);
    if (variant.rejected.length > 0) {
      const rejects = (await readObject(emulators, state?.rejectsKey ?? ''))
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rejects.map((r) => [r.object, r.code, r.position.line])).toEqual(
        variant.rejected.map((r) => [variant.key, r.code, r.line]),
      );
      expect(state?.rejectsKey?.startsWith('_eventline/rejects/')).toBe(true);
    } else {
      expect(state?.rejectsKey).toBeUndefined();
    }
    expect(t.notifier.sent).toHaveLength(1);
    expect(t.notifier.sent[0]?.subject).toBe('S3 Event Processed');
    expect(t.notifier.sent[0]?.json.records).toEqual(outcome.counts);
  });
});

describe('ingestion behaviours', () => {
  it('processes an empty file of every streamed format as zero records, notifying once each', async () => {
    const t = await pipelineFor(emulators, config);
    const keys = [
      'iot/empty.ndjson',
      'iot/empty.ndjson.gz',
      'arrays/empty.json',
      'orders/empty.csv',
      'orders/header.csv',
    ];
    const bodies: Array<string | Uint8Array> = [
      '',
      gzipSync(''),
      '',
      '',
      '\ufefforderId,customer,amount,paid,items\r\n',
    ];

    for (const [i, key] of keys.entries()) {
      const outcome = await t.pipeline.processObject(await putObject(emulators, key, bodies[i]!));
      expect(outcome.status, key).toBe('processed');
      expect(outcome.counts, key).toMatchObject({ read: 0, written: 0, rejected: 0 });
    }

    expect((await recordItems(emulators, t.table)).size).toBe(0);
    expect((await scanTable(emulators, t.table)).count).toBe(keys.length);
    expect(t.notifier.sent.map((n) => n.attributes.records?.value)).toEqual(keys.map(() => '0'));
  });

  it('fails a JSON array with a syntax error mid-array, naming the position; written batches stay', async () => {
    const t = await pipelineFor(emulators, config);
    const elements = Array.from({ length: 60 }, (_, i) =>
      i === 40 ? '{"deviceId":"a-40","ts":40 "temp":1}' : `{"deviceId":"a-${i}","ts":${i},"temp":1}`,
    );
    const event = await putObject(emulators, 'arrays/broken.json', `[\n${elements.join(',\n')}\n]\n`);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('malformed-json');
    const state = await fileState(t, event);
    expect(state?.status).toBe('FAILED');
    expect(state?.error?.position).toEqual({ line: 42, column: 28, index: 40 });
    // The first full batch of 25 was written before the error; the partial batch after it was not.
    const records = await recordItems(emulators, t.table);
    expect([...records.keys()].sort()).toEqual(Array.from({ length: 25 }, (_, i) => `a-${i}#${i}`).sort());
    expect(await t.deadLetters.list()).toHaveLength(1);
    expect(t.notifier.sent.map((n) => n.subject)).toEqual(['S3 Event Failed']);
  });

  it('keeps the later record of a duplicate key and counts repeats within a batch', async () => {
    const t = await pipelineFor(emulators, config);
    const lines: string[] = [];
    for (let i = 0; i < 70; i++) lines.push(JSON.stringify({ deviceId: `d-${i}`, v: i }));
    lines[1] = JSON.stringify({ deviceId: 'dup', v: 'first' });
    lines[3] = JSON.stringify({ deviceId: 'dup', v: 'second, same batch' });
    lines[60] = JSON.stringify({ deviceId: 'dup', v: 'last, a later batch' });
    const event = await putObject(emulators, 'iot/duplicates.ndjson', `${lines.join('\n')}\n`);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    expect(outcome.counts).toMatchObject({ read: 70, rejected: 0, duplicates: 1, written: 69 });
    const records = await recordItems(emulators, t.table);
    expect(records.size).toBe(68); // 70 lines, 3 of them one key
    expect(payloadOf(records.get('dup'))).toEqual({ deviceId: 'dup', v: 'last, a later batch' });
    expect(records.get('dup')?.line).toEqual({ N: '61' });
  });

  it('writes no duplicate items and sends no second notification when the same version comes again', async () => {
    const t = await pipelineFor(emulators, config);
    const event = await putObject(emulators, 'orders/again.csv', await fixture('orders.csv'));

    const first = await t.pipeline.processObject(event);
    const before = await scanTable(emulators, t.table);
    const second = await t.pipeline.processObject({ ...event, eventTime: new Date().toISOString() });
    const after = await scanTable(emulators, t.table);

    expect(first.status).toBe('processed');
    expect(second.status).toBe('duplicate');
    expect(after.count).toBe(before.count);
    expect(after.items).toEqual(before.items);
    expect(t.notifier.sent).toHaveLength(1);
  });

  it("fails the file at the first invalid record when the route's onInvalid is fail", async () => {
    const t = await pipelineFor(emulators, config);
    const event = await putObject(emulators, 'strict/readings.ndjson', await fixture('readings.ndjson'));

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('invalid-record');
    const state = await fileState(t, event);
    expect(state?.status).toBe('FAILED');
    expect(state?.error?.position).toMatchObject({ line: 4 });
    expect(state?.error?.message).toContain('strict/readings.ndjson: line 4');
    // Records 1-3 were still in the unsent batch: nothing of the file is in the table.
    expect((await recordItems(emulators, t.table)).size).toBe(0);
    const letters = await t.deadLetters.list();
    expect(letters.map((l) => [l.code, l.object?.key])).toEqual([
      ['invalid-record', 'strict/readings.ndjson'],
    ]);
    expect(t.notifier.sent.map((n) => n.subject)).toEqual(['S3 Event Failed']);
  });

  it('keys records without the key field as <object key>#<line>', async () => {
    const t = await pipelineFor(emulators, config);
    const event = await putObject(
      emulators,
      'keyless/log.ndjson',
      '{"msg":"a"}\n\n{"msg":"b"}\n{"serial":"S-1","msg":"c"}\n',
    );

    await t.pipeline.processObject(event);

    const records = await recordItems(emulators, t.table);
    expect([...records.keys()].sort()).toEqual(['S-1', 'keyless/log.ndjson#1', 'keyless/log.ndjson#3']);
    expect(await getItem(emulators, t.table, fileKey(emulators.bucket, 'keyless/log.ndjson'))).toBeDefined();
  });

  it('rejects a record DynamoDB cannot hold (39-digit number, too deep, not an object) and writes the rest', async () => {
    const t = await pipelineFor(emulators, config);
    const deep = `${'['.repeat(40)}1${']'.repeat(40)}`;
    const body = [
      '{"deviceId":"ok-1","n":12345678901234567890123456789012345678}',
      `{"deviceId":"big","n":${'9'.repeat(39)}}`,
      `{"deviceId":"deep","n":${deep}}`,
      '42',
      '{"deviceId":"ok-2","n":-1E-130}',
    ].join('\n');
    const event = await putObject(emulators, 'iot/limits.ndjson', body);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    expect(outcome.counts).toMatchObject({ written: 2, rejected: 3 });
    const records = await recordItems(emulators, t.table);
    expect(records.get('ok-1')?.payload).toEqual({
      M: { deviceId: { S: 'ok-1' }, n: { N: '12345678901234567890123456789012345678' } },
    });
    expect(decimalValue(records.get('ok-2')?.payload?.M?.n?.N ?? '')).toBe(decimalValue('-1E-130'));
    const state = await fileState(t, event);
    expect(state?.rejects.map((r) => [r.code, r.position.line, r.position.field])).toEqual([
      ['bad-number', 2, 'payload.n'],
      ['too-deep', 3, `payload.n${'[0]'.repeat(31)}`],
      ['not-an-object', 4, undefined],
    ]);
  });

  it('quarantines records that fail the route schema, with line and field', async () => {
    const t = await pipelineFor(emulators, config);
    const body = '{"deviceId":"c-1","temp":20}\n{"deviceId":"c-2","temp":200}\n{"deviceId":7,"temp":1}\n';
    const event = await putObject(emulators, 'checked/readings.ndjson', body);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.counts).toMatchObject({ read: 3, written: 1, rejected: 2 });
    expect([...(await recordItems(emulators, t.table)).keys()]).toEqual(['c-1']);
    const state = await fileState(t, event);
    expect(state?.rejects.map((r) => [r.code, r.position.line, r.position.field])).toEqual([
      ['invalid-record', 2, 'temp'],
      ['invalid-record', 3, 'deviceId'],
    ]);
  });

  it('offloads a record over 400 KB to S3 and keeps a pointer in its item', async () => {
    const t = await pipelineFor(emulators, config);
    const text = 'x'.repeat(450 * 1024);
    const event = await putObject(
      emulators,
      'iot/large-record.ndjson',
      `{"deviceId":"huge","text":"${text}"}\n`,
    );

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.counts).toMatchObject({ written: 1, rejected: 0 });
    const item = await getItem(emulators, t.table, 'huge');
    expect(item?.payload).toEqual({ NULL: true });
    const ref = item?.payloadRef?.M;
    expect(ref?.key?.S).toMatch(/^_eventline\/payloads\//);
    expect(JSON.parse(await readObject(emulators, ref?.key?.S ?? ''))).toEqual({ deviceId: 'huge', text });
  });

  it('fails a truncated gzip object permanently as bad-gzip', async () => {
    const t = await pipelineFor(emulators, config);
    const whole = gzipSync(Buffer.from('{"deviceId":"z","v":1}\n'.repeat(5000)));
    const event = await putObject(
      emulators,
      'iot/truncated.ndjson.gz',
      whole.subarray(0, whole.length - 100),
    );

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('bad-gzip');
    expect((await fileState(t, event))?.status).toBe('FAILED');
    expect(await t.deadLetters.list()).toHaveLength(1);
  });
});
