import { isLosslessNumber, type LosslessNumber } from 'lossless-json';
import { RecordError } from './errors.ts';

/**
 * Parsed values are turned into DynamoDB's attribute-value shape in one pass that also checks what
 * DynamoDB would refuse (numbers beyond 38 digits, nesting deeper than 32 levels) and measures the
 * item's size as DynamoDB counts it. The SDK's `marshall` does the conversion but neither names the
 * field at fault nor measures, so the core does the three at once (and imports no AWS SDK).
 *
 * Numbers stay exact: decoders hand numbers over as their decimal text (lossless-json's
 * LosslessNumber), which is sent as `{ N: "<text>" }` unchanged.
 */

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

export type AttributeMap = Record<string, AttributeValue>;

/**
 * DynamoDB's nesting limit: 32 levels, the top-level attribute being level 1, so a value may sit
 * under at most 31 lists or maps (measured against DynamoDB: 31 map wraps around a scalar are
 * stored, 32 are refused with "Nesting Levels have exceeded supported limits"). Here the attribute
 * value is at depth 0, so depth 31 is the deepest a value may be.
 */
export const MAX_DEPTH = 32;
export const MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

const DECIMAL = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Checks a decimal string against DynamoDB's number type: at most 38 significant digits, magnitude
 * between 1E-130 and 9.99...E+125. Returns the reason when it does not fit.
 */
export function checkDynamoNumber(text: string): string | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return `"${text}" is not a decimal number`;
  const [, intPart = '', fracPart = '', expPart = '0'] = match;
  const digits = (intPart + fracPart).replace(/^0+/, '');
  if (digits === '') return undefined; // zero
  const significant = digits.replace(/0+$/, '');
  if (significant.length > 38) {
    return `${text} has ${significant.length} significant digits; DynamoDB numbers hold at most 38`;
  }
  // Decimal exponent of the leading digit: value = 0.d1d2... x 10^(position)
  const leadingZerosInFraction =
    intPart.replace(/^0+/, '') === '' ? fracPart.length - fracPart.replace(/^0+/, '').length : 0;
  const intDigits = intPart.replace(/^0+/, '').length;
  const exponent = Number(expPart) + (intDigits > 0 ? intDigits - 1 : -(leadingZerosInFraction + 1));
  if (exponent > 125)
    return `${text} is larger than DynamoDB's maximum 9.9999999999999999999999999999999999999E+125`;
  if (exponent < -130) return `${text} is smaller than DynamoDB's minimum 1E-130`;
  return undefined;
}

export interface Marshalled {
  value: AttributeValue;
  /** Bytes of the value as DynamoDB counts them (names are counted by the caller). */
  size: number;
}

/** Converts one parsed value; `path` names the field in errors (e.g. `payload.items[3].price`). */
export function toAttributeValue(value: unknown, path: string, depth = 0): Marshalled {
  if (depth >= MAX_DEPTH) {
    throw new RecordError('too-deep', `${path}: nesting deeper than DynamoDB's ${MAX_DEPTH} levels`, {
      position: { field: path },
    });
  }
  if (value === null || value === undefined) return { value: { NULL: true }, size: 1 };
  if (typeof value === 'string') return { value: { S: value }, size: utf8(value) };
  if (typeof value === 'boolean') return { value: { BOOL: value }, size: 1 };
  if (isLosslessNumber(value)) return number((value as LosslessNumber).value, path);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new RecordError('bad-number', `${path}: ${value} is not a number DynamoDB can store`, {
        position: { field: path },
      });
    }
    return number(String(value), path);
  }
  if (typeof value === 'bigint') return number(value.toString(), path);
  if (Array.isArray(value)) {
    const items: AttributeValue[] = [];
    let size = 3;
    value.forEach((element, i) => {
      const m = toAttributeValue(element, `${path}[${i}]`, depth + 1);
      items.push(m.value);
      size += m.size + 1;
    });
    return { value: { L: items }, size };
  }
  if (typeof value === 'object') {
    const map: Record<string, AttributeValue> = {};
    let size = 3;
    for (const [name, element] of Object.entries(value as Record<string, unknown>)) {
      if (element === undefined) continue;
      const m = toAttributeValue(element, `${path}.${name}`, depth + 1);
      map[name] = m.value;
      size += utf8(name) + m.size + 1;
    }
    return { value: { M: map }, size };
  }
  throw new RecordError('bad-value', `${path}: a ${typeof value} cannot be stored`, {
    position: { field: path },
  });
}

/** An integer of at most 37 digits without leading zeros: always a DynamoDB number (the common case, checked first). */
const PLAIN_INTEGER = /^-?(?:0|[1-9]\d{0,36})$/;
/** A decimal with a point and no exponent (`0.001`, `-12.50`); its length bounds its digits (checked beside it). */
const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)\.\d+$/;

function number(text: string, path: string): Marshalled {
  if (PLAIN_INTEGER.test(text)) {
    return {
      value: { N: text },
      size: Math.ceil((text.length - (text.charCodeAt(0) === 45 ? 1 : 0)) / 2) + 1,
    };
  }
  if (PLAIN_DECIMAL.test(text) && text.length <= (text.charCodeAt(0) === 45 ? 40 : 39)) {
    // At most 38 digits with a point and no exponent: always in DynamoDB's range (the size as below).
    return {
      value: { N: text },
      size: Math.ceil((text.length - (text.charCodeAt(0) === 45 ? 2 : 1)) / 2) + 1,
    };
  }
  const problem = checkDynamoNumber(text);
  if (problem) throw new RecordError('bad-number', `${path}: ${problem}`, { position: { field: path } });
  // DynamoDB: about 1 byte per 2 significant digits, plus 1.
  return { value: { N: text }, size: Math.ceil(text.replace(/[^0-9]/g, '').length / 2) + 1 };
}

/** Marshals a whole item (top-level attributes) and returns it with its DynamoDB size. */
export function toItem(attributes: Record<string, unknown>): { item: AttributeMap; size: number } {
  const item: AttributeMap = {};
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const m = toAttributeValue(value, name, 0);
    item[name] = m.value;
    size += utf8(name) + m.size;
  }
  return { item, size };
}

/** The inverse, for reading items back (numbers stay exact decimal strings wrapped as LosslessNumber). */
export function fromAttributeValue(value: AttributeValue, toNumber: (text: string) => unknown): unknown {
  if ('S' in value) return value.S;
  if ('N' in value) return toNumber(value.N);
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('L' in value) return value.L.map((v) => fromAttributeValue(v, toNumber));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value.M)) out[k] = fromAttributeValue(v, toNumber);
  return out;
}
