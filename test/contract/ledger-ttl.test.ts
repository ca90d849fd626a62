import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoLedger } from '@eventline/aws';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import type { FileState } from '@eventline/core';
import { fileKey, sequencerSortKey, TTL_ATTRIBUTE, toItem } from '@eventline/core';
import { ensureLedgerTable, startLocalDynamo } from '@eventline/dynamodb-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `ledger.ttlDays`: the DynamoDB adapter stamps record and outcome items with `expiresAt` (epoch seconds). */

const NOW = Date.parse('2026-03-01T12:34:56.789Z');
const NOW_SECONDS = Math.floor(NOW / 1000);
const DAY = 86_400;

const fileState = (key: string): FileState => ({
  bucket: 'b',
  key,
  route: 'default',
  seq: sequencerSortKey('0A'),
  sequencer: '0A',
  eventTime: '2026-01-01T00:00:00.000Z',
  status: 'PROCESSING',
  rev: 1,
  leaseUntil: 0,
  attempts: 1,
  counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
  rejects: [],
  notification: { status: 'NOT_NEEDED' },
  deadLetter: { status: 'NOT_NEEDED' },
  startedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const record = (pk: string, key: string) =>
  toItem({ pk, kind: 'record', payload: { pk }, origin: `b/${key}`, seq: sequencerSortKey('0A') }).item;

describe('ledger retention (ledger.ttlDays) on the DynamoDB emulator', () => {
  let clients: AwsClients;
  let close: () => Promise<void>;
  const table = `ttl-${process.pid}`;

  beforeAll(async () => {
    const dynamo = await startLocalDynamo({});
    close = () => dynamo.close();
    clients = createClients({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${dynamo.port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 2,
    });
    await ensureLedgerTable(clients.dynamodb, table);
  });
  afterAll(async () => {
    if (clients) destroyClients(clients);
    await close?.();
  });

  const ledgerWith = (ttlDays?: number) =>
    new DynamoLedger({
      tableName: table,
      dynamodb: clients.dynamodb,
      documents: clients.documents,
      now: () => NOW,
      ...(ttlDays === undefined ? {} : { ttlDays }),
    });
  const expiryOf = async (pk: string) => {
    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    expect(Item, pk).toBeDefined();
    return Item?.[TTL_ATTRIBUTE];
  };

  it('stamps outcome items and records (single and batched) ttlDays after the write, in epoch seconds', async () => {
    const ledger = ledgerWith(7);
    expect(await ledger.putFile(fileState('incoming/ttl.json'), undefined)).toBe(true);
    expect(
      await ledger.putRecord(record('ttl-one', 'incoming/ttl.json'), {
        bucket: 'b',
        key: 'incoming/ttl.json',
        seq: sequencerSortKey('0A'),
      }),
    ).toBe('written');
    await ledger.putRecords([record('ttl-a', 'incoming/ttl.json'), record('ttl-b', 'incoming/ttl.json')], {
      deadline: Date.now() + 10_000,
    });
    const expected = { N: String(NOW_SECONDS + 7 * DAY) };
    expect(await expiryOf(fileKey('b', 'incoming/ttl.json'))).toEqual(expected);
    for (const pk of ['ttl-one', 'ttl-a', 'ttl-b']) expect(await expiryOf(pk)).toEqual(expected);
    // The outcome item is still read back as before.
    expect(await ledger.getFile('b', 'incoming/ttl.json')).toMatchObject({
      key: 'incoming/ttl.json',
      rev: 1,
    });
  });

  it('moves the expiry on when an outcome item is rewritten', async () => {
    let now = NOW;
    const ledger = new DynamoLedger({
      tableName: table,
      dynamodb: clients.dynamodb,
      documents: clients.documents,
      ttlDays: 1,
      now: () => now,
    });
    const state = fileState('incoming/later.json');
    expect(await ledger.putFile(state, undefined)).toBe(true);
    now += 3 * DAY * 1000;
    expect(await ledger.putFile({ ...state, rev: 2, status: 'PROCESSED' }, 1)).toBe(true);
    expect(await expiryOf(fileKey('b', 'incoming/later.json'))).toEqual({ N: String(NOW_SECONDS + 4 * DAY) });
  });

  it('writes no expiry when ttlDays is unset (the default: kept forever)', async () => {
    const ledger = ledgerWith(undefined);
    expect(await ledger.putFile(fileState('incoming/forever.json'), undefined)).toBe(true);
    await ledger.putRecords([record('forever-a', 'incoming/forever.json')], {
      deadline: Date.now() + 10_000,
    });
    expect(await expiryOf(fileKey('b', 'incoming/forever.json'))).toBeUndefined();
    expect(await expiryOf('forever-a')).toBeUndefined();
  });
});
