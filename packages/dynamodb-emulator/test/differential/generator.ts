/**
 * The differential test's seeded generator of DynamoDB requests (fast-check arbitraries, so a
 * divergence shrinks): scenarios of a few operations on one fresh table, covering condition,
 * update, key-condition and filter expressions, projections, ReturnValues and
 * ReturnValuesOnConditionCheckFailure, batches, transactions, a GSI and an LSI, numbers at the
 * edges of DynamoDB's range, sets, empty strings and binaries, nesting, and invalid requests.
 */
import fc from 'fast-check';
import { renderUpdate, updateActionArb } from './generator-update.ts';
import type { Request, Scenario, TableKind } from './harness.ts';

export type Value = Record<string, unknown>;

const NUMBERS = [
  '0',
  '1',
  '-1',
  '1.5',
  '1.50',
  '2',
  '10',
  '0.01',
  '1E+2',
  '9.9999999999999999999999999999999999999E+125',
  '-9.9999999999999999999999999999999999999E+125',
  '1E-130',
  '-1E-130',
  '12345678901234567890123456789012345678',
  '99999999999999999999999999999999999999',
];
/** Numbers DynamoDB refuses: past 38 digits, or out of range. */
const BAD_NUMBERS = ['1E+126', '123456789012345678901234567890123456789', '1E-131'];
const STRINGS = ['', 'x', 'y', 'xy', 'abc'];
const BINARIES = ['', 'AQ==', 'Ag=='];

const scalar: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: fc.constantFrom(...STRINGS).map((S) => ({ S })), weight: 4 },
  { arbitrary: fc.constantFrom(...NUMBERS).map((N) => ({ N })), weight: 4 },
  { arbitrary: fc.constantFrom(...BAD_NUMBERS).map((N) => ({ N })), weight: 1 },
  { arbitrary: fc.constantFrom(...BINARIES).map((B) => ({ B })), weight: 1 },
  { arbitrary: fc.boolean().map((BOOL) => ({ BOOL })), weight: 1 },
  { arbitrary: fc.constant({ NULL: true }), weight: 1 },
  {
    arbitrary: fc
      .uniqueArray(fc.constantFrom('x', 'y', 'z'), { minLength: 1, maxLength: 3 })
      .map((SS) => ({ SS })),
    weight: 1,
  },
  {
    arbitrary: fc
      .uniqueArray(fc.constantFrom('1', '2', '3.5'), { minLength: 1, maxLength: 3 })
      .map((NS) => ({ NS })),
    weight: 1,
  },
  {
    arbitrary: fc
      .uniqueArray(fc.constantFrom('AQ==', 'Ag=='), { minLength: 1, maxLength: 2 })
      .map((BS) => ({ BS })),
    weight: 1,
  },
);

export const value: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: scalar, weight: 6 },
    { arbitrary: fc.array(tie('value'), { maxLength: 3 }).map((L) => ({ L })), weight: 1 },
    {
      arbitrary: fc.record({ x: tie('value'), y: tie('value') }, { requiredKeys: [] }).map((M) => ({ M })),
      weight: 1,
    },
  ),
})).value;

const ATTRS = ['a', 'b', 's', 'n', 'g', 'm', 'l', 'ss'];
const PATHS = [...ATTRS, 'pk', 'sk', 'm.x', 'm.y', 'm.x.y', 'l[0]', 'l[1]', 'l[3]', 'm.x[0]', 'zz'];

export const path = fc.constantFrom(...PATHS);
const updateAction = updateActionArb(path, value);

/** An expression in the making: the text, with its placeholders' values collected by `render`. */
type Node =
  | { k: 'path'; p: string }
  | { k: 'val'; v: Value }
  | { k: 'size'; p: string }
  | { k: 'raw'; t: string };

interface Cond {
  k: 'cmp' | 'between' | 'in' | 'fn' | 'and' | 'or' | 'not' | 'paren' | 'bad';
  op?: string;
  args?: (Node | Cond)[];
}

const operand: fc.Arbitrary<Node> = fc.oneof(
  { arbitrary: path.map((p): Node => ({ k: 'path', p })), weight: 3 },
  { arbitrary: value.map((v): Node => ({ k: 'val', v })), weight: 3 },
  { arbitrary: path.map((p): Node => ({ k: 'size', p })), weight: 1 },
);

const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS', 'X'];
const BAD_CONDITIONS = [
  'a = ',
  'a === :x',
  'size(a',
  'a BETWEEN :x',
  'NOT',
  'a IN ()',
  'foo(a)',
  'a AND b',
  'NOT NOT attribute_exists(a)',
  'a = +1',
];

const condition: fc.Arbitrary<Cond> = fc.letrec<{ cond: Cond }>((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    {
      arbitrary: fc
        .tuple(operand, fc.constantFrom('=', '<>', '<', '<=', '>', '>='), operand)
        .map(([l, op, r]): Cond => ({ k: 'cmp', op, args: [l, r] })),
      weight: 5,
    },
    {
      arbitrary: fc.tuple(operand, operand, operand).map((args): Cond => ({ k: 'between', args })),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(operand, fc.array(operand, { minLength: 1, maxLength: 3 }))
        .map(([l, list]): Cond => ({ k: 'in', args: [l, ...list] })),
      weight: 1,
    },
    {
      arbitrary: fc.oneof(
        path.map((p): Cond => ({ k: 'fn', op: 'attribute_exists', args: [{ k: 'path', p }] })),
        path.map((p): Cond => ({ k: 'fn', op: 'attribute_not_exists', args: [{ k: 'path', p }] })),
        fc.tuple(path, fc.constantFrom(...TYPES)).map(
          ([p, t]): Cond => ({
            k: 'fn',
            op: 'attribute_type',
            args: [
              { k: 'path', p },
              { k: 'val', v: { S: t } },
            ],
          }),
        ),
        fc
          .tuple(path, operand)
          .map(([p, o]): Cond => ({ k: 'fn', op: 'begins_with', args: [{ k: 'path', p }, o] })),
        fc
          .tuple(path, operand)
          .map(([p, o]): Cond => ({ k: 'fn', op: 'contains', args: [{ k: 'path', p }, o] })),
      ),
      weight: 4,
    },
    { arbitrary: fc.tuple(tie('cond'), tie('cond')).map((args): Cond => ({ k: 'and', args })), weight: 1 },
    { arbitrary: fc.tuple(tie('cond'), tie('cond')).map((args): Cond => ({ k: 'or', args })), weight: 1 },
    { arbitrary: tie('cond').map((c): Cond => ({ k: 'not', args: [c] })), weight: 1 },
    { arbitrary: fc.constantFrom(...BAD_CONDITIONS).map((op): Cond => ({ k: 'bad', op })), weight: 1 },
  ),
})).cond;

/** Text and placeholders of expressions rendered for one request. */
export class Placeholders {
  names: Record<string, string> = {};
  values: Record<string, Value> = {};
  private counter = 0;

  constructor(private readonly useNames: boolean) {}

  path(p: string): string {
    if (!this.useNames) return p;
    return p.replace(/^[a-z]+/, (name) => {
      const key = `#${name}`;
      this.names[key] = name;
      return key;
    });
  }

  value(v: Value): string {
    const key = `:v${this.counter++}`;
    this.values[key] = v;
    return key;
  }

  node(n: Node | Cond): string {
    if ('k' in n && n.k === 'path') return this.path((n as { p: string }).p);
    if (n.k === 'val') return this.value((n as { v: Value }).v);
    if (n.k === 'size') return `size(${this.path((n as { p: string }).p)})`;
    if (n.k === 'raw') return (n as { t: string }).t;
    return this.cond(n as Cond);
  }

  cond(c: Cond): string {
    const a = (c.args ?? []).map((x) => this.node(x));
    switch (c.k) {
      case 'cmp':
        return `${a[0]} ${c.op} ${a[1]}`;
      case 'between':
        return `${a[0]} BETWEEN ${a[1]} AND ${a[2]}`;
      case 'in':
        return `${a[0]} IN (${a.slice(1).join(', ')})`;
      case 'fn':
        return `${c.op}(${a.join(', ')})`;
      case 'and':
        return `(${a[0]}) AND (${a[1]})`;
      case 'or':
        return `(${a[0]}) OR (${a[1]})`;
      case 'not':
        return `NOT (${a[0]})`;
      default:
        return c.op ?? '';
    }
  }

  /** The placeholder members, only the used ones (DynamoDB refuses unused ones). */
  members(): Record<string, unknown> {
    return {
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

const pkValue = fc.constantFrom('k1', 'k2');
const skValue = fc.constantFrom('1', '2', '1.5', '1.50');

function keyArb(table: TableKind): fc.Arbitrary<Value> {
  if (table === 'hash') return pkValue.map((pk) => ({ pk: { S: pk } }));
  return fc.tuple(pkValue, skValue).map(([pk, sk]) => ({ pk: { S: pk }, sk: { N: sk } }));
}

function itemArb(table: TableKind): fc.Arbitrary<Value> {
  const attrs = fc.record(
    {
      a: value,
      b: value,
      s: fc.constantFrom(...STRINGS).map((S) => ({ S })),
      n: fc.oneof(
        fc.constantFrom(...NUMBERS).map((N) => ({ N })),
        value,
      ),
      g: fc.oneof(
        fc.constantFrom('', 'g1', 'g2').map((S) => ({ S })),
        value,
      ),
      m: value,
      l: fc.array(value, { maxLength: 3 }).map((L) => ({ L })),
      ss: fc
        .uniqueArray(fc.constantFrom('x', 'y', 'z'), { minLength: 1, maxLength: 3 })
        .map((SS) => ({ SS })),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(keyArb(table), attrs).map(([key, rest]) => ({ ...rest, ...key }));
}

/** Optional members of one request: a condition, a projection, placeholders as names or not. */
const RETURN_VALUES = ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'];

function projection(ph: Placeholders, paths: string[]): string {
  return paths.map((p) => ph.path(p)).join(', ');
}

function writeArb(table: TableKind): fc.Arbitrary<Request> {
  const common = {
    names: fc.boolean(),
    cond: fc.option(condition, { freq: 2 }),
    rv: fc.option(fc.constantFrom(...RETURN_VALUES), { freq: 2 }),
    rvf: fc.option(fc.constantFrom('ALL_OLD', 'NONE'), { freq: 3 }),
  };
  const put = fc.record({ ...common, item: itemArb(table) }).map(({ names, cond, rv, rvf, item }) => {
    const ph = new Placeholders(names);
    const params: Record<string, unknown> = { TableName: '$T', Item: item };
    if (cond) params.ConditionExpression = ph.cond(cond);
    if (rv) params.ReturnValues = rv;
    if (rvf) params.ReturnValuesOnConditionCheckFailure = rvf;
    return { op: 'PutItem', params: { ...params, ...ph.members() } };
  });
  const update = fc
    .record({
      ...common,
      key: keyArb(table),
      actions: fc.array(updateAction, { minLength: 1, maxLength: 3 }),
    })
    .map(({ names, cond, rv, rvf, key, actions }) => {
      const ph = new Placeholders(names);
      const params: Record<string, unknown> = {
        TableName: '$T',
        Key: key,
        UpdateExpression: renderUpdate(actions, ph),
      };
      if (cond) params.ConditionExpression = ph.cond(cond);
      if (rv) params.ReturnValues = rv;
      if (rvf) params.ReturnValuesOnConditionCheckFailure = rvf;
      return { op: 'UpdateItem', params: { ...params, ...ph.members() } };
    });
  const del = fc.record({ ...common, key: keyArb(table) }).map(({ names, cond, rv, rvf, key }) => {
    const ph = new Placeholders(names);
    const params: Record<string, unknown> = { TableName: '$T', Key: key };
    if (cond) params.ConditionExpression = ph.cond(cond);
    if (rv) params.ReturnValues = rv;
    if (rvf) params.ReturnValuesOnConditionCheckFailure = rvf;
    return { op: 'DeleteItem', params: { ...params, ...ph.members() } };
  });
  return fc.oneof(
    { arbitrary: put, weight: 4 },
    { arbitrary: update, weight: 5 },
    { arbitrary: del, weight: 2 },
  );
}

function readArb(table: TableKind): fc.Arbitrary<Request> {
  const get = fc
    .record({
      key: keyArb(table),
      names: fc.boolean(),
      proj: fc.option(fc.uniqueArray(path, { minLength: 1, maxLength: 3 })),
    })
    .map(({ key, names, proj }) => {
      const ph = new Placeholders(names);
      const params: Record<string, unknown> = { TableName: '$T', Key: key, ConsistentRead: true };
      if (proj) params.ProjectionExpression = projection(ph, proj);
      return { op: 'GetItem', params: { ...params, ...ph.members() } };
    });
  const scanOrQuery = fc
    .record({
      query: fc.boolean(),
      index: fc.constantFrom(undefined, undefined, 'byG', ...(table === 'composite' ? ['byN'] : [])),
      pk: fc.constantFrom('k1', 'k2', 'g1', 'g2', ''),
      range: fc.option(
        fc.tuple(fc.constantFrom('=', '<', '<=', '>', '>=', 'BETWEEN', 'begins_with'), value, value),
      ),
      names: fc.boolean(),
      filter: fc.option(condition, { freq: 2 }),
      proj: fc.option(fc.uniqueArray(path, { minLength: 1, maxLength: 3 }), { freq: 3 }),
      select: fc.option(
        fc.constantFrom('ALL_ATTRIBUTES', 'COUNT', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES'),
        { freq: 5 },
      ),
      forward: fc.option(fc.boolean()),
      limit: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 4 }),
      segment: fc.option(
        fc.tuple(fc.integer({ min: -1, max: 2 }), fc.option(fc.integer({ min: 0, max: 2 }))),
        { freq: 8 },
      ),
    })
    .map((r) => {
      const ph = new Placeholders(r.names);
      const params: Record<string, unknown> = { TableName: '$T' };
      if (r.index) params.IndexName = r.index;
      if (r.query) {
        const hash = r.index === 'byG' ? 'g' : 'pk';
        const rangeName = r.index === 'byN' ? 'n' : table === 'composite' ? 'sk' : undefined;
        let text = `${ph.path(hash)} = ${ph.value({ S: r.pk })}`;
        if (r.range && rangeName) {
          const [op, v1, v2] = r.range;
          const p = ph.path(rangeName);
          text +=
            op === 'BETWEEN'
              ? ` AND ${p} BETWEEN ${ph.value(v1)} AND ${ph.value(v2)}`
              : op === 'begins_with'
                ? ` AND begins_with(${p}, ${ph.value(v1)})`
                : ` AND ${p} ${op} ${ph.value(v1)}`;
        }
        params.KeyConditionExpression = text;
        if (r.forward !== null) params.ScanIndexForward = r.forward;
        if (r.limit !== null && r.index !== 'byG') params.Limit = r.limit;
      } else if (r.segment) {
        const [segment, total] = r.segment;
        params.Segment = segment;
        if (total !== null) params.TotalSegments = total;
      }
      if (r.filter) params.FilterExpression = ph.cond(r.filter);
      if (r.proj) params.ProjectionExpression = projection(ph, r.proj);
      if (r.select) params.Select = r.select;
      return { op: r.query ? 'Query' : 'Scan', params: { ...params, ...ph.members() } };
    });
  return fc.oneof({ arbitrary: get, weight: 2 }, { arbitrary: scanOrQuery, weight: 3 });
}

function batchArb(table: TableKind): fc.Arbitrary<Request> {
  const write = fc
    .array(
      fc.oneof(
        itemArb(table).map((Item) => ({ PutRequest: { Item } })),
        keyArb(table).map((Key) => ({ DeleteRequest: { Key } })),
      ),
      {
        minLength: 1,
        maxLength: 4,
      },
    )
    .map((requests) => ({ op: 'BatchWriteItem', params: { RequestItems: { $T: requests } } }));
  const get = fc
    .record({
      keys: fc.array(keyArb(table), { minLength: 1, maxLength: 3 }),
      proj: fc.option(fc.uniqueArray(path, { minLength: 1, maxLength: 2 })),
    })
    .map(({ keys, proj }) => ({
      op: 'BatchGetItem',
      params: {
        RequestItems: {
          $T: {
            Keys: keys,
            ConsistentRead: true,
            ...(proj ? { ProjectionExpression: proj.join(', ') } : {}),
          },
        },
      },
    }));
  return fc.oneof(write, get);
}

function transactArb(table: TableKind): fc.Arbitrary<Request> {
  const action = fc.oneof(
    writeArb(table).map((w) => {
      const { ReturnValues: _, ...p } = w.params;
      return w.op === 'PutItem' ? { Put: p } : w.op === 'UpdateItem' ? { Update: p } : { Delete: p };
    }),
    fc.record({ key: keyArb(table), cond: condition, names: fc.boolean() }).map(({ key, cond, names }) => {
      const ph = new Placeholders(names);
      return {
        ConditionCheck: { TableName: '$T', Key: key, ConditionExpression: ph.cond(cond), ...ph.members() },
      };
    }),
  );
  const write = fc
    .array(action, { minLength: 1, maxLength: 3 })
    .map((TransactItems) => ({ op: 'TransactWriteItems', params: { TransactItems } }));
  const get = fc.array(keyArb(table), { minLength: 1, maxLength: 3 }).map((keys) => ({
    op: 'TransactGetItems',
    params: { TransactItems: keys.map((Key) => ({ Get: { TableName: '$T', Key } })) },
  }));
  return fc.oneof({ arbitrary: write, weight: 3 }, { arbitrary: get, weight: 1 });
}

function stepArb(table: TableKind): fc.Arbitrary<Request> {
  return fc.oneof(
    { arbitrary: writeArb(table), weight: 8 },
    { arbitrary: readArb(table), weight: 4 },
    { arbitrary: batchArb(table), weight: 1 },
    { arbitrary: transactArb(table), weight: 2 },
  );
}

/** A scenario: a table kind, then 1-8 requests on a fresh table of that kind. */
export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .constantFrom<TableKind>('hash', 'composite')
  .chain((table) =>
    fc.array(stepArb(table), { minLength: 1, maxLength: 8 }).map((steps) => ({ table, steps })),
  );
