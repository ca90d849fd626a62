import { routeSchema } from '@eventline/config';
import { PermanentError } from '@eventline/core';
import type { DecodedRecord } from '@eventline/core/formats';
import { decodeJsonArray, MAX_ELEMENT_DEPTH } from '@eventline/core/formats';
import { describe, expect, it } from 'vitest';
import { chunked, decodeAll, exact, fixture } from '../fixtures/formats/harness.ts';

describe('json-array decoder', () => {
  it('streams elements with exact numbers and their index as position', async () => {
    const { records, failures, thrown } = await decodeAll(
      decodeJsonArray,
      '[{"a":12345678901234567890,"b":0.1,"c":[1,{"d":null,"e":true}]},{"a":-1.5e-7,"s":"x\\"y\\u00e9"}]',
    );

    expect(thrown).toBeUndefined();
    expect(failures).toEqual([]);
    expect(records.map((r) => [exact(r.value), r.position])).toEqual([
      [{ a: 'n:12345678901234567890', b: 'n:0.1', c: ['n:1', { d: null, e: true }] }, { index: 0 }],
      [{ a: 'n:-1.5e-7', s: 'x"yé' }, { index: 1 }],
    ]);
  });

  it('gives the same elements whatever the chunk boundaries', async () => {
    const data = await fixture('readings.json');
    const whole = await decodeAll(decodeJsonArray, data);

    for (const chunkSize of [1, 2, 7, 64]) {
      const split = await decodeAll(decodeJsonArray, data, { chunkSize });
      expect(split.records).toEqual(whole.records);
    }
    expect(whole.records.map((r) => exact(r.value))[0]).toEqual({
      deviceId: 'dev-1',
      ts: 'n:1700000000001',
      temp: 'n:21.5',
      counter: 'n:12345678901234567890',
    });
    expect(whole.records).toHaveLength(5);
  });

  it('keeps "__proto__" as an own property, as JSON.parse does', async () => {
    const { records } = await decodeAll(decodeJsonArray, '[{"__proto__":{"polluted":true},"id":"p"}]');
    const value = records[0]!.value as Record<string, unknown>;

    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'id']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fails on a syntax error mid-array, naming line, column and element; every element before it is read', async () => {
    const text = '[\n{"id":1},\n{"id":2},\n{"id":3,,"x":1},\n{"id":4}\n]';

    for (const chunkSize of [1, 5, 65_536]) {
      const { records, thrown } = await decodeAll(decodeJsonArray, text, { chunkSize });

      expect(records.map((r) => exact(r.value))).toEqual([{ id: 'n:1' }, { id: 'n:2' }]);
      expect(thrown).toBeInstanceOf(PermanentError);
      expect((thrown as PermanentError).code).toBe('malformed-json');
      expect((thrown as PermanentError).position).toEqual({ line: 4, column: 9, index: 2 });
      expect((thrown as PermanentError).message).toMatch(/line 4, column 9, in record 2/);
    }
  });

  it('fails a truncated array and text after the array', async () => {
    const truncated = await decodeAll(decodeJsonArray, '[{"id":1},{"id":2}', { chunkSize: 4 });
    const trailing = await decodeAll(decodeJsonArray, '[{"id":1}] {"id":2}');

    expect(truncated.records).toHaveLength(2);
    expect((truncated.thrown as PermanentError).code).toBe('malformed-json');
    expect((truncated.thrown as PermanentError).message).toContain('ends before the array is closed');
    expect(trailing.records).toHaveLength(1);
    expect((trailing.thrown as PermanentError).message).toContain('after the end of the array');
  });

  it('refuses a top-level value that is not an array', async () => {
    const object = await decodeAll(decodeJsonArray, '{"id":1}');
    const number = await decodeAll(decodeJsonArray, '42');

    expect((object.thrown as PermanentError).code).toBe('not-an-array');
    expect((number.thrown as PermanentError).code).toBe('not-an-array');
    expect(object.records).toEqual([]);
  });

  it('reads an empty file, a blank file and [] as no records', async () => {
    for (const text of ['', ' \r\n\t', '[]', '\ufeff[ ]\n']) {
      const { all, thrown } = await decodeAll(decodeJsonArray, text);
      expect(thrown).toBeUndefined();
      expect(all).toEqual([]);
    }
  });

  it('drops a byte-order mark and yields scalar elements (the pipeline rejects them per record)', async () => {
    const { records } = await decodeAll(decodeJsonArray, '\ufeff[1,"two",null,false,[3]]', { chunkSize: 2 });

    expect(records.map((r) => exact(r.value))).toEqual(['n:1', 'two', null, false, ['n:3']]);
  });

  it('skips an element nested too deep as a record error, and goes on', async () => {
    const deep = `${'['.repeat(MAX_ELEMENT_DEPTH + 5)}1${']'.repeat(MAX_ELEMENT_DEPTH + 5)}`;

    const { all, thrown } = await decodeAll(decodeJsonArray, `[{"id":"a"},${deep},{"id":"b"}]`, {
      chunkSize: 16,
    });

    expect(thrown).toBeUndefined();
    expect(all).toHaveLength(3);
    expect(all[0]).toEqual({
      value: { id: 'a' },
      position: { index: 0 },
      resumeAt: { byte: 1, line: 0, index: 0 },
    });
    expect('error' in all[1]! && all[1].error.code).toBe('too-deep');
    expect('error' in all[1]! && all[1].error.position).toEqual({ index: 1 });
    expect(all[2]).toMatchObject({ value: { id: 'b' }, position: { index: 2 } });
  });

  it('fails the file on invalid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('[{"id":"'), Buffer.from([0xff]), Buffer.from('"}]')]);

    const { thrown } = await decodeAll(decodeJsonArray, bytes);

    expect((thrown as PermanentError).code).toBe('invalid-utf8');
  });

  it('streams 100k elements, one at a time', async () => {
    const n = 100_000;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`{"id":"e${i}","v":${i}.5}`);
    const route = routeSchema.parse({ format: 'json-array' });

    let count = 0;
    let last: DecodedRecord | undefined;
    for await (const decoded of decodeJsonArray(chunked(`[${parts.join(',')}]`), { route, key: 'k' })) {
      if ('error' in decoded) throw decoded.error;
      count += 1;
      last = decoded;
    }

    expect(count).toBe(n);
    expect(exact(last?.value)).toEqual({ id: `e${n - 1}`, v: `n:${n - 1}.5` });
    expect(last?.position).toEqual({ index: n - 1 });
  });
});
