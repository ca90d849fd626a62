import { PermanentError } from '@eventline/core';
import { decodeJson, decodeNdjson } from '@eventline/core/formats';
import { describe, expect, it } from 'vitest';
import { decodeAll, exact, fixture } from '../fixtures/formats/harness.ts';

describe('ndjson decoder', () => {
  it('keeps every number as its exact decimal text', async () => {
    const { records } = await decodeAll(
      decodeNdjson,
      '{"a":12345678901234567890,"b":0.1,"c":1e400,"d":-0}\n',
    );

    expect(records.map((r) => exact(r.value))).toEqual([
      { a: 'n:12345678901234567890', b: 'n:0.1', c: 'n:1e400', d: 'n:-0' },
    ]);
  });

  it('reads the fixture: physical lines, a malformed line in the middle, the rest goes on', async () => {
    const { records, failures, thrown } = await decodeAll(decodeNdjson, await fixture('readings.ndjson'), {
      key: 'incoming/readings.ndjson',
    });

    expect(thrown).toBeUndefined();
    expect(records.map((r) => [(r.value as { deviceId: string }).deviceId, r.position])).toEqual([
      ['dev-1', { line: 1, index: 0 }],
      ['dev-2', { line: 2, index: 1 }],
      ['dev-3', { line: 3, index: 2 }],
      ['dev-5', { line: 5, index: 3 }],
      ['dev-6', { line: 7, index: 4 }],
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.code).toBe('malformed-json');
    expect(failures[0]!.position).toMatchObject({ line: 4 });
    expect(failures[0]!.message).toContain('incoming/readings.ndjson: line 4');
  });

  it('gives the same records whatever the chunk boundaries (multi-byte characters split)', async () => {
    const text = '{"city":"Zürich","emoji":"😀"}\r\n{"city":"東京"}\r\n';
    const whole = await decodeAll(decodeNdjson, text);
    const bytewise = await decodeAll(decodeNdjson, text, { chunkSize: 1 });

    expect(bytewise.records).toEqual(whole.records);
    expect(whole.records.map((r) => r.value)).toEqual([{ city: 'Zürich', emoji: '😀' }, { city: '東京' }]);
  });

  it('drops a byte-order mark and CR of CRLF line ends; a last line without newline counts', async () => {
    const { records, failures } = await decodeAll(decodeNdjson, '\ufeff{"id":1}\r\n{"id":2}', {
      chunkSize: 2,
    });

    expect(failures).toEqual([]);
    expect(records.map((r) => [exact(r.value), r.position.line])).toEqual([
      [{ id: 'n:1' }, 1],
      [{ id: 'n:2' }, 2],
    ]);
  });

  it('reads an empty or blank file as no records', async () => {
    expect((await decodeAll(decodeNdjson, '')).all).toEqual([]);
    expect((await decodeAll(decodeNdjson, '\n  \n\r\n')).all).toEqual([]);
  });

  it('fails the file on invalid UTF-8 instead of replacing bytes', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"id":"ok"}\n{"id":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]);

    const { records, thrown } = await decodeAll(decodeNdjson, bytes, { chunkSize: 12 });

    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as PermanentError).code).toBe('invalid-utf8');
    expect((thrown as PermanentError).message).toContain('bytes 12..24');
    expect(records.map((r) => r.value)).toEqual([{ id: 'ok' }]);
  });
});

describe('json decoder (one document per file)', () => {
  it('reads one value with exact numbers', async () => {
    const { records } = await decodeAll(decodeJson, '\ufeff{"id":"x","n":12345678901234567890.123}', {
      chunkSize: 3,
    });

    expect(records.map((r) => exact(r.value))).toEqual([{ id: 'x', n: 'n:12345678901234567890.123' }]);
  });

  it('fails an empty file and names line and column of malformed JSON', async () => {
    const empty = await decodeAll(decodeJson, ' \n');
    const broken = await decodeAll(decodeJson, '{\n  "a": 1,\n  "b": }');

    expect((empty.thrown as PermanentError).code).toBe('empty-file');
    expect((broken.thrown as PermanentError).code).toBe('malformed-json');
    expect((broken.thrown as PermanentError).position).toEqual({ line: 3, column: 8 });
  });
});
