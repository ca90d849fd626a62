import { type DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { FileState, Ledger } from '@eventline/core';
import { fileKey, sequencerSortKey, toItem } from '@eventline/core';
import { parseExact } from '@eventline/core/formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Ledger port's contract, run against every real DynamoDB implementation we support
 * (the DynamoDB emulator, DynamoDB Local, an engine without ALL_OLD). `make` returns a ledger on a fresh table plus a raw client to look.
 */
export interface LedgerUnderTest {
  ledger: Ledger;
  /** How many refused claims had to read the item back (the engine returned no ALL_OLD Item). */
  readFallbacks(): number;
  dynamodb: DynamoDBClient;
  table: string;
  close(): Promise<void>;
}

const fileState = (overrides: Partial<FileState> = {}): FileState => ({
  bucket: 'b',
  key: 'incoming/a.json',
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
  ...overrides,
});

const record = (pk: string, key: string, sequencer: string, payload: unknown) =>
  toItem({ pk, kind: 'record', payload, origin: `b/${key}`, seq: sequencerSortKey(sequencer) }).item;

/**
 * `returnsAllOld`: whether the engine answers a refused conditional write with the item
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, as DynamoDB does); without it the ledger reads the
 * item back once (its read fallback), and the suite checks that path instead.
 */
export function ledgerContract(
  name: string,
  make: () => Promise<LedgerUnderTest>,
  engine: { returnsAllOld: boolean } = { returnsAllOld: true },
): void {
  describe(`Ledger contract: ${name}`, () => {
    let subject: LedgerUnderTest;
    beforeAll(async () => {
      subject = await make();
    });
    afterAll(async () => {
      await subject?.close();
    });

    it('creates a file state only once, then only from the revision it read', async () => {
      const { ledger } = subject;
      const state = fileState({ key: 'incoming/rev.json' });
      expect(await ledger.putFile(state, undefined)).toBe(true);
      expect(await ledger.putFile(state, undefined)).toBe(false);
      expect(await ledger.putFile({ ...state, rev: 2, status: 'PROCESSED' }, 1)).toBe(true);
      expect(await ledger.putFile({ ...state, rev: 2, status: 'FAILED' }, 1)).toBe(false);
      const stored = await ledger.getFile('b', 'incoming/rev.json');
      expect(stored).toMatchObject({ rev: 2, status: 'PROCESSED', key: 'incoming/rev.json' });
      expect(await ledger.getFile('b', 'incoming/missing.json')).toBeUndefined();
    });

    it('keeps exact decimal numbers', async () => {
      const { ledger, dynamodb, table } = subject;
      const payload = parseExact('{"a":0.1,"b":42.50,"c":12345678901234567890,"d":-1.5e-7}');
      await ledger.putRecord(record('exact-1', 'incoming/n.json', '01', payload), {
        bucket: 'b',
        key: 'incoming/n.json',
        seq: sequencerSortKey('01'),
      });
      const scan = await dynamodb.send(new ScanCommand({ TableName: table }));
      const item = scan.Items?.find((i) => i.pk?.S === 'exact-1');
      const numbers = item?.payload?.M;
      expect(Number(numbers?.a?.N)).toBe(0.1);
      expect(numbers?.a?.N).toBe('0.1');
      expect(Number(numbers?.b?.N)).toBe(42.5);
      expect(numbers?.c?.N).toBe('12345678901234567890');
      expect(Number(numbers?.d?.N)).toBe(-1.5e-7);
    });

    it('never lets an older version of an object overwrite a newer one, but re-writes the same version', async () => {
      const { ledger, dynamodb, table } = subject;
      const key = 'incoming/v.json';
      const guard = (seq: string) => ({ bucket: 'b', key, seq: sequencerSortKey(seq) });
      expect(await ledger.putRecord(record('ver-1', key, '0B', { v: 'new' }), guard('0B'))).toBe('written');
      expect(await ledger.putRecord(record('ver-1', key, '0A', { v: 'old' }), guard('0A'))).toBe(
        'superseded',
      );
      expect(await ledger.putRecord(record('ver-1', key, '0B', { v: 'new' }), guard('0B'))).toBe('written');
      // Another object may take the key over (last writer wins across objects).
      expect(
        await ledger.putRecord(
          toItem({
            pk: 'ver-1',
            kind: 'record',
            payload: { v: 'other' },
            origin: 'b/incoming/w.json',
            seq: sequencerSortKey('01'),
          }).item,
          { bucket: 'b', key: 'incoming/w.json', seq: sequencerSortKey('01') },
        ),
      ).toBe('written');
      const scan = await dynamodb.send(new ScanCommand({ TableName: table }));
      expect(scan.Items?.find((i) => i.pk?.S === 'ver-1')?.payload?.M?.v?.S).toBe('other');
    });

    it('writes many records in batches of 25, including a partial last batch', async () => {
      const { ledger, dynamodb, table } = subject;
      const items = Array.from({ length: 60 }, (_, i) =>
        record(`batch-${i}`, 'incoming/many.ndjson', '01', { i }),
      );
      await ledger.putRecords(items, { deadline: Date.now() + 10_000 });
      const scan = await dynamodb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'begins_with(pk, :p)',
          ExpressionAttributeValues: { ':p': { S: 'batch-' } },
        }),
      );
      expect(scan.Items?.length).toBe(60);
    });
    it('claims a new object in one write, and refuses a redelivery with the state it holds', async () => {
      const { ledger } = subject;
      const now = 1_000_000;
      const key = 'incoming/claim.json';
      const first = await ledger.claim(fileState({ key, leaseUntil: now + 60_000 }), now);
      expect(first).toMatchObject({ claimed: true, state: { rev: 1, key, status: 'PROCESSING' } });
      const finished = {
        ...fileState({ key }),
        rev: 2,
        status: 'PROCESSED' as const,
        notification: { status: 'SENT' as const },
      };
      expect(await ledger.putFile(finished, 1)).toBe(true);
      const before = subject.readFallbacks();
      const again = await ledger.claim(fileState({ key, leaseUntil: now + 60_000 }), now);
      expect(again).toMatchObject({
        claimed: false,
        current: { rev: 2, status: 'PROCESSED', key, bucket: 'b' },
      });
      expect(subject.readFallbacks() - before).toBe(engine.returnsAllOld ? 0 : 1);
    });

    it('lets a newer version take over a finished older one, never a leased or owing one', async () => {
      const { ledger } = subject;
      const now = 2_000_000;
      const key = 'incoming/newer.json';
      const v1 = fileState({ key, sequencer: '0A', seq: sequencerSortKey('0A'), leaseUntil: now + 60_000 });
      const v2 = fileState({ key, sequencer: '0B', seq: sequencerSortKey('0B'), leaseUntil: now + 60_000 });
      const v0 = fileState({ key, sequencer: '09', seq: sequencerSortKey('09'), leaseUntil: now + 60_000 });
      expect((await ledger.claim(v1, now)).claimed).toBe(true);
      // v1 is PROCESSING under a live lease: v2 must wait.
      expect(await ledger.claim(v2, now)).toMatchObject({ claimed: false, current: { sequencer: '0A' } });
      // v1 finished but still owes its notification: v2 must go through the read-decide path.
      expect(
        await ledger.putFile({ ...v1, rev: 2, status: 'PROCESSED', notification: { status: 'PENDING' } }, 1),
      ).toBe(true);
      expect((await ledger.claim(v2, now)).claimed).toBe(false);
      expect(
        await ledger.putFile({ ...v1, rev: 3, status: 'PROCESSED', notification: { status: 'SENT' } }, 2),
      ).toBe(true);
      // An older version never takes over.
      expect((await ledger.claim(v0, now)).claimed).toBe(false);
      const taken = await ledger.claim(v2, now);
      expect(taken).toMatchObject({ claimed: true, state: { rev: 4, sequencer: '0B' } });
      // An expired lease of an older version is taken over too.
      const v3 = fileState({ key, sequencer: '0C', seq: sequencerSortKey('0C'), leaseUntil: now + 200_000 });
      expect((await ledger.claim(v3, now + 100_000)).claimed).toBe(true);
      expect(await ledger.getFile('b', key)).toMatchObject({ rev: 5, sequencer: '0C', status: 'PROCESSING' });
    });

    it('keeps the outcome item small, and bounded whatever the input', async () => {
      const { ledger, dynamodb, table } = subject;
      const key = `incoming/${'k'.repeat(120)}.json`;
      const common: FileState = {
        ...fileState({
          key,
          eTag: '0123456789abcdef0123456789abcdef',
          versionId: 'v'.repeat(32),
          size: 1234,
        }),
        status: 'PROCESSED',
        counts: { read: 1, written: 1, rejected: 0, duplicates: 0, bytes: 1234 },
        notification: {
          status: 'SENT',
          messageId: '3f1f0f0e-7c4b-4c55-9a1e-1f2e3d4c5b6a',
          at: '2026-01-01T00:00:01.000Z',
        },
        finishedAt: '2026-01-01T00:00:01.000Z',
        durationMs: 12,
      };
      expect(await ledger.putFile(common, undefined)).toBe(true);
      const size = await itemSize(dynamodb, table, fileKey('b', key));
      expect(size).toBeLessThanOrEqual(1024);

      const hostileField = `1e400${'f'.repeat(450_000)}`;
      const hostile: FileState = {
        ...fileState({ key: 'incoming/hostile.csv' }),
        status: 'FAILED',
        error: {
          code: 'bad-number',
          message: 'x'.repeat(100_000),
          position: { line: 2, field: hostileField },
        },
        rejects: Array.from({ length: 60 }, (_, i) => ({
          position: { line: i + 2, field: 'h'.repeat(10_000) },
          code: 'bad-number',
          reason: 'r'.repeat(10_000),
        })),
        notification: { status: 'PENDING', error: 'e'.repeat(50_000) },
        deadLetter: { status: 'PENDING' },
      };
      expect(await ledger.putFile(hostile, undefined)).toBe(true);
      const stored = await ledger.getFile('b', 'incoming/hostile.csv');
      expect(stored?.status).toBe('FAILED');
      expect(stored?.error?.position?.field?.startsWith('1e400')).toBe(true);
      expect(stored?.rejects.length).toBeLessThanOrEqual(3);
      expect(await itemSize(dynamodb, table, fileKey('b', 'incoming/hostile.csv'))).toBeLessThan(8 * 1024);
    });
  });
}

/** An item's size as DynamoDB counts it, roughly: attribute names plus values, as UTF-8. */
async function itemSize(dynamodb: DynamoDBClient, table: string, pk: string): Promise<number> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  const sizeOf = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'boolean' || value === null) return 1;
    if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + sizeOf(v), 0);
    if (typeof value === 'object') {
      return (
        3 +
        Object.entries(value as Record<string, unknown>).reduce(
          (n, [k, v]) =>
            n + (['S', 'N', 'BOOL', 'M', 'L', 'NULL'].includes(k) ? 0 : Buffer.byteLength(k)) + sizeOf(v),
          0,
        )
      );
    }
    return 0;
  };
  return sizeOf(Item ?? {});
}
