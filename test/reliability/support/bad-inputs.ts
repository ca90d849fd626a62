import { gzipSync } from 'node:zlib';
import type { EventlineConfigInput } from '@eventline/config';
import { z } from 'zod';

/**
 * The bad-input corpus: each case is one object put through the edge, with what must become of it.
 * `fails` cases must end FAILED with the error code, a message naming the object and, where the
 * problem has one, the position (line/column, record index, field path); `processed` cases are
 * awkward but valid and must be stored; `rejects` cases are multi-record files whose bad records are
 * quarantined (named by line or index) while the good ones are written.
 */

export const CORPUS_CONFIG: EventlineConfigInput = {
  routes: [
    { id: 'json', prefix: 'incoming/', suffix: '.json', format: 'json', key: 'id' },
    { id: 'json-gz', prefix: 'incoming/', suffix: '.json.gz', format: 'json', key: 'id' },
    { id: 'lines', prefix: 'lines/', suffix: '.ndjson', format: 'ndjson', key: 'id' },
    { id: 'arrays', prefix: 'arrays/', suffix: '.json', format: 'json-array', key: 'id' },
    {
      id: 'tables',
      prefix: 'tables/',
      suffix: '.csv',
      format: 'csv',
      key: 'id',
      csv: { types: { n: 'number' } },
    },
    {
      id: 'strict',
      prefix: 'strict/',
      suffix: '.ndjson',
      format: 'ndjson',
      key: 'id',
      onInvalid: 'fail',
      schema: z.object({ id: z.string(), amount: z.number() }),
    },
  ],
};

export interface BadInput {
  name: string;
  key: string;
  body: string | Uint8Array;
  /** FAILED with this code; the message must contain every `where` fragment. */
  fails?: { code: string; where?: Array<string | RegExp> };
  /** PROCESSED, with this many records written (default 1). */
  processed?: { records?: number; check?: (records: Array<Record<string, unknown>>) => void };
  /** The upload itself is refused by the S3 API with this error code. */
  refused?: { code: string; message: RegExp };
  /** PROCESSED with quarantined records: this many written, these positions rejected. */
  rejects?: { written: number; positions: Array<string | RegExp> };
}

const nest = (depth: number): string => (depth === 0 ? '1' : `{"a":${nest(depth - 1)}}`);
const nestArrays = (depth: number): string => (depth === 0 ? '1' : `[${nestArrays(depth - 1)}]`);
const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

export function corpus(): BadInput[] {
  const big = 'x'.repeat(420 * 1024);
  const gzipped = gzipSync(Buffer.from(JSON.stringify({ id: 'gz-1', ok: true })));
  return [
    // Malformed JSON at several positions.
    {
      name: 'truncated object',
      key: 'incoming/bad/truncated.json',
      body: '{"id": "t-1", "total": 4',
      fails: { code: 'malformed-json', where: ['line 1'] },
    },
    {
      name: 'trailing comma',
      key: 'incoming/bad/trailing-comma.json',
      body: '{"id": "t-2", "total": 4,}',
      fails: { code: 'malformed-json', where: ['line 1, column 26'] },
    },
    {
      name: 'single quotes',
      key: 'incoming/bad/single-quotes.json',
      body: "{'id': 't-3'}",
      fails: { code: 'malformed-json', where: ['line 1, column 2'] },
    },
    {
      name: 'garbage after the object',
      key: 'incoming/bad/after.json',
      body: '{"id": "t-4"} {"id": "t-5"}',
      fails: { code: 'malformed-json', where: ['line 1, column 15'] },
    },
    {
      name: 'error on line 3',
      key: 'incoming/bad/line-3.json',
      body: '{\n  "id": "t-6",\n  "total": 4 5\n}',
      fails: { code: 'malformed-json', where: ['line 3'] },
    },
    {
      name: 'unterminated string',
      key: 'incoming/bad/string.json',
      body: '{"id": "t-7',
      fails: { code: 'malformed-json', where: ['line 1'] },
    },
    {
      name: 'bare word',
      key: 'incoming/bad/bare.json',
      body: '{"id": t8}',
      fails: { code: 'malformed-json', where: ['line 1, column 8'] },
    },
    {
      name: 'unquoted key',
      key: 'incoming/bad/unquoted-key.json',
      body: '{id: "t-9"}',
      fails: { code: 'malformed-json', where: ['line 1, column 2'] },
    },
    {
      name: 'NaN token',
      key: 'incoming/bad/nan.json',
      body: '{"id": "n-1", "v": NaN}',
      fails: { code: 'malformed-json', where: ['column 20'] },
    },
    {
      name: 'Infinity token',
      key: 'incoming/bad/infinity.json',
      body: '{"id": "n-2", "v": Infinity}',
      fails: { code: 'malformed-json', where: ['column 20'] },
    },
    {
      name: '-Infinity token',
      key: 'incoming/bad/minus-infinity.json',
      body: '{"id": "n-3", "v": -Infinity}',
      fails: { code: 'malformed-json', where: ['column 2'] },
    },
    {
      name: 'hex number',
      key: 'incoming/bad/hex.json',
      body: '{"id": "n-4", "v": 0x1F}',
      fails: { code: 'malformed-json', where: ['column'] },
    },
    {
      name: 'leading zero',
      key: 'incoming/bad/leading-zero.json',
      body: '{"id": "n-5", "v": 007}',
      fails: { code: 'malformed-json', where: ['column'] },
    },
    // Compression, emptiness, encodings.
    {
      name: 'truncated gzip',
      key: 'incoming/bad/truncated.json.gz',
      body: gzipped.subarray(0, gzipped.length - 12),
      fails: { code: 'bad-gzip' },
    },
    {
      name: 'gzip of malformed JSON',
      key: 'incoming/bad/malformed.json.gz',
      body: gzipSync(Buffer.from('{"id": ')),
      fails: { code: 'malformed-json' },
    },
    { name: 'gzip of valid JSON', key: 'incoming/ok/valid.json.gz', body: gzipped, processed: {} },
    { name: 'empty file (0 bytes)', key: 'incoming/bad/empty.json', body: '', fails: { code: 'empty-file' } },
    {
      name: 'only whitespace',
      key: 'incoming/bad/blank.json',
      body: ' \n\t\n ',
      fails: { code: 'empty-file' },
    },
    {
      name: 'BOM then a valid object',
      key: 'incoming/ok/bom.json',
      body: bytes([0xef, 0xbb, 0xbf], '{"id": "bom-1"}'),
      processed: {},
    },
    {
      name: 'BOM then malformed',
      key: 'incoming/bad/bom-malformed.json',
      body: bytes([0xef, 0xbb, 0xbf], '{"id": }'),
      fails: { code: 'malformed-json', where: ['line 1'] },
    },
    {
      name: 'invalid UTF-8 byte',
      key: 'incoming/bad/latin1.json',
      body: bytes('{"id": "caf', [0xe9], '"}'),
      fails: { code: 'invalid-utf8', where: [/byte/] },
    },
    {
      name: 'UTF-8 encoded surrogate',
      key: 'incoming/bad/surrogate.json',
      body: bytes('{"id": "s', [0xed, 0xa0, 0x80], '"}'),
      fails: { code: 'invalid-utf8', where: [/byte/] },
    },
    {
      name: 'truncated UTF-8 at the end',
      key: 'incoming/bad/utf8-end.json',
      body: bytes('{"id": "e"}', [0xe2, 0x82]),
      fails: { code: 'invalid-utf8', where: [/byte/] },
    },
    {
      name: 'UTF-16 file',
      key: 'incoming/bad/utf16.json',
      body: Buffer.from('\ufeff{"id": "u16"}', 'utf16le'),
      fails: { code: 'invalid-utf8' },
    },
    // Not an object.
    {
      name: 'an array',
      key: 'incoming/bad/array.json',
      body: '[{"id": "a-1"}]',
      fails: { code: 'not-an-object', where: ['an array'] },
    },
    {
      name: 'a number',
      key: 'incoming/bad/number.json',
      body: '42',
      fails: { code: 'not-an-object', where: ['a number'] },
    },
    {
      name: 'a string',
      key: 'incoming/bad/string-value.json',
      body: '"hello"',
      fails: { code: 'not-an-object', where: ['string'] },
    },
    {
      name: 'null',
      key: 'incoming/bad/null.json',
      body: 'null',
      fails: { code: 'not-an-object', where: ['null'] },
    },
    {
      name: 'a boolean',
      key: 'incoming/bad/true.json',
      body: 'true',
      fails: { code: 'not-an-object', where: ['boolean'] },
    },
    // What DynamoDB cannot hold.
    {
      name: 'objects nested 40 deep',
      key: 'incoming/bad/deep.json',
      body: `{"id": "d-1", "v": ${nest(40)}}`,
      fails: { code: 'too-deep', where: ['payload.v.a.a'] },
    },
    {
      name: 'arrays nested 40 deep',
      key: 'incoming/bad/deep-array.json',
      body: `{"id": "d-2", "v": ${nestArrays(40)}}`,
      fails: { code: 'too-deep', where: ['payload.v[0][0]'] },
    },
    {
      name: 'nesting at the limit (31 levels)',
      key: 'incoming/ok/deep-ok.json',
      body: `{"id": "d-3", "v": ${nest(30)}}`,
      processed: {},
    },
    {
      name: '39 significant digits',
      key: 'incoming/bad/digits-39.json',
      body: '{"id": "g-1", "v": 123456789012345678901234567890123456789}',
      fails: { code: 'bad-number', where: ['payload.v', '39 significant digits'] },
    },
    {
      name: '38 significant digits, kept exactly',
      key: 'incoming/ok/digits-38.json',
      body: '{"id": "g-2", "v": 12345678901234567890123456789012345678}',
      processed: { check: (r) => void expectText(r[0], '12345678901234567890123456789012345678') },
    },
    {
      name: 'number above 9.99E+125',
      key: 'incoming/bad/huge.json',
      body: '{"id": "g-3", "v": 1e126}',
      fails: { code: 'bad-number', where: ['payload.v'] },
    },
    {
      name: 'number below 1E-130',
      key: 'incoming/bad/tiny.json',
      body: '{"id": "g-4", "v": 1e-131}',
      fails: { code: 'bad-number', where: ['payload.v'] },
    },
    {
      name: 'a 420 KB record (payload offloaded to S3)',
      key: 'incoming/ok/large-record.json',
      body: JSON.stringify({ id: 'big-1', blob: big }),
      processed: { check: (r) => void expectOffloaded(r[0]) },
    },
    {
      name: 'over the 10 MiB json route limit',
      key: 'incoming/bad/too-large.json',
      body: JSON.stringify({ id: 'big-2', blob: 'y'.repeat(10 * 1024 * 1024 + 1) }),
      fails: { code: 'too-large', where: ['10485760'] },
    },
    {
      name: 'duplicate keys in one object',
      key: 'incoming/bad/duplicate-field.json',
      body: '{"id": "k-1", "id": "k-2"}',
      fails: { code: 'malformed-json', where: ['Duplicate key'] },
    },
    // Record keys.
    {
      name: 'id is an empty string',
      key: 'incoming/bad/empty-id.json',
      body: '{"id": ""}',
      fails: { code: 'bad-key', where: ['empty string'] },
    },
    {
      name: 'id is an object',
      key: 'incoming/bad/object-id.json',
      body: '{"id": {"a": 1}}',
      fails: { code: 'bad-key', where: ['"id"'] },
    },
    {
      name: 'id uses the reserved #file# prefix',
      key: 'incoming/bad/reserved-id.json',
      body: '{"id": "#file#x"}',
      fails: { code: 'bad-key', where: ['#file#'] },
    },
    {
      name: 'id over 2048 bytes',
      key: 'incoming/bad/long-id.json',
      body: JSON.stringify({ id: 'i'.repeat(2049) }),
      fails: { code: 'bad-key', where: ['2048'] },
    },
    {
      name: 'no id: the object key is the record key',
      key: 'incoming/ok/no-id.json',
      body: '{"total": 1}',
      processed: { check: (r) => void expectPk(r[0], 'incoming/ok/no-id.json') },
    },
    // Object keys.
    {
      name: 'key with spaces',
      key: 'incoming/ok/with spaces in it.json',
      body: '{"id": "key-1"}',
      processed: {},
    },
    { name: 'key with plus signs', key: 'incoming/ok/a+b+c.json', body: '{"id": "key-2"}', processed: {} },
    {
      name: 'key with unicode',
      key: 'incoming/ok/ünïcödé-日本-🚀.json',
      body: '{"id": "key-3"}',
      processed: {},
    },
    {
      name: 'key with percent signs',
      key: 'incoming/ok/100%25%-done%zz.json',
      body: '{"id": "key-4"}',
      processed: {},
    },
    {
      name: 'key with .. segments',
      key: 'incoming/../../ok/dots.json',
      body: '{"id": "key-5"}',
      processed: {},
    },
    {
      name: 'key with special characters',
      key: "incoming/ok/q?x=1&y=(2)!*'~;:@$,.json",
      body: '{"id": "key-6"}',
      processed: {},
    },
    {
      name: 'very long key (1,000 bytes, many segments)',
      key: `incoming/${'segment-0123456789/'.repeat(51)}end.json`,
      body: '{"id": "key-7"}',
      processed: {},
    },
    {
      name: 'very long key segment (230 bytes)',
      key: `incoming/${'s'.repeat(225)}.json`,
      body: '{"id": "key-8"}',
      processed: {},
    },
    {
      // S3 limits the whole key (1,024 bytes), not a segment; the local S3 keeps keys out of the file system.
      name: 'key segment of 250 bytes',
      key: `incoming/${'t'.repeat(245)}.json`,
      body: '{"id": "key-9"}',
      processed: {},
    },
    {
      name: "key over S3's 1,024-byte limit",
      key: `incoming/${'long-key-part/'.repeat(80)}x.json`,
      body: '{"id": "key-10"}',
      refused: { code: 'KeyTooLongError', message: /too long/ },
    },
    // Multi-record formats: duplicates and bad records are quarantined by position.
    {
      name: 'ndjson: duplicate ids (the later wins)',
      key: 'lines/dup-ids.ndjson',
      body: '{"id":"l-1","v":1}\n{"id":"l-1","v":2}\n{"id":"l-2","v":3}\n',
      processed: { records: 2, check: (r) => void expectLater(r) },
    },
    {
      name: 'ndjson: malformed line 3',
      key: 'lines/bad-line.ndjson',
      body: '{"id":"m-1"}\n{"id":"m-2"}\n{"id": oops}\n{"id":"m-4"}\n',
      rejects: { written: 3, positions: ['line 3'] },
    },
    {
      name: 'ndjson: a line that is an array',
      key: 'lines/array-line.ndjson',
      body: '{"id":"m-5"}\n[1,2]\n',
      rejects: { written: 1, positions: ['line 2'] },
    },
    {
      name: 'ndjson: 39-digit number on line 2',
      key: 'lines/digits.ndjson',
      body: '{"id":"m-6","v":1}\n{"id":"m-7","v":123456789012345678901234567890123456789}\n',
      rejects: { written: 1, positions: ['line 2'] },
    },
    {
      name: 'json-array: malformed element 2',
      key: 'arrays/bad-element.json',
      body: '[{"id":"e-1"},{"id":"e-2"},{"id": ]',
      fails: { code: 'malformed-json', where: [/record 2|index 2|element 2/] },
    },
    {
      name: 'json-array: duplicate ids',
      key: 'arrays/dup-ids.json',
      body: '[{"id":"e-3","v":1},{"id":"e-3","v":2}]',
      processed: { records: 1, check: (r) => void expectLater(r) },
    },
    {
      name: 'json-array: not an array',
      key: 'arrays/object.json',
      body: '{"id":"e-4"}',
      fails: { code: 'not-an-array' },
    },
    {
      name: 'csv: wrong field count on line 3',
      key: 'tables/fields.csv',
      body: 'id,n\nc-1,1\nc-2,2,extra\nc-3,3\n',
      rejects: { written: 2, positions: ['line 3'] },
    },
    {
      name: 'csv: not a number in column n',
      key: 'tables/number.csv',
      body: 'id,n\nc-4,abc\nc-5,5\n',
      rejects: { written: 1, positions: ['line 2', 'n'] },
    },
    {
      name: 'csv: unterminated quote',
      key: 'tables/quote.csv',
      body: 'id,n\nc-6,1\n"c-7,2\n',
      fails: { code: 'malformed-csv', where: ['line 3'] },
    },
    {
      name: 'csv: duplicate ids',
      key: 'tables/dup-ids.csv',
      body: 'id,n\nc-8,1\nc-8,2\n',
      processed: { records: 1, check: (r) => void expectLater(r) },
    },
    {
      name: 'schema: amount is a string, line 2 (onInvalid fail)',
      key: 'strict/schema.ndjson',
      body: '{"id":"s-1","amount":1}\n{"id":"s-2","amount":"2"}\n',
      fails: { code: 'invalid-record', where: ['line 2', 'amount'] },
    },
  ];
}

// Checks used by `processed` cases (they throw, the test reports the case's name).
function expectText(record: Record<string, unknown> | undefined, digits: string): void {
  const v = (record?.payload as { v?: unknown } | undefined)?.v;
  if (String(v) !== digits) throw new Error(`expected the exact number ${digits}, got ${String(v)}`);
}
function expectOffloaded(record: Record<string, unknown> | undefined): void {
  const ref = record?.payloadRef as { key?: string; bytes?: number } | undefined;
  if (!ref?.key || !ref.bytes || ref.bytes < 420 * 1024)
    throw new Error(`expected a payloadRef, got ${JSON.stringify(ref)}`);
}
function expectPk(record: Record<string, unknown> | undefined, pk: string): void {
  if (record?.pk !== pk) throw new Error(`expected pk ${pk}, got ${String(record?.pk)}`);
}
function expectLater(records: Array<Record<string, unknown>>): void {
  const byPk = new Map(records.map((r) => [r.pk, r]));
  for (const [pk, record] of byPk) {
    const { v, n } = record.payload as { v?: unknown; n?: unknown };
    if (String(pk).endsWith('-1') || String(pk) === 'e-3' || String(pk) === 'c-8') {
      const value = String(v ?? n);
      if (value !== '2') throw new Error(`${String(pk)}: expected the later record (2), got ${value}`);
    }
  }
}
