/**
 * Condition (and filter) expressions evaluated against an item with DynamoDB's rules: a path that
 * is absent makes a comparison false (two absent operands are not equal); values of different
 * types are not equal and not ordered; size() of an absent or size-less value is absent; empty
 * strings and binaries are ordinary values. Projections of an item onto paths are here too.
 */
import type { Condition, Operand, Path } from './parse.ts';
import { type AttributeValue, compare, equal, type Item, setHas, sizeOf, typeOf } from './values.ts';

/** The value at `path` in `item`, or undefined. */
export function resolve(item: Item | undefined, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined;
  for (const [i, element] of path.elements.entries()) {
    if (i === 0) {
      current = item?.[element as string];
      continue;
    }
    if (!current) return undefined;
    if (typeof element === 'number') {
      const list = current.L as AttributeValue[] | undefined;
      current = Array.isArray(list) ? list[element] : undefined;
    } else {
      const map = current.M as Item | undefined;
      current = map && typeof map === 'object' ? map[element] : undefined;
    }
  }
  return current;
}

function operand(item: Item | undefined, o: Operand): AttributeValue | undefined {
  if (o.k === 'value') return o.value;
  if (o.k === 'path') return resolve(item, o);
  const value = o.path.k === 'value' ? o.path.value : resolve(item, o.path);
  const size = value && sizeOf(value);
  return size === undefined ? undefined : { N: String(size) };
}

function holds(op: string, order: number): boolean {
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

export function evaluate(item: Item | undefined, c: Condition): boolean {
  switch (c.k) {
    case 'and':
      return evaluate(item, c.left) && evaluate(item, c.right);
    case 'or':
      return evaluate(item, c.left) || evaluate(item, c.right);
    case 'not':
      return !evaluate(item, c.operand);
    case 'compare': {
      const left = operand(item, c.left);
      const right = operand(item, c.right);
      // An absent operand equals nothing: `=` is false and `<>` true.
      if (c.op === '<>') return !left || !right || !equal(left, right);
      if (!left || !right) return false;
      if (c.op === '=') return equal(left, right);
      const order = compare(left, right);
      return order !== undefined && holds(c.op, order);
    }
    case 'between': {
      const subject = operand(item, c.subject);
      const low = operand(item, c.low);
      const high = operand(item, c.high);
      if (!subject || !low || !high) return false;
      const above = compare(subject, low);
      const below = compare(subject, high);
      return above !== undefined && below !== undefined && above >= 0 && below <= 0;
    }
    case 'in': {
      const subject = operand(item, c.subject);
      if (!subject) return false;
      return c.list.some((o) => {
        const candidate = operand(item, o);
        return candidate !== undefined && equal(subject, candidate);
      });
    }
    case 'function':
      return callFunction(item, c);
  }
}

function callFunction(item: Item | undefined, c: Extract<Condition, { k: 'function' }>): boolean {
  const value = resolve(item, c.path);
  if (c.name === 'attribute_exists') return value !== undefined;
  if (c.name === 'attribute_not_exists') return value === undefined;
  const other = c.operand ? operand(item, c.operand) : undefined;
  if (!value || !other) return false;
  if (c.name === 'attribute_type') return typeOf(value) === other.S;
  const type = typeOf(value);
  if (c.name === 'begins_with') {
    if (type !== typeOf(other)) return false;
    if (type === 'S') return String(value.S).startsWith(String(other.S));
    if (type === 'B') {
      const whole = Buffer.from(String(value.B), 'base64');
      const prefix = Buffer.from(String(other.B), 'base64');
      return whole.subarray(0, prefix.length).equals(prefix);
    }
    return false;
  }
  // contains
  if (type === 'S' && typeOf(other) === 'S') return String(value.S).includes(String(other.S));
  if (type === 'B' && typeOf(other) === 'B') {
    return Buffer.from(String(value.B), 'base64').includes(Buffer.from(String(other.B), 'base64'));
  }
  if (type === 'SS' || type === 'NS' || type === 'BS') return setHas(value, other);
  if (type === 'L') return (value.L as AttributeValue[]).some((v) => equal(v, other));
  return false;
}

/** The item cut down to `paths` (ProjectionExpression): nested paths keep their maps and lists, lists compacted. */
export function project(item: Item, paths: Path[]): Item {
  const out: Item = {};
  for (const path of paths) {
    const value = resolve(item, path);
    if (value === undefined) continue;
    place(out, path.elements, value);
  }
  return compactLists(out) as Item;
}

const SPARSE = Symbol('sparse');

function place(out: Item, elements: (string | number)[], value: AttributeValue): void {
  let container: Record<string | number, unknown> = out;
  for (const [i, element] of elements.entries()) {
    const last = i === elements.length - 1;
    if (last) {
      container[element] = value;
      return;
    }
    const nextIsIndex = typeof elements[i + 1] === 'number';
    let child = container[element] as AttributeValue | undefined;
    if (!child) {
      child = nextIsIndex ? { L: { [SPARSE]: true } } : { M: {} };
      container[element] = child;
    }
    container = (nextIsIndex ? child.L : child.M) as Record<string | number, unknown>;
  }
}

function compactLists(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(compactLists);
  const record = value as Record<string | number | symbol, unknown>;
  if (record[SPARSE]) {
    return Object.keys(record)
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => compactLists(record[k]));
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, compactLists(v)]));
}
