import {
  type AttributeValue,
  checkDynamoNumber,
  fromAttributeValue,
  MAX_DEPTH,
  RecordError,
  toAttributeValue,
  toItem,
} from '@eventline/core';
import { LosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';

function thrown(fn: () => unknown): RecordError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RecordError) return error;
    throw error;
  }
  throw new Error('expected a RecordError');
}

/** `depth` levels of single-element lists around `leaf`. */
const nested = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : [nested(depth - 1, leaf)]);

describe('checkDynamoNumber', () => {
  it('accepts up to 38 significant digits and refuses 39', () => {
    expect(checkDynamoNumber('9'.repeat(38))).toBeUndefined();
    expect(checkDynamoNumber(`-0.${'1'.repeat(38)}`)).toBeUndefined();
    expect(checkDynamoNumber('9'.repeat(39))).toMatch(
      /39 significant digits; DynamoDB numbers hold at most 38/,
    );
    expect(checkDynamoNumber(`1.${'0'.repeat(37)}1`)).toMatch(/39 significant digits/);
  });

  it('does not count leading and trailing zeros as significant', () => {
    expect(checkDynamoNumber(`1${'0'.repeat(60)}`)).toBeUndefined();
    expect(checkDynamoNumber(`0.${'0'.repeat(50)}${'7'.repeat(38)}`)).toBeUndefined();
    expect(checkDynamoNumber(`000${'5'.repeat(38)}.000`)).toBeUndefined();
    expect(checkDynamoNumber('0')).toBeUndefined();
    expect(checkDynamoNumber('-0.000e-999')).toBeUndefined();
  });

  it('keeps the magnitude between 1E-130 and 9.99...E+125', () => {
    expect(checkDynamoNumber(`9.${'9'.repeat(37)}E+125`)).toBeUndefined();
    expect(checkDynamoNumber('1E+126')).toMatch(/larger than DynamoDB's maximum/);
    expect(checkDynamoNumber('10E+125')).toMatch(/larger than/);
    expect(checkDynamoNumber(`1${'0'.repeat(126)}`)).toMatch(/larger than/);
    expect(checkDynamoNumber('-1E+126')).toMatch(/larger than/);
    expect(checkDynamoNumber('1E-130')).toBeUndefined();
    expect(checkDynamoNumber('0.1E-129')).toBeUndefined();
    expect(checkDynamoNumber('1E-131')).toMatch(/smaller than DynamoDB's minimum 1E-130/);
    expect(checkDynamoNumber('0.01E-129')).toMatch(/smaller than/);
  });

  it('refuses text that is not a decimal number', () => {
    for (const text of ['abc', '', '1e', '0x1F', 'NaN', '1.2.3']) {
      expect(checkDynamoNumber(text)).toMatch(/is not a decimal number/);
    }
  });
});

describe('toAttributeValue', () => {
  it('sends LosslessNumber text unchanged, so 12345678901234567890 and 0.1 stay exact', () => {
    const { value } = toAttributeValue(
      { big: new LosslessNumber('12345678901234567890'), tenth: new LosslessNumber('0.1') },
      'payload',
    );

    expect(value).toEqual({ M: { big: { N: '12345678901234567890' }, tenth: { N: '0.1' } } });
  });

  it('marshals every JSON type (undefined map entries are left out)', () => {
    const { value } = toAttributeValue(
      { s: 'x', t: true, n: null, u: undefined, l: [1, 'a'], b: 10n, m: { k: false } },
      'p',
    );

    expect(value).toEqual({
      M: {
        s: { S: 'x' },
        t: { BOOL: true },
        n: { NULL: true },
        l: { L: [{ N: '1' }, { S: 'a' }] },
        b: { N: '10' },
        m: { M: { k: { BOOL: false } } },
      },
    });
  });

  it('names the field of a number DynamoDB cannot hold, as a record error', () => {
    const error = thrown(() =>
      toAttributeValue({ items: [{}, {}, {}, { price: new LosslessNumber('1'.repeat(39)) }] }, 'payload'),
    );

    expect(error.code).toBe('bad-number');
    expect(error.position).toEqual({ field: 'payload.items[3].price' });
    expect(error.message).toMatch(/^payload\.items\[3\]\.price: 1{39} has 39 significant digits/);
    expect(thrown(() => toAttributeValue(Number.NaN, 'x')).code).toBe('bad-number');
    expect(thrown(() => toAttributeValue(Number.POSITIVE_INFINITY, 'x')).code).toBe('bad-number');
  });

  it('accepts a value under 31 lists or maps and refuses one under 32, as DynamoDB does', () => {
    // DynamoDB counts the top-level attribute as level 1 and stores at most 32 levels.
    expect(() => toAttributeValue(nested(MAX_DEPTH - 1, 'leaf'), 'p')).not.toThrow();
    expect(() => toItem({ pk: 'k', payload: { a: nested(MAX_DEPTH - 2, 1) } })).not.toThrow();

    const error = thrown(() => toAttributeValue(nested(MAX_DEPTH, 'leaf'), 'p'));

    expect(error.code).toBe('too-deep');
    expect(error.message).toContain(`nesting deeper than DynamoDB's ${MAX_DEPTH} levels`);
    expect(error.position?.field).toBe(`p${'[0]'.repeat(MAX_DEPTH)}`);
    expect(thrown(() => toItem({ pk: 'k', payload: { a: nested(MAX_DEPTH - 1, 1) } })).position).toEqual({
      field: `payload.a${'[0]'.repeat(MAX_DEPTH - 1)}`,
    });
  });

  it('refuses values JSON cannot carry', () => {
    expect(thrown(() => toAttributeValue({ f: () => 1 }, 'p')).code).toBe('bad-value');
    expect(thrown(() => toAttributeValue(Symbol('s'), 'p')).code).toBe('bad-value');
  });
});

describe('item size as DynamoDB counts it', () => {
  it('counts strings in UTF-8 bytes and scalars as DynamoDB does', () => {
    expect(toAttributeValue('abc', 'p').size).toBe(3);
    expect(toAttributeValue('é😀', 'p').size).toBe(6);
    expect(toAttributeValue(true, 'p').size).toBe(1);
    expect(toAttributeValue(null, 'p').size).toBe(1);
    // about one byte per two significant digits, plus one
    expect(toAttributeValue(new LosslessNumber('12345'), 'p').size).toBe(4);
    expect(toAttributeValue(new LosslessNumber('-1.5'), 'p').size).toBe(2);
  });

  it('adds 3 bytes per list or map and 1 per element, and counts map keys', () => {
    expect(toAttributeValue([], 'p').size).toBe(3);
    expect(toAttributeValue(['ab', true], 'p').size).toBe(3 + (2 + 1) + (1 + 1));
    expect(toAttributeValue({ key: 'ab' }, 'p').size).toBe(3 + 3 + 2 + 1);
  });

  it('sums attribute names and values for the whole item', () => {
    const { item, size } = toItem({ pk: 'a#1', payload: { v: 'xy' }, gone: undefined });

    expect(item).toEqual({ pk: { S: 'a#1' }, payload: { M: { v: { S: 'xy' } } } });
    expect(size).toBe('pk'.length + 3 + 'payload'.length + (3 + 1 + 2 + 1));
  });

  it('measures an item near 400 KB within a few bytes of its JSON text', () => {
    const text = 'x'.repeat(400 * 1024);

    const { size } = toItem({ pk: 'k', payload: { text } });

    expect(size).toBeGreaterThan(400 * 1024);
    expect(size - text.length).toBeLessThan(32);
  });
});

describe('fromAttributeValue', () => {
  it('reads items back with exact numbers', () => {
    const original = { a: [new LosslessNumber('0.1'), 'x', null, true], b: { c: new LosslessNumber('1e5') } };
    const { value } = toAttributeValue(original, 'p');

    const back = fromAttributeValue(value as AttributeValue, (text) => new LosslessNumber(text));

    expect(back).toEqual(original);
  });
});

describe('plain decimals (the fast path for log and CSV cells such as 0.001)', () => {
  it('stores them as written, sized as every number is, and still refuses more than 38 digits', () => {
    expect(toAttributeValue(new LosslessNumber('0.001'), 'x')).toEqual({ value: { N: '0.001' }, size: 3 });
    expect(toAttributeValue(new LosslessNumber('-12.50'), 'x')).toEqual({ value: { N: '-12.50' }, size: 3 });
    const widest = `1.${'2'.repeat(37)}`;
    expect(toAttributeValue(new LosslessNumber(widest), 'x').value).toEqual({ N: widest });
    expect(toAttributeValue(new LosslessNumber(`-${widest}`), 'x').value).toEqual({ N: `-${widest}` });
    expect(thrown(() => toAttributeValue(new LosslessNumber(`1.${'2'.repeat(38)}`), 'x')).message).toMatch(
      /39 significant digits/,
    );
    expect(thrown(() => toAttributeValue(new LosslessNumber(`-1.${'2'.repeat(38)}`), 'x')).code).toBe(
      'bad-number',
    );
  });
});
