import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { sequencerSortKey } from '@eventline/core/events.ts';
import { parseExact } from '@eventline/core/formats/json.ts';
import type { FileState, Ledger } from '@eventline/core/ports.ts';
import { toItem } from '@eventline/core/values.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Ledger port's contract, run against every real DynamoDB implementation we support
 * (dynalite, DynamoDB Local). `make` returns a ledger on a fresh table plus a raw client to look.
 */
export interface LedgerUnderTest {
  ledger: Ledger;
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

export function ledgerContract(name: string, make: () => Promise<LedgerUnderTest>): void {
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
  });
}
