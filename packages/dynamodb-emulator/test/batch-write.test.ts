/**
 * The emulator's BatchWriteItem (src/batch-write.ts) against dynalite's own (actions/batchWriteItem.js):
 * the same seeded batches (puts and deletes on tables with local and global indexes of every
 * projection, overwrites that move index keys, several tables at once, capacity asked in each way,
 * and refused batches: duplicates, a key missing, a key or index key of the wrong type, no such
 * table) to two in-memory engines, one through dynalite's action, one through the emulator's.
 * Every answer must be the same, and after every batch, every item and index entry in the two
 * stores: what the other operations (GetItem, Query and Scan of tables and indexes) read.
 */
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.ts';
import type { Action } from '../src/types/dynalite-engine.ts';

const require = createRequire(import.meta.url);
const dynaliteBatchWrite = require('dynalite/actions/batchWriteItem.js') as Action;
const validations = require('dynalite/validations/index.js') as {
  checkTypes(data: unknown, types: unknown): Record<string, unknown>;
};
const batchTypes = (require('dynalite/validations/batchWriteItem.js') as { types: unknown }).types;

const HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-date': '20000101T000000Z',
  authorization:
    'AWS4-HMAC-SHA256 Credential=a/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
};

const TABLES = [
  {
    TableName: 'orders',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'l', AttributeType: 'N' },
      { AttributeName: 'g', AttributeType: 'S' },
      { AttributeName: 'gs', AttributeType: 'N' },
      { AttributeName: 'g2', AttributeType: 'B' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: 'byL',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'l', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byG',
        KeySchema: [
          { AttributeName: 'g', KeyType: 'HASH' },
          { AttributeName: 'gs', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x'] },
      },
      {
        IndexName: 'byG2',
        KeySchema: [{ AttributeName: 'g2', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  },
  {
    TableName: 'plain',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  },
];

/** A small seeded generator (mulberry32): the same batches on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Value = Record<string, unknown>;

function batch(next: () => number): Record<string, unknown> {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const chance = (p: number) => next() < p;
  const requestItems: Record<string, Value[]> = {};
  const tables = chance(0.3) ? ['orders', 'plain'] : [pick(['orders', 'plain'])];
  if (chance(0.03)) tables.push('missing');
  for (const table of tables) {
    const requests: Value[] = [];
    const count = 1 + Math.floor(next() * (chance(0.2) ? 25 : 5));
    for (let i = 0; i < count; i++) {
      const key: Value =
        table === 'plain'
          ? { id: { S: pick(['a', 'b', 'c', 'd', 'e', 'f']) } }
          : { pk: { S: pick(['a', 'b', 'c']) }, sk: { N: pick(['1', '2', '3', '4', '10']) } };
      if (chance(0.03)) delete key[pick(Object.keys(key))];
      if (chance(0.02)) key[Object.keys(key)[0] ?? 'pk'] = { N: '7' };
      if (chance(0.3)) {
        requests.push({ DeleteRequest: { Key: key } });
        continue;
      }
      const item: Value = {
        ...key,
        x: { S: pick(['one', 'two']) },
        y: { N: String(Math.floor(next() * 100)) },
      };
      if (chance(0.6)) item.l = { N: pick(['1', '2', '-3.5']) };
      if (chance(0.6)) item.g = { S: pick(['p', 'q']) };
      if (chance(0.6)) item.gs = { N: pick(['5', '6']) };
      if (chance(0.4)) item.g2 = { B: pick(['AAE=', 'AQI=']) };
      if (chance(0.02)) item.g = { N: '1' };
      if (chance(0.2)) item.big = { S: 'z'.repeat(Math.floor(next() * 3000)) };
      requests.push({ PutRequest: { Item: item } });
    }
    requestItems[table] = requests;
  }
  const capacity = pick([undefined, 'TOTAL', 'INDEXES', 'NONE']);
  return { RequestItems: requestItems, ...(capacity ? { ReturnConsumedCapacity: capacity } : {}) };
}

const engines: Engine[] = [];
afterAll(async () => {
  for (const engine of engines) await engine.close();
});

async function engineWithTables(): Promise<Engine> {
  const engine = new Engine({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  engines.push(engine);
  for (const table of TABLES) {
    const reply = await engine.serve(
      { ...HEADERS, 'x-amz-target': 'DynamoDB_20120810.CreateTable' },
      Buffer.from(JSON.stringify(table)),
    );
    expect(reply.status).toBe(200);
  }
  // dynalite makes a table ACTIVE on a timer after answering.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return engine;
}

/** Every item and index entry of the store (not the tables' descriptions: their creation times differ). */
async function contents(engine: Engine): Promise<[string, unknown][]> {
  const level = engine.store.db as unknown as { iterator(): { all(): Promise<[string, unknown][]> } };
  return (await level.iterator().all()).filter(([key]) => !key.startsWith('table~'));
}

describe('BatchWriteItem: the emulator against dynalite', () => {
  it('answers and stores as dynalite does, batch after batch (seeded)', async () => {
    const theirs = await engineWithTables();
    const ours = await engineWithTables();
    const next = random(27);
    let refused = 0;
    for (let n = 0; n < 300; n++) {
      const request = batch(next);
      const expected = await new Promise<{ status: number; body: unknown }>((resolve) => {
        const data = validations.checkTypes(structuredClone(request), batchTypes);
        dynaliteBatchWrite(theirs.store, data, (error, answer) =>
          resolve(
            error ? { status: error.statusCode ?? 500, body: error.body } : { status: 200, body: answer },
          ),
        );
      });
      const reply = await ours.serve(
        { ...HEADERS, 'x-amz-target': 'DynamoDB_20120810.BatchWriteItem' },
        Buffer.from(JSON.stringify(request)),
      );
      const got = { status: reply.status, body: JSON.parse(reply.body.toString('utf8')) };
      expect(got, `batch ${n}: ${JSON.stringify(request)}`).toEqual(JSON.parse(JSON.stringify(expected)));
      if (got.status !== 200) refused++;
      expect(await contents(ours), `store after batch ${n}`).toEqual(await contents(theirs));
    }
    // The seed reaches both kinds of answer.
    expect(refused).toBeGreaterThan(20);
    expect(refused).toBeLessThan(250);
    expect((await contents(ours)).some(([key]) => key.startsWith('index-global~orders~byG~'))).toBe(true);
    expect((await contents(ours)).some(([key]) => key.startsWith('index-local~orders~byL~'))).toBe(true);
  });

  it('sees a table made again after DeleteTable with another key (no stale description)', async () => {
    const engine = await engineWithTables();
    const serve = (operation: string, body: unknown) =>
      engine.serve(
        { ...HEADERS, 'x-amz-target': `DynamoDB_20120810.${operation}` },
        Buffer.from(JSON.stringify(body)),
      );
    const put = { RequestItems: { plain: [{ PutRequest: { Item: { id: { S: 'a' } } } }] } };
    expect((await serve('BatchWriteItem', put)).status).toBe(200);
    expect((await serve('DeleteTable', { TableName: 'plain' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const made = await serve('CreateTable', {
      TableName: 'plain',
      AttributeDefinitions: [{ AttributeName: 'code', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'code', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(made.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await serve('BatchWriteItem', put);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString('utf8')).message).toBe(
      'The provided key element does not match the schema',
    );
  });
});
