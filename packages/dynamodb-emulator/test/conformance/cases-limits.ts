/**
 * DynamoDB's documented limits the differential test's boundary list (test/differential/
 * invalid-limits.ts) found unchecked, one case per rule: nesting of 32 levels on every write,
 * a transaction's 400 KB items and 4 MB in all, ConsistentRead on a global index, Scan segments,
 * 4 KB key conditions, attribute names under 64 KB, one request per BatchWriteItem entry.
 */
import { A, API, type Case, GUIDE, S } from './case-kit.ts';

const VALIDATION = 'ValidationException';
const LIMITS = `${GUIDE}/ServiceQuotas.html`;
/** A map nested `depth` levels deep under its attribute. */
const nested = (depth: number): Record<string, unknown> =>
  depth === 0 ? S('leaf') : { M: { m: nested(depth - 1) } };
const sized = (pk: string, kb: number) => ({ pk: S(pk), d: S('x'.repeat(kb * 1024)) });

export const limitCases: Case[] = [
  {
    name: 'Attributes nest up to 32 levels deep, on every write',
    says: '"DynamoDB supports nested attributes up to 32 levels deep": a deeper value is refused by PutItem, UpdateItem, BatchWriteItem and TransactWriteItems.',
    doc: LIMITS,
    differs: { moto: 'moto stores values nested past 32 levels, on all four writes' },
    table: 'hash',
    steps: [
      { op: 'PutItem', params: { TableName: '$T', Item: { pk: S('a'), m: nested(31) } }, ok: {} },
      { op: 'PutItem', params: { TableName: '$T', Item: { pk: S('a'), m: nested(32) } }, error: VALIDATION },
      {
        op: 'UpdateItem',
        params: {
          TableName: '$T',
          Key: A,
          UpdateExpression: 'SET m = :m',
          ExpressionAttributeValues: { ':m': nested(32) },
        },
        error: VALIDATION,
      },
      {
        op: 'BatchWriteItem',
        params: { RequestItems: { $T: [{ PutRequest: { Item: { pk: S('b'), m: nested(32) } } }] } },
        error: VALIDATION,
      },
      {
        op: 'TransactWriteItems',
        params: { TransactItems: [{ Put: { TableName: '$T', Item: { pk: S('c'), m: nested(32) } } }] },
        error: VALIDATION,
      },
    ],
  },
  {
    name: 'A transaction refuses an item past 400 KB and items past 4 MB in all',
    says: 'The item size limit (400 KB) holds inside TransactWriteItems, for a Put and for what an Update sets; "The aggregate size of the items in the transaction cannot exceed 4 MB".',
    doc: `${LIMITS}#limits-dynamodb-transactions`,
    differs: { moto: 'moto refuses the 401 KB Put and Update but applies 11 Puts of 390 KB (4.3 MB)' },
    table: 'hash',
    steps: [
      {
        op: 'TransactWriteItems',
        params: { TransactItems: [{ Put: { TableName: '$T', Item: sized('a', 401) } }] },
        error: VALIDATION,
      },
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: [
            {
              Update: {
                TableName: '$T',
                Key: A,
                UpdateExpression: 'SET d = :d',
                ExpressionAttributeValues: { ':d': S('x'.repeat(401 * 1024)) },
              },
            },
          ],
        },
        error: VALIDATION,
      },
      {
        op: 'TransactWriteItems',
        params: {
          TransactItems: Array.from({ length: 11 }, (_, i) => ({
            Put: { TableName: '$T', Item: sized(`t${i}`, 390) },
          })),
        },
        error: VALIDATION,
      },
      { op: 'GetItem', params: { TableName: '$T', Key: { pk: S('t0') } }, ok: { Item: { $absent: true } } },
    ],
  },
  {
    name: 'A global secondary index refuses ConsistentRead, in a Scan as in a Query',
    says: '"ConsistentRead is not supported on global secondary indexes. If you scan a global secondary index with ConsistentRead set to true, you will receive a ValidationException."',
    doc: `${API}/API_Scan.html#DDB-Scan-request-ConsistentRead`,
    table: 'indexed',
    steps: [
      { op: 'Scan', params: { TableName: '$T', IndexName: 'byG', ConsistentRead: true }, error: VALIDATION },
      { op: 'Scan', params: { TableName: '$T', IndexName: 'byG' }, ok: { Count: 0 } },
    ],
  },
  {
    name: 'Scan takes at most 1,000,000 segments',
    says: 'TotalSegments: "Valid Range: Minimum value of 1. Maximum value of 1000000."',
    doc: `${API}/API_Scan.html#DDB-Scan-request-TotalSegments`,
    differs: { moto: 'moto scans with TotalSegments 1,000,001' },
    table: 'hash',
    steps: [
      { op: 'Scan', params: { TableName: '$T', Segment: 0, TotalSegments: 1_000_000 }, ok: { Count: 0 } },
      { op: 'Scan', params: { TableName: '$T', Segment: 0, TotalSegments: 1_000_001 }, error: VALIDATION },
    ],
  },
  {
    name: 'A KeyConditionExpression longer than 4 KB is refused',
    says: '"The maximum length of any expression string is 4 KB", a Query\'s key condition included.',
    doc: `${LIMITS}#limits-expression-parameters`,
    differs: { moto: 'moto answers a Query whose key condition is past 4 KB' },
    table: 'hash',
    steps: [
      {
        op: 'Query',
        params: {
          TableName: '$T',
          KeyConditionExpression: `pk = :k${' '.repeat(4100)}`,
          ExpressionAttributeValues: { ':k': S('a') },
        },
        error: VALIDATION,
      },
    ],
  },
  {
    name: 'An attribute name of 64 KB or more in ExpressionAttributeNames is refused',
    says: 'Attribute names must be "at least one character long and less than 64 KB".',
    doc: `${LIMITS}#limits-attributes`,
    differs: { moto: 'moto takes a 64 KB attribute name in ExpressionAttributeNames' },
    table: 'hash',
    steps: [
      {
        op: 'GetItem',
        params: {
          TableName: '$T',
          Key: A,
          ProjectionExpression: '#n',
          ExpressionAttributeNames: { '#n': 'n'.repeat(65_535) },
        },
        ok: {},
      },
      {
        op: 'GetItem',
        params: {
          TableName: '$T',
          Key: A,
          ProjectionExpression: '#n',
          ExpressionAttributeNames: { '#n': 'n'.repeat(65_536) },
        },
        error: VALIDATION,
      },
    ],
  },
  {
    name: 'A BatchWriteItem entry holds one PutRequest or one DeleteRequest, not both',
    says: 'WriteRequest: "You can only request one of these operations, not both, in a single WriteRequest."',
    doc: `${API}/API_WriteRequest.html`,
    differs: { moto: 'moto applies the PutRequest of an entry that holds a DeleteRequest too' },
    table: 'hash',
    steps: [
      {
        op: 'BatchWriteItem',
        params: {
          RequestItems: {
            $T: [{ PutRequest: { Item: { pk: S('b1') } }, DeleteRequest: { Key: { pk: S('b2') } } }],
          },
        },
        error: VALIDATION,
      },
      { op: 'GetItem', params: { TableName: '$T', Key: { pk: S('b1') } }, ok: { Item: { $absent: true } } },
    ],
  },
];
