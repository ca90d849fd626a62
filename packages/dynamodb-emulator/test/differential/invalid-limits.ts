/**
 * The invalid and boundary list's second part (invalid.ts runs it after its own entries): each of
 * DynamoDB's documented limits on each operation it applies to (ServiceQuotas.html: expression
 * length, item size, batch and transaction sizes, key sizes, nesting), and request rules the
 * random generator does not reach (placeholders, Select, ReturnValues per operation, Limit,
 * segments, starting keys, ConsistentRead on a GSI, key conditions). One rule per entry.
 */
import type { Request, TableKind } from './harness.ts';

export interface Entry {
  table?: TableKind;
  request: Request;
}

const S = (S: string) => ({ S });
const N = (N: string) => ({ N });
const T = '$T';
const KEY = { pk: S('k1') };
const CKEY = { pk: S('k1'), sk: N('1') };
const op = (name: string, params: Record<string, unknown>): Request => ({
  op: name,
  params: { TableName: T, ...params },
});
const put = (Item: Record<string, unknown>, more: Record<string, unknown> = {}) =>
  op('PutItem', { Item, ...more });
const update = (params: Record<string, unknown>) => op('UpdateItem', { Key: KEY, ...params });
const get = (params: Record<string, unknown>) => op('GetItem', { Key: KEY, ...params });
const scan = (params: Record<string, unknown> = {}) => op('Scan', params);
const query = (params: Record<string, unknown>) =>
  op('Query', { KeyConditionExpression: 'pk = :k', ExpressionAttributeValues: { ':k': S('k1') }, ...params });
const transact = (TransactItems: unknown[]): Request => ({
  op: 'TransactWriteItems',
  params: { TransactItems },
});
const batchWrite = (requests: unknown[]): Request => ({
  op: 'BatchWriteItem',
  params: { RequestItems: { [T]: requests } },
});

/** A string attribute of `bytes` bytes. */
const text = (bytes: number) => S('x'.repeat(bytes));
/** An item of about `kb` KB in one attribute, with key `pk`. */
const sized = (pk: string, kb: number) => ({ pk: S(pk), big: text(kb * 1024) });
/** A map nested `depth` levels deep. */
const nested = (depth: number): Record<string, unknown> =>
  depth === 0 ? S('leaf') : { M: { m: nested(depth - 1) } };
/** A condition of exactly `length` characters: attribute_exists(pk) padded with spaces. */
const padded = (length: number) =>
  `attribute_exists(pk)${' '.repeat(length - 'attribute_exists(pk)'.length)}`;

export const LIMITS: Entry[] = [
  // expressions: 4 KB on each kind of expression (ServiceQuotas: "The maximum length of any expression string is 4 KB")
  {
    request: update({
      UpdateExpression: `SET touched = :one${' '.repeat(4100)}`,
      ExpressionAttributeValues: { ':one': N('1') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET touched = :one',
      ConditionExpression: padded(4096),
      ExpressionAttributeValues: { ':one': N('1') },
    }),
  },
  { request: get({ ProjectionExpression: `pk${' '.repeat(4100)}` }) },
  { request: scan({ FilterExpression: padded(4097) }) },
  { request: query({ KeyConditionExpression: `pk = :k${' '.repeat(4100)}` }) },
  { request: op('DeleteItem', { Key: KEY, ConditionExpression: padded(4097) }) },
  // placeholders and their maps
  { request: get({ ProjectionExpression: 'pk', ExpressionAttributeNames: { '#u': 'u' } }) },
  { request: get({ ProjectionExpression: '#e', ExpressionAttributeNames: { '#e': '' } }) },
  { request: get({ ProjectionExpression: 'pk', ExpressionAttributeNames: {} }) },
  { request: update({ UpdateExpression: 'REMOVE touched', ExpressionAttributeValues: {} }) },
  { request: get({ ExpressionAttributeNames: { '#p': 'pk' } }) },
  {
    request: update({
      UpdateExpression: 'SET touched = :one',
      ExpressionAttributeValues: { ':one': N('1'), x: N('2') },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET #a-b = :one',
      ExpressionAttributeNames: { '#a-b': 'a' },
      ExpressionAttributeValues: { ':one': N('1') },
    }),
  },
  {
    request: get({
      ProjectionExpression: '#n',
      ExpressionAttributeNames: { '#n': `n${'x'.repeat(70_000)}` },
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET #p = :v',
      ExpressionAttributeNames: { '#p': 'pk' },
      ExpressionAttributeValues: { ':v': S('z') },
    }),
  },
  { request: update({ UpdateExpression: 'REMOVE pk' }) },
  { request: get({ ProjectionExpression: 'pk', AttributesToGet: ['pk'] }) },
  {
    request: update({
      UpdateExpression: 'SET touched = :one',
      ConditionExpression: 'foo(n)',
      ExpressionAttributeValues: { ':one': N('1') },
    }),
  },
  // item size: 400 KB on each write
  { request: put(sized('p1', 399)) },
  { request: put(sized('p1', 401)) },
  {
    request: update({
      UpdateExpression: 'SET big = :b',
      ExpressionAttributeValues: { ':b': text(401 * 1024) },
    }),
  },
  { request: transact([{ Put: { TableName: T, Item: sized('p1', 401) } }]) },
  {
    request: transact([
      {
        Update: {
          TableName: T,
          Key: KEY,
          UpdateExpression: 'SET big = :b',
          ExpressionAttributeValues: { ':b': text(401 * 1024) },
        },
      },
    ]),
  },
  { request: batchWrite([{ PutRequest: { Item: sized('p1', 401) } }]) },
  // a transaction: 100 actions, 4 MB in all, at least one action, one kind per action
  {
    request: transact(
      Array.from({ length: 100 }, (_, i) => ({ Put: { TableName: T, Item: { pk: S(`t${i}`) } } })),
    ),
  },
  {
    request: transact(
      Array.from({ length: 101 }, (_, i) => ({ Put: { TableName: T, Item: { pk: S(`t${i}`) } } })),
    ),
  },
  {
    request: transact(
      Array.from({ length: 11 }, (_, i) => ({ Put: { TableName: T, Item: sized(`t${i}`, 390) } })),
    ),
  },
  { request: transact([]) },
  {
    request: transact([
      { Put: { TableName: T, Item: { pk: S('t1') } }, Delete: { TableName: T, Key: { pk: S('t2') } } },
    ]),
  },
  {
    request: {
      op: 'TransactWriteItems',
      params: {
        TransactItems: [{ Put: { TableName: T, Item: { pk: S('t1') } } }],
        ClientRequestToken: 'x'.repeat(37),
      },
    },
  },
  {
    request: {
      op: 'TransactGetItems',
      params: {
        TransactItems: Array.from({ length: 101 }, (_, i) => ({
          Get: { TableName: T, Key: { pk: S(`t${i}`) } },
        })),
      },
    },
  },
  // batches: 25 writes, 100 keys, no repeats, one request kind per entry
  {
    request: batchWrite(Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: S(`b${i}`) } } }))),
  },
  {
    request: batchWrite(Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { pk: S(`b${i}`) } } }))),
  },
  { request: batchWrite([]) },
  {
    request: batchWrite([
      { PutRequest: { Item: { pk: S('b1') } } },
      { DeleteRequest: { Key: { pk: S('b1') } } },
    ]),
  },
  {
    request: batchWrite([{ PutRequest: { Item: { pk: S('b1') } }, DeleteRequest: { Key: { pk: S('b2') } } }]),
  },
  {
    request: {
      op: 'BatchGetItem',
      params: {
        RequestItems: { [T]: { Keys: Array.from({ length: 101 }, (_, i) => ({ pk: S(`b${i}`) })) } },
      },
    },
  },
  { request: { op: 'BatchGetItem', params: { RequestItems: { [T]: { Keys: [] } } } } },
  // key sizes: a partition key of at most 2048 bytes, a key that is not empty, of its declared type
  { request: put({ pk: text(2048) }) },
  { request: put({ pk: text(2049) }) },
  { request: get({ Key: { pk: text(2049) } }) },
  { request: get({ Key: { pk: S('') } }) },
  { request: op('DeleteItem', { Key: { pk: S('') } }) },
  { request: query({ ExpressionAttributeValues: { ':k': S('') } }) },
  { request: put({ pk: N('1') }) },
  { request: get({ Key: { pk: S('k1'), extra: S('x') } }) },
  { table: 'composite', request: get({ Key: { pk: S('k2') } }) },
  { table: 'composite', request: put({ pk: S('k1'), sk: N('123456789012345678901234567890123456789') }) },
  // numbers and sets
  { request: put({ pk: S('n1'), n: N('Infinity') }) },
  { request: put({ pk: S('n1'), n: N('') }) },
  { request: put({ pk: S('n1'), ns: { NS: ['1', 'x'] } }) },
  { request: put({ pk: S('n1'), ss: { SS: ['x', 'x'] } }) },
  { request: put({ pk: S('n1'), bs: { BS: ['AQ==', 'AQ=='] } }) },
  { request: put({ pk: S('n1'), ns: { NS: [] } }) },
  { request: update({ UpdateExpression: 'ADD ss :e', ExpressionAttributeValues: { ':e': { SS: [] } } }) },
  { request: update({ UpdateExpression: 'ADD l :x', ExpressionAttributeValues: { ':x': { L: [N('1')] } } }) },
  { request: update({ UpdateExpression: 'DELETE ss :x', ExpressionAttributeValues: { ':x': S('x') } }) },
  // nesting: 32 levels in an item
  { request: put({ pk: S('d1'), m: nested(31) }) },
  { request: put({ pk: S('d1'), m: nested(32) }) },
  { request: update({ UpdateExpression: 'SET d = :d', ExpressionAttributeValues: { ':d': nested(32) } }) },
  { request: transact([{ Put: { TableName: T, Item: { pk: S('d1'), m: nested(32) } } }]) },
  { request: batchWrite([{ PutRequest: { Item: { pk: S('d1'), m: nested(32) } } }]) },
  // Limit, segments, starting keys
  { request: scan({ Limit: 0 }) },
  { request: query({ Limit: 0 }) },
  { request: scan({ Segment: 0, TotalSegments: 1_000_001 }) },
  { request: scan({ Segment: 0, TotalSegments: 0 }) },
  { request: scan({ Segment: -1, TotalSegments: 2 }) },
  { request: scan({ ExclusiveStartKey: { other: S('x') } }) },
  { request: scan({ ExclusiveStartKey: { pk: S('k1'), extra: S('x') } }) },
  { table: 'composite', request: query({ ExclusiveStartKey: { pk: S('k1') } }) },
  { table: 'composite', request: query({ ExclusiveStartKey: { pk: S('other'), sk: N('1') } }) },
  // Select
  { request: scan({ Select: 'COUNT', ProjectionExpression: 'pk' }) },
  { request: scan({ Select: 'SPECIFIC_ATTRIBUTES' }) },
  { request: scan({ Select: 'ALL_ATTRIBUTES', ProjectionExpression: 'pk' }) },
  { request: scan({ Select: 'COUNT' }) },
  { table: 'composite', request: scan({ IndexName: 'byG', Select: 'ALL_ATTRIBUTES' }) },
  { table: 'composite', request: scan({ IndexName: 'byN', Select: 'ALL_ATTRIBUTES' }) },
  { request: scan({ IndexName: 'byG', Select: 'ALL_PROJECTED_ATTRIBUTES' }) },
  // ReturnValues per operation
  { request: put({ pk: S('k1') }, { ReturnValues: 'UPDATED_OLD' }) },
  { request: op('DeleteItem', { Key: KEY, ReturnValues: 'UPDATED_NEW' }) },
  { request: op('DeleteItem', { Key: { pk: S('absent') }, ReturnValues: 'ALL_OLD' }) },
  {
    request: update({
      Key: { pk: S('absent') },
      UpdateExpression: 'SET a = :one',
      ExpressionAttributeValues: { ':one': N('1') },
      ReturnValues: 'ALL_OLD',
    }),
  },
  {
    request: update({
      UpdateExpression: 'SET a = :one',
      ExpressionAttributeValues: { ':one': N('1') },
      ReturnValues: 'FOO',
    }),
  },
  {
    request: put(
      { pk: S('k1') },
      { ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_NEW' },
    ),
  },
  {
    request: transact([
      { Put: { TableName: T, Item: { pk: S('t1') }, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' } },
    ]),
  },
  // ConsistentRead on a global secondary index (not supported); on a local one (supported)
  {
    request: query({
      IndexName: 'byG',
      KeyConditionExpression: 'g = :g',
      ExpressionAttributeValues: { ':g': S('g1') },
      ConsistentRead: true,
    }),
  },
  { request: scan({ IndexName: 'byG', ConsistentRead: true }) },
  { table: 'composite', request: query({ IndexName: 'byN', ConsistentRead: true }) },
  // key conditions
  { request: query({ KeyConditionExpression: 'pk = :k OR pk = :k' }) },
  { request: query({ KeyConditionExpression: 'pk = :k AND pk = :k' }) },
  { request: query({ KeyConditionExpression: 'pk = :k AND a = :k' }) },
  { request: query({ KeyConditionExpression: 'pk <> :k' }) },
  { request: query({ KeyConditionExpression: 'begins_with(pk, :k)' }) },
  {
    table: 'composite',
    request: query({
      KeyConditionExpression: 'pk = :k AND begins_with(sk, :one)',
      ExpressionAttributeValues: { ':k': S('k1'), ':one': N('1') },
    }),
  },
  {
    table: 'composite',
    request: query({
      KeyConditionExpression: 'pk = :k AND sk BETWEEN :hi AND :lo',
      ExpressionAttributeValues: { ':k': S('k1'), ':hi': N('9'), ':lo': N('1') },
    }),
  },
  {
    table: 'composite',
    request: query({ KeyConditionExpression: 'sk = :one', ExpressionAttributeValues: { ':one': N('1') } }),
  },
  { request: query({ ExpressionAttributeValues: { ':k': N('1') } }) },
  { request: query({ IndexName: 'absent' }) },
  // tables and keys of the request
  { request: { op: 'GetItem', params: { TableName: 'ab', Key: KEY } } },
  { request: { op: 'GetItem', params: { TableName: 'no-such-table', Key: KEY } } },
  { table: 'composite', request: op('DeleteItem', { Key: { ...CKEY, sk: S('1') } }) },
];
