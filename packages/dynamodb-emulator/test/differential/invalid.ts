/**
 * The hand-written list of invalid and boundary requests for the differential test: each runs on
 * a fresh table holding SEED (and, for the composite table, SEED2), and only its answer is
 * compared. Grouped by what they probe; the 13 divergences each have entries here.
 */
import { type Request, runScenario, type Scenario } from './harness.ts';
import { CONDITIONS } from './invalid-conditions.ts';
import { type Entry, LIMITS } from './invalid-limits.ts';
import type { Measurement } from './measure.ts';
import { signatureOf } from './measure.ts';

const S = (S: string) => ({ S });
const N = (N: string) => ({ N });
const SEED = {
  pk: S('k1'),
  s: S(''),
  b: { B: '' },
  n: N('5'),
  big: N('12345678901234567890123456789012345678'),
  m: { M: { x: { L: [N('1'), S('a')] } } },
  l: { L: [N('1'), N('2')] },
  ss: { SS: ['x', 'y'] },
  state: S(''),
};
const KEY = { pk: S('k1') };

const T = '$T';
const put = (params: Record<string, unknown>): Request => ({
  op: 'PutItem',
  params: { TableName: T, ...params },
});
const update = (params: Record<string, unknown>): Request => ({
  op: 'UpdateItem',
  params: { TableName: T, Key: KEY, ...params },
});
const cond = (
  expression: string,
  values?: Record<string, unknown>,
  names?: Record<string, string>,
): Request =>
  update({
    UpdateExpression: 'SET touched = :one',
    ConditionExpression: expression,
    ExpressionAttributeValues: { ':one': N('1'), ...values },
    ...(names ? { ExpressionAttributeNames: names } : {}),
  });

const deep = (depth: number) => `${Array.from({ length: depth }, () => 'm').join('.')} = :x`;
const inList = (count: number) => ({
  expression: `n IN (${Array.from({ length: count }, (_, i) => `:v${i}`).join(', ')})`,
  values: Object.fromEntries(Array.from({ length: count }, (_, i) => [`:v${i}`, N(String(i))])),
});

/** `n IN (...)` of `count` placeholders 201 characters long: 20 of them pass 4 KB with 20 operands. */
const longIn = (count: number) => {
  const name = (i: number) => `:${'v'.repeat(200)}${i}`;
  return {
    expression: `attribute_exists(pk) OR n IN (${Array.from({ length: count }, (_, i) => name(i)).join(', ')})`,
    values: Object.fromEntries(Array.from({ length: count }, (_, i) => [name(i), N(String(i))])),
  };
};

const entries: Entry[] = [
  ...CONDITIONS.map(([expression, values]): Entry => ({ request: cond(expression, values) })),
  // put conditions on a new key: the item is absent, so every path is.
  { request: put({ Item: { pk: S('new') }, ConditionExpression: 'a = b' }) },
  { request: put({ Item: { pk: S('new') }, ConditionExpression: 'a <> b' }) },
  { request: put({ Item: { pk: S('new') }, ConditionExpression: 'a <= b' }) },
  { request: put({ Item: { pk: S('new') }, ConditionExpression: 'a >= b' }) },
  { request: put({ Item: { pk: S('new') }, ConditionExpression: 'NOT a = b' }) },
  // arithmetic and number limits
  { request: update({ UpdateExpression: 'ADD big :c', ExpressionAttributeValues: { ':c': N('0.01') } }) },
  {
    request: update({
      UpdateExpression: 'SET big = big + :c',
      ExpressionAttributeValues: { ':c': N('0.01') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET big = big - :c',
      ExpressionAttributeValues: { ':c': N('0.01') },
    }),
  },
  {
    request: update({ UpdateExpression: 'SET big = big + :c', ExpressionAttributeValues: { ':c': N('1') } }),
  },
  {
    request: update({
      UpdateExpression: 'SET n = n + :c',
      ExpressionAttributeValues: { ':c': N('9.9999999999999999999999999999999999999E+125') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET n = :a + :b',
      ExpressionAttributeValues: {
        ':a': N('9.9999999999999999999999999999999999999E+125'),
        ':b': N('9.9999999999999999999999999999999999999E+125'),
      },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET n = :a - :b',
      ExpressionAttributeValues: { ':a': N('1E-130'), ':b': N('1E-130') },
    }),
  },
  { request: update({ UpdateExpression: 'ADD n :a', ExpressionAttributeValues: { ':a': N('1E-130') } }) },
  { request: update({ UpdateExpression: 'ADD s :a', ExpressionAttributeValues: { ':a': N('1') } }) },
  { request: update({ UpdateExpression: 'SET s = s + :a', ExpressionAttributeValues: { ':a': N('1') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('1E+126') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('1E-131') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('123456789012345678901234567890123456789') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('1.23456789012345678901234567890123456789') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('0.000000000000000000000000000000000000001') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('00001') } }) },
  { request: put({ Item: { pk: S('n1'), n: N(' 1') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('1e3') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('.5') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('5.') } }) },
  { request: put({ Item: { pk: S('n1'), n: N('-0') } }) },
  { request: put({ Item: { pk: S('n1'), ns: { NS: ['1', '1.0'] } } }) },
  { request: put({ Item: { pk: S('n1'), ss: { SS: [] } } }) },
  { request: put({ Item: { pk: S('n1'), ss: { SS: [''] } } }) },
  { request: put({ Item: { pk: S('') } }) },
  { request: put({ Item: { pk: S('n1'), e: S(''), eb: { B: '' } } }) },
  // transactions with data errors, duplicate items
  {
    request: {
      op: 'TransactWriteItems',
      params: {
        TransactItems: [
          {
            Update: {
              TableName: T,
              Key: KEY,
              UpdateExpression: 'ADD s :one',
              ExpressionAttributeValues: { ':one': N('1') },
            },
          },
        ],
      },
    },
  },
  {
    table: 'composite',
    request: {
      op: 'TransactWriteItems',
      params: {
        TransactItems: [
          { Put: { TableName: T, Item: { pk: S('k1'), sk: N('1.5') } } },
          { Put: { TableName: T, Item: { pk: S('k1'), sk: N('1.50') } } },
        ],
      },
    },
  },
  {
    request: {
      op: 'TransactGetItems',
      params: { TransactItems: [{ Get: { TableName: T, Key: KEY } }, { Get: { TableName: T, Key: KEY } }] },
    },
  },
  {
    request: {
      op: 'TransactWriteItems',
      params: {
        TransactItems: [{ Put: { TableName: T, Item: { pk: S('t1') }, ConditionExpression: 'a = b' } }],
      },
    },
  },
  // one item twice with a failing condition: refused before any condition is evaluated
  ...[
    [
      { ConditionCheck: { TableName: T, Key: { pk: S('b') }, ConditionExpression: 'attribute_exists(pk)' } },
      { Put: { TableName: T, Item: { pk: S('t2') } } },
      { Delete: { TableName: T, Key: { pk: S('t2') } } },
    ],
    [
      { Put: { TableName: T, Item: { pk: S('t2') } } },
      { Put: { TableName: T, Item: { pk: S('t2') }, ConditionExpression: 'attribute_exists(pk)' } },
    ],
    [
      { Put: { TableName: T, Item: { pk: S('t2') }, ConditionExpression: 'attribute_exists(pk)' } },
      { Put: { TableName: T, Item: { pk: S('t2') } } },
    ],
  ].map((TransactItems): Entry => ({ request: { op: 'TransactWriteItems', params: { TransactItems } } })),
  // an index key of a set type in a transaction: refused, as a list or a map is
  {
    request: {
      op: 'TransactWriteItems',
      params: { TransactItems: [{ Put: { TableName: T, Item: { pk: S('t3'), g: { SS: ['x'] } } } }] },
    },
  },
  {
    table: 'composite',
    request: {
      op: 'TransactWriteItems',
      params: {
        TransactItems: [
          {
            ConditionCheck: {
              TableName: T,
              Key: { pk: S('k1'), sk: N('1') },
              ConditionExpression: 'absent1 = absent2',
            },
          },
          { Put: { TableName: T, Item: { pk: S('t3'), sk: N('1'), n: { NS: ['1'] } } } },
        ],
      },
    },
  },
  // a filter comparing two absent attributes
  { request: { op: 'Scan', params: { TableName: T, FilterExpression: 'absent1 >= absent2' } } },
  { request: { op: 'Scan', params: { TableName: T, FilterExpression: 'absent1 = absent2' } } },
  // a Number written with a leading plus sign
  { request: put({ Item: { pk: S('n1'), n: N('+1') } }) },
  { request: put({ Item: { pk: S('n1'), ns: { NS: ['+1', '2'] } } }) },
  { request: cond('n = :plus', { ':plus': N('+5') }) },
  // GSI keys
  { request: put({ Item: { pk: S('g'), g: S('') } }) },
  { request: put({ Item: { pk: S('g'), g: N('1') } }) },
  { request: update({ UpdateExpression: 'SET g = :e', ExpressionAttributeValues: { ':e': S('') } }) },
  { table: 'composite', request: put({ Item: { pk: S('g'), sk: N('1'), n: S('x') } }) },
  {
    request: {
      op: 'Query',
      params: {
        TableName: T,
        IndexName: 'byG',
        KeyConditionExpression: 'g = :g',
        FilterExpression: 'n = :n',
        ExpressionAttributeValues: { ':g': S('g1'), ':n': N('5') },
      },
    },
  },
  {
    request: {
      op: 'Query',
      params: {
        TableName: T,
        IndexName: 'byG',
        KeyConditionExpression: 'g = :g',
        ProjectionExpression: 'n',
        ExpressionAttributeValues: { ':g': S('g1') },
      },
    },
  },
  {
    request: {
      op: 'Scan',
      params: {
        TableName: T,
        IndexName: 'byG',
        FilterExpression: 'n = :n',
        ExpressionAttributeValues: { ':n': N('5') },
      },
    },
  },
  { request: { op: 'Scan', params: { TableName: T, Select: 'ALL_PROJECTED_ATTRIBUTES' } } },
  { request: { op: 'Scan', params: { TableName: T, Segment: 0 } } },
  { request: { op: 'Scan', params: { TableName: T, TotalSegments: 2 } } },
  { request: { op: 'Scan', params: { TableName: T, Segment: 2, TotalSegments: 2 } } },
  // order of checks
  {
    request: update({
      UpdateExpression: 'SET pk = :x',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeValues: { ':x': S('x') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET g = :x',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeValues: { ':x': N('1') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET big2 = :x',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeValues: { ':x': S('x'.repeat(410_000)) },
    }),
  },
  // ReturnValues
  { request: update({ UpdateExpression: 'REMOVE absent', ReturnValues: 'UPDATED_OLD' }) },
  { request: update({ UpdateExpression: 'REMOVE absent', ReturnValues: 'UPDATED_NEW' }) },
  {
    request: update({
      UpdateExpression: 'SET m.x[0] = :z',
      ExpressionAttributeValues: { ':z': N('9') },
      ReturnValues: 'UPDATED_OLD',
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET m.x[0] = :z',
      ExpressionAttributeValues: { ':z': N('9') },
      ReturnValues: 'UPDATED_NEW',
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET m.y = :z',
      ExpressionAttributeValues: { ':z': N('9') },
      ReturnValues: 'UPDATED_NEW',
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET n = :z',
      ExpressionAttributeValues: { ':z': N('5') },
      ReturnValues: 'UPDATED_OLD',
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET l[5] = :z',
      ExpressionAttributeValues: { ':z': N('9') },
      ReturnValues: 'ALL_NEW',
    }),
  },
  { request: update({ UpdateExpression: 'REMOVE l[5]', ReturnValues: 'ALL_NEW' }) },
  { request: update({ UpdateExpression: 'SET s[0] = :z', ExpressionAttributeValues: { ':z': N('9') } }) },
  { request: update({ UpdateExpression: 'SET absent.x = :z', ExpressionAttributeValues: { ':z': N('9') } }) },
  { request: { op: 'DeleteItem', params: { TableName: T, Key: KEY, ReturnValues: 'ALL_NEW' } } },
  { request: { op: 'DeleteItem', params: { TableName: T, Key: KEY, ReturnValues: 'UPDATED_OLD' } } },
  { request: put({ Item: { pk: S('k1') }, ReturnValues: 'ALL_NEW' }) },
  // limits
  { request: cond(deep(32), { ':x': N('1') }) },
  { request: cond(deep(33), { ':x': N('1') }) },
  { request: cond(inList(100).expression, inList(100).values) },
  { request: cond(inList(101).expression, inList(101).values) },
  { request: cond(`attribute_exists(pk) OR ${'n = :one OR '.repeat(400)}n = :one`) },
  // 4 KB of expression with few operators: long placeholder names, then trailing spaces
  { request: cond(longIn(19).expression, longIn(19).values) },
  { request: cond(longIn(20).expression, longIn(20).values) },
  { request: cond(`attribute_exists(pk)${' '.repeat(4100)}`) },
  {
    request: update({
      UpdateExpression: 'SET l[99999999999] = :z',
      ExpressionAttributeValues: { ':z': N('9') },
    }),
  },
  { request: cond('l[99999999999] = :one') },
  { request: { op: 'GetItem', params: { TableName: T, Key: KEY, ProjectionExpression: 'l[99999999999]' } } },
  { request: { op: 'GetItem', params: { TableName: T, Key: KEY, ProjectionExpression: 'm.x[1], l, s' } } },
  { request: { op: 'GetItem', params: { TableName: T, Key: KEY, ProjectionExpression: 'm, m.x' } } },
  { request: { op: 'GetItem', params: { TableName: T, Key: KEY, ProjectionExpression: 'l[0], l[0]' } } },
  // syntax
  { request: cond('a = :x', { ':x': S('x'), ':unused': S('y') }) },
  { request: cond('#a = :x', { ':x': S('x') }) },
  { request: cond('a = :missing') },
  { request: cond('size = :x', { ':x': N('1') }) },
  { request: cond('#size = :x', { ':x': N('1') }, { '#size': 'size' }) },
  { request: cond('a=:x', { ':x': N('1') }) },
  { request: cond('a = :x', { ':x': {} }) },
  { request: cond('a = :x', { ':x': { S: 'a', N: '1' } }) },
  {
    request: update({ UpdateExpression: 'SET a = :x, a = :x', ExpressionAttributeValues: { ':x': N('1') } }),
  },
  {
    request: update({
      UpdateExpression: 'SET m = :x REMOVE m.x',
      ExpressionAttributeValues: { ':x': N('1') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET a = :x SET b = :x',
      ExpressionAttributeValues: { ':x': N('1') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'ADD ss :x',
      ExpressionAttributeValues: { ':x': { SS: ['z'] } },
      ReturnValues: 'UPDATED_NEW',
    }),
  },
  {
    request: update({
      UpdateExpression: 'DELETE ss :x',
      ExpressionAttributeValues: { ':x': { SS: ['x', 'y'] } },
      ReturnValues: 'ALL_NEW',
    }),
  },
  { request: update({ UpdateExpression: 'ADD m.x :x', ExpressionAttributeValues: { ':x': N('1') } }) },
  {
    request: update({
      UpdateExpression: 'SET l = list_append(l, :x)',
      ExpressionAttributeValues: { ':x': N('1') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET l = list_append(:x, l)',
      ExpressionAttributeValues: { ':x': { L: [] } },
      ReturnValues: 'UPDATED_NEW',
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET a = if_not_exists(n, :x)',
      ExpressionAttributeValues: { ':x': N('1') },
      ReturnValues: 'UPDATED_NEW',
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET a = if_not_exists(:x, n)',
      ExpressionAttributeValues: { ':x': N('1') },
    }),
  },
  { request: update({ UpdateExpression: 'SET a = size(s)' }) },
  ...LIMITS,
];

const SEED2 = { ...SEED, sk: N('1'), g: S('g1'), a: N('1') };

export async function runInvalidList(emulatorUrl: string, referenceUrl: string): Promise<Measurement> {
  const result: Measurement = { requests: 0, agreed: 0, divergences: [] };
  for (const entry of entries) {
    const table = entry.table ?? 'hash';
    const seed = table === 'hash' ? { ...SEED, g: S('g1'), a: N('1') } : SEED2;
    const request =
      table === 'composite' && JSON.stringify(entry.request.params.Key) === JSON.stringify(KEY)
        ? { ...entry.request, params: { ...entry.request.params, Key: { ...KEY, sk: N('1') } } }
        : entry.request;
    const scenario: Scenario = { table, steps: [put({ Item: seed }), request] };
    const results = await runScenario(scenario, emulatorUrl, referenceUrl);
    const last = results[results.length - 1];
    if (!last) continue;
    result.requests += 1;
    if (last.agree) result.agreed += 1;
    else
      result.divergences.push({
        signature: signatureOf(last),
        request: last.request,
        emulator: last.emulator,
        reference: last.reference,
        ...(last.aws !== undefined ? { aws: last.aws } : {}),
      });
  }
  return result;
}

export const invalidListLength = entries.length;
