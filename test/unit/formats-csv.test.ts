import type { RouteInput } from '@eventline/config';
import { PermanentError } from '@eventline/core';
import { decodeCsv, normaliseNumber } from '@eventline/core/formats';
import { describe, expect, it } from 'vitest';
import { decodeAll, exact, fixture } from '../fixtures/formats/harness.ts';

const ordersRoute: RouteInput = {
  format: 'csv',
  suffix: '.csv',
  csv: { types: { amount: 'number', paid: 'boolean', items: 'json' } },
};

describe('csv decoder', () => {
  it('reads the orders fixture: BOM, CRLF, quoted newline, typed columns, bad rows in the middle', async () => {
    const { records, failures, thrown } = await decodeAll(decodeCsv, await fixture('orders.csv'), {
      route: ordersRoute,
      key: 'incoming/orders.csv',
    });

    expect(thrown).toBeUndefined();
    expect(records.map((r) => [exact(r.value), r.position])).toEqual([
      [
        {
          orderId: '1001',
          customer: 'Acme, Inc.',
          amount: 'n:12345678901234567890.5',
          paid: true,
          items: [{ sku: 'A-1', qty: 'n:2' }],
        },
        { line: 2, index: 0 },
      ],
      [
        { orderId: '1002', customer: 'Line one\r\nline two', amount: 'n:0.1', paid: false, items: [] },
        { line: 3, index: 1 },
      ],
      [
        { orderId: '1003', customer: 'Plain', amount: 'n:-42', paid: true, items: null },
        { line: 5, index: 2 },
      ],
      [
        { orderId: '1004', customer: 'She said "hi"', amount: 'n:1e3', paid: false, items: {} },
        { line: 6, index: 3 },
      ],
      [
        { orderId: '1006', customer: 'Fine', amount: 'n:0.5', paid: true, items: [] },
        { line: 8, index: 5 },
      ],
      [
        { orderId: '1008', customer: 'Last', amount: 'n:7', paid: false, items: { note: 'end' } },
        { line: 11, index: 7 },
      ],
    ]);
    expect(failures.map((f) => [f.code, f.position])).toEqual([
      ['bad-number', { line: 7, index: 4, column: 3, field: 'amount' }],
      ['column-count', { line: 9, index: 6 }],
    ]);
    expect(failures[0]!.message).toBe(
      'incoming/orders.csv: line 7, column 3 ("amount"): "12abc" is not a number',
    );
    expect(failures[1]!.message).toBe(
      'incoming/orders.csv: line 9: expected 5 fields as in the header, got 6',
    );
  });

  it('gives the same rows and lines whatever the chunk boundaries', async () => {
    const data = await fixture('orders.csv');
    const whole = await decodeAll(decodeCsv, data, { route: ordersRoute });

    for (const chunkSize of [1, 3, 17]) {
      const split = await decodeAll(decodeCsv, data, { route: ordersRoute, chunkSize });
      expect(split.all).toEqual(whole.all);
    }
  });

  it('counts quoted LF newlines and lone-CR line ends as physical lines', async () => {
    const lf = await decodeAll(decodeCsv, 'id,note\n1,"a\nb\nc"\n2,x\n');
    const cr = await decodeAll(decodeCsv, 'id,note\r1,"a\rb"\r2,x\r');

    expect(lf.records.map((r) => [r.value, r.position.line])).toEqual([
      [{ id: '1', note: 'a\nb\nc' }, 2],
      [{ id: '2', note: 'x' }, 5],
    ]);
    expect(cr.records.map((r) => r.position.line)).toEqual([2, 4]);
  });

  it('takes delimiter and quote from the route; the quote doubled escapes itself', async () => {
    const { records } = await decodeAll(decodeCsv, "sku;label\nA-1;'semi; colon'\nB-2;'it''s'\n", {
      route: { format: 'csv', csv: { delimiter: ';', quote: "'" } },
    });

    expect(records.map((r) => r.value)).toEqual([
      { sku: 'A-1', label: 'semi; colon' },
      { sku: 'B-2', label: "it's" },
    ]);
  });

  it('keeps a quote inside an unquoted field as text', async () => {
    const { records } = await decodeAll(decodeCsv, 'id,size\n1,5" screen\n');

    expect(records.map((r) => r.value)).toEqual([{ id: '1', size: '5" screen' }]);
  });

  it('types booleans and JSON cells, and rejects bad ones with line and column', async () => {
    const { records, failures } = await decodeAll(
      decodeCsv,
      'id,ok,doc\n1,TRUE,"{""a"":1}"\n2,yes,[]\n3,false,{oops\n',
      {
        route: { format: 'csv', csv: { types: { ok: 'boolean', doc: 'json' } } },
      },
    );

    expect(records.map((r) => exact(r.value))).toEqual([{ id: '1', ok: true, doc: { a: 'n:1' } }]);
    expect(failures.map((f) => [f.code, f.position])).toEqual([
      ['bad-boolean', { line: 3, index: 1, column: 2, field: 'ok' }],
      ['bad-json', { line: 4, index: 2, column: 3, field: 'doc' }],
    ]);
  });

  it('reads an empty file, a header-only file and blank lines as no records', async () => {
    for (const text of ['', '\ufeff', 'a,b\r\n', '\na,b\n\n\n']) {
      const { all, thrown } = await decodeAll(decodeCsv, text);
      expect(thrown).toBeUndefined();
      expect(all).toEqual([]);
    }
  });

  it('fails a file whose header repeats a name, lacks one or lacks a typed column', async () => {
    const repeated = await decodeAll(decodeCsv, 'a,a\n1,2\n');
    const unnamed = await decodeAll(decodeCsv, 'a,,c\n1,2,3\n');
    const untyped = await decodeAll(decodeCsv, 'a,b\n1,2\n', {
      route: { format: 'csv', csv: { types: { amount: 'number' } } },
    });

    for (const { thrown } of [repeated, unnamed, untyped]) {
      expect(thrown).toBeInstanceOf(PermanentError);
      expect((thrown as PermanentError).code).toBe('bad-csv-header');
    }
    expect((untyped.thrown as PermanentError).message).toContain('"amount"');
  });

  it('fails the file on an unclosed quote, naming the line the record starts on; rows before it are read', async () => {
    const { records, thrown } = await decodeAll(
      decodeCsv,
      'id,note\r\n1,"a\r\nb"\r\n2,"never closed\r\n3,x\r\n',
      {
        chunkSize: 4,
      },
    );

    expect(records.map((r) => r.value)).toEqual([{ id: '1', note: 'a\r\nb' }]);
    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as PermanentError).code).toBe('malformed-csv');
    expect((thrown as PermanentError).position).toEqual({ line: 4, index: 1 });
  });

  it('fails the file on invalid UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('id,name\n1,'),
      Buffer.from([0xe2, 0x28, 0xa1]),
      Buffer.from('\n'),
    ]);

    const { thrown } = await decodeAll(decodeCsv, bytes);

    expect((thrown as PermanentError).code).toBe('invalid-utf8');
  });

  it('normalises number cells to JSON spelling without changing their digits', () => {
    expect(normaliseNumber('42')).toBe('42');
    expect(normaliseNumber(' -0.10 ')).toBe('-0.10');
    expect(normaliseNumber('+1')).toBe('1');
    expect(normaliseNumber('.5')).toBe('0.5');
    expect(normaliseNumber('1.')).toBe('1');
    expect(normaliseNumber('007')).toBe('7');
    expect(normaliseNumber('1E-3')).toBe('1E-3');
    expect(normaliseNumber('99999999999999999999999999999999999999999')).toBe(
      '99999999999999999999999999999999999999999',
    );
    for (const bad of ['', '.', '-', '1,5', '1e', '0x10', 'NaN', 'Infinity', '1 2']) {
      expect(normaliseNumber(bad)).toBeUndefined();
    }
  });
});
