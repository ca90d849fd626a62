/**
 * DynamoDB attribute values as expressions see them: their type, equality and order, size, and
 * Number arithmetic with DynamoDB's limits (38 significant digits, magnitude 1E-130 to
 * 9.9999999999999999999999999999999999999E+125), done exactly on decimal digits.
 */

export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'] as const;

export function typeOf(value: AttributeValue): string {
  return Object.keys(value)[0] ?? '';
}

/** A decimal: `digits` × 10^`exponent`, `digits` without trailing zeros (zero is 0n × 10^0). */
export interface Decimal {
  digits: bigint;
  exponent: number;
}

const NUMBER = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** A Number's text as a Decimal; undefined when it is no number at all. */
export function parseNumber(text: string): Decimal | undefined {
  const match = NUMBER.exec(text);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exp = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  let digits = BigInt(`${whole}${fraction}` || '0');
  const exponent = Number(exp) - fraction.length;
  if (sign === '-') digits = -digits;
  return normal(digits, exponent);
}

function normal(digits: bigint, exponent: number): Decimal {
  if (digits === 0n) return { digits: 0n, exponent: 0 };
  let d = digits;
  let e = exponent;
  while (d % 10n === 0n) {
    d /= 10n;
    e += 1;
  }
  return { digits: d, exponent: e };
}

const abs = (x: bigint) => (x < 0n ? -x : x);

/** Why DynamoDB would refuse this number, or undefined. */
export function numberProblem(value: Decimal): string | undefined {
  if (value.digits === 0n) return undefined;
  const count = abs(value.digits).toString().length;
  if (count > 38) return 'Attempting to store more than 38 significant digits in a Number';
  const magnitude = count - 1 + value.exponent;
  if (magnitude > 125)
    return 'Number overflow. Attempting to store a number with magnitude larger than supported range';
  if (magnitude < -130)
    return 'Number underflow. Attempting to store a number with magnitude smaller than supported range';
  return undefined;
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const e = Math.min(a.exponent, b.exponent);
  const x = a.digits * 10n ** BigInt(a.exponent - e);
  const y = b.digits * 10n ** BigInt(b.exponent - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const e = Math.min(a.exponent, b.exponent);
  return normal(a.digits * 10n ** BigInt(a.exponent - e) + b.digits * 10n ** BigInt(b.exponent - e), e);
}

export function negate(a: Decimal): Decimal {
  return { digits: -a.digits, exponent: a.exponent };
}

/** A Decimal as DynamoDB prints numbers: plain digits, no exponent. */
export function formatDecimal(a: Decimal): string {
  if (a.digits === 0n) return '0';
  const negative = a.digits < 0n;
  const text = abs(a.digits).toString();
  let out: string;
  if (a.exponent >= 0) out = text + '0'.repeat(a.exponent);
  else {
    const point = text.length + a.exponent;
    out = point > 0 ? `${text.slice(0, point)}.${text.slice(point)}` : `0.${'0'.repeat(-point)}${text}`;
  }
  return negative ? `-${out}` : out;
}

const number = (value: AttributeValue) => parseNumber(String(value.N)) ?? { digits: 0n, exponent: 0 };

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64'));
}

/** Strings compare by their UTF-8 bytes, as DynamoDB does. */
function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Order of two scalars of the same type (S, N or B); undefined for any other pair. */
export function compare(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  if (type === 'N') return compareDecimal(number(a), number(b));
  if (type === 'S') return compareStrings(String(a.S), String(b.S));
  if (type === 'B') return compareBytes(String(a.B), String(b.B));
  return undefined;
}

function setKey(type: string, member: string): string {
  if (type === 'NS') return formatDecimal(parseNumber(member) ?? { digits: 0n, exponent: 0 });
  if (type === 'BS') return Buffer.from(member, 'base64').toString('base64');
  return member;
}

export function equal(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  const x = a[type];
  const y = b[type];
  switch (type) {
    case 'N':
      return compareDecimal(number(a), number(b)) === 0;
    case 'B':
      return compareBytes(String(x), String(y)) === 0;
    case 'SS':
    case 'NS':
    case 'BS': {
      const xs = new Set((x as string[]).map((m) => setKey(type, m)));
      const ys = (y as string[]).map((m) => setKey(type, m));
      return xs.size === ys.length && ys.every((m) => xs.has(m));
    }
    case 'L': {
      const xl = x as AttributeValue[];
      const yl = y as AttributeValue[];
      return xl.length === yl.length && xl.every((v, i) => equal(v, yl[i] as AttributeValue));
    }
    case 'M': {
      const xm = x as Item;
      const ym = y as Item;
      const keys = Object.keys(xm);
      return (
        keys.length === Object.keys(ym).length &&
        keys.every((k) => ym[k] !== undefined && equal(xm[k] as AttributeValue, ym[k] as AttributeValue))
      );
    }
    default:
      return x === y;
  }
}

/** size(): length of a string (characters), binary (bytes), set, list or map; undefined for others. */
export function sizeOf(value: AttributeValue): number | undefined {
  const type = typeOf(value);
  const inner = value[type];
  if (type === 'S') return [...String(inner)].length;
  if (type === 'B') return Buffer.from(String(inner), 'base64').length;
  if (type === 'SS' || type === 'NS' || type === 'BS' || type === 'L') return (inner as unknown[]).length;
  if (type === 'M') return Object.keys(inner as object).length;
  return undefined;
}

/** Whether a set holds `member` (a scalar of the set's member type). */
export function setHas(set: AttributeValue, member: AttributeValue): boolean {
  const type = typeOf(set);
  const memberType = type.slice(0, 1);
  if (typeOf(member) !== memberType) return false;
  const key = setKey(type, String(member[memberType]));
  return (set[type] as string[]).some((m) => setKey(type, m) === key);
}

/** A value's size as DynamoDB counts it toward the 400 KB item limit (names of map entries included). */
export function valueSize(value: AttributeValue): number {
  const type = typeOf(value);
  const inner = value[type];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'N':
      return Math.ceil(String(inner).replace(/[^0-9]/g, '').length / 2) + 1;
    case 'SS':
    case 'NS':
    case 'BS':
      return (inner as string[]).reduce((sum, m) => sum + valueSize({ [type.slice(0, 1)]: m }), 0);
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, v) => sum + 1 + valueSize(v), 0);
    case 'M':
      return (
        3 +
        Object.entries(inner as Item).reduce(
          (sum, [name, v]) => sum + 1 + Buffer.byteLength(name) + valueSize(v),
          0,
        )
      );
    default:
      return 1;
  }
}
