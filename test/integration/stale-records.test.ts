import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoLedger, S3ObjectSource } from '@eventline/aws';
import { pruneRecord, staleRecords } from '@eventline/cli';
import { parseConfig } from '@eventline/config';
import { type ObjectEvent, Pipeline } from '@eventline/core';
import { ensureLedgerTable } from '@eventline/dynamodb-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObject, RecordingNotifier } from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators } from '../support/emulators.ts';
import { ManualClock, MemoryContinuations, MemoryDeadLetters } from '../support/memory-ports.ts';

/**
 * Hole 3 (invariant I4, docs/protocol.md): a superseded version's records under keys its object's
 * current version did not write stay in the ledger, told apart by their source; `eventline records
 * --stale` lists them and `--prune` deletes them, each only if it still holds the write listed (its
 * source and `processedAt`: a listing's source names only the bytes, which a rewrite may share).
 * The real Pipeline and DynamoLedger on the S3 emulator and dynalite, with the CLI's functions.
 */

let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(async () => {
  await emulators?.close();
});

async function setup(table: string, key?: string) {
  await ensureLedgerTable(emulators.clients.dynamodb, table);
  const clock = new ManualClock(Date.now());
  const route = { id: 'rows', prefix: 'stale/', suffix: '.ndjson', format: 'ndjson' as const };
  const pipeline = new Pipeline({
    config: parseConfig({ routes: [key ? { ...route, key } : route] }),
    bucketName: emulators.bucket,
    source: new S3ObjectSource(emulators.clients.s3),
    ledger: new DynamoLedger({ tableName: table, dynamodb: emulators.clients.dynamodb, clock }),
    notifier: new RecordingNotifier(),
    deadLetters: new MemoryDeadLetters(),
    continuations: new MemoryContinuations(),
    clock,
  });
  const reader = {
    table: { name: table, source: 'test' },
    where: 'the emulators',
    clients: { documents: emulators.clients.documents },
  };
  return { pipeline, reader, clock };
}

/** The event a listing (`backfill`, `reconcile --fix`) makes of an object: its ETag, no versionId or sequencer. */
const listed = (event: ObjectEvent): ObjectEvent => {
  const { sequencer: _sequencer, versionId: _versionId, ...rest } = event;
  return { ...rest, origin: 'backfill' };
};

/** Records with an `id` (keyed by it) or a `name` (keyed by position: the route's default key field `id` is absent). */
const lines = (ids: string[], v: number, field = 'id') =>
  `${ids.map((id) => JSON.stringify({ [field]: id, v })).join('\n')}\n`;

describe("hole 3 (decided, I4): records --stale lists and --prune deletes a superseded version's records", () => {
  for (const keyed of [true, false]) {
    it(`keys by ${keyed ? 'a field' : 'position'}: v1 wrote 3 records, v2 rewrote 1; 2 are stale, pruned once`, async () => {
      const t = await setup(`stale-${keyed ? 'field' : 'position'}`, keyed ? 'id' : undefined);
      const key = `stale/${keyed ? 'field' : 'position'}.ndjson`;
      expect(
        (
          await t.pipeline.processObject(
            await putObject(emulators, key, lines(['a', 'b', 'c'], 1, keyed ? 'id' : 'name')),
          )
        ).status,
      ).toBe('processed');
      // Nothing is stale while the current version wrote every record.
      expect(await staleRecords(t.reader, 100)).toEqual([]);
      expect(
        (
          await t.pipeline.processObject(
            await putObject(emulators, key, lines(['a'], 2, keyed ? 'id' : 'name')),
          )
        ).status,
      ).toBe('processed');

      const stale = await staleRecords(t.reader, 100);
      const expected = keyed ? ['b', 'c'] : [`${key}#2`, `${key}#3`];
      expect(stale.map(({ record }) => record.key).sort()).toEqual(expected);
      expect(stale.map(({ record }) => (record.payload as { v: unknown }).v)).toEqual([1, 1]);

      expect(await Promise.all(stale.map(({ record }) => pruneRecord(t.reader, record)))).toEqual([
        true,
        true,
      ]);
      expect(await staleRecords(t.reader, 100)).toEqual([]);
      // A second prune of the same listing finds them gone: nothing else is deleted.
      expect(await pruneRecord(t.reader, stale[0]!.record)).toBe(false);
    });
  }

  it('keeps a record a newer write replaced after it was listed', async () => {
    const t = await setup('stale-race', 'id');
    const key = 'stale/race.ndjson';
    await t.pipeline.processObject(await putObject(emulators, key, lines(['a', 'b'], 1)));
    await t.pipeline.processObject(await putObject(emulators, key, lines(['a'], 2)));
    const [listed] = await staleRecords(t.reader, 100);
    expect(listed?.record.key).toBe('b');
    // v3 writes `b` again between the listing and the prune.
    await t.pipeline.processObject(await putObject(emulators, key, lines(['a', 'b'], 3)));
    expect(await pruneRecord(t.reader, listed!.record)).toBe(false);
    expect(await staleRecords(t.reader, 100)).toEqual([]);
  });
  // Adversarial review: the prune's condition named the version by its source's versionId,
  // sequencer and ETag only. A listing's write names none but the ETag, which names the bytes: the
  // same bytes written again (by the object itself, or by another object) matched it, and the prune
  // deleted a record a current version had just written.
  it('keeps a record the same bytes rewrote from a listing after it was listed', async () => {
    const t = await setup('stale-same-bytes', 'id');
    const key = 'stale/same-bytes.ndjson';
    await t.pipeline.processObject(listed(await putObject(emulators, key, lines(['a', 'b'], 1))));
    t.clock.advance(1000);
    await t.pipeline.processObject(listed(await putObject(emulators, key, lines(['a'], 2))));
    const [stale] = await staleRecords(t.reader, 100);
    expect(stale?.record.key).toBe('b');
    // v3 is v1's bytes again (one ETag), claimed by a backfill: it writes `b` again.
    t.clock.advance(1000);
    const v3 = await t.pipeline.processObject(listed(await putObject(emulators, key, lines(['a', 'b'], 1))));
    expect(v3.status).toBe('processed');
    expect(await staleRecords(t.reader, 100)).toEqual([]);
    expect(await pruneRecord(t.reader, stale!.record)).toBe(false);
    expect(await staleRecords(t.reader, 100)).toEqual([]);
    const scanned = await recordKeys(t.reader);
    expect(scanned).toContain('b');
  });

  it("keeps a record another object's identical bytes wrote under the same key after it was listed", async () => {
    const t = await setup('stale-other-object', 'id');
    await t.pipeline.processObject(
      listed(await putObject(emulators, 'stale/x.ndjson', lines(['a', 'b'], 1))),
    );
    t.clock.advance(1000);
    await t.pipeline.processObject(listed(await putObject(emulators, 'stale/x.ndjson', lines(['a'], 2))));
    const [stale] = await staleRecords(t.reader, 100);
    expect(stale?.record.key).toBe('b');
    // Another object with x's first bytes (a copy), claimed by a backfill, writes `b`: its current record.
    t.clock.advance(1000);
    await t.pipeline.processObject(
      listed(await putObject(emulators, 'stale/y.ndjson', lines(['a', 'b'], 1))),
    );
    expect(await pruneRecord(t.reader, stale!.record)).toBe(false);
    expect(await recordKeys(t.reader)).toContain('b');
  });

  it('filters by key before the limit counts (records --stale --search)', async () => {
    const t = await setup('stale-search', 'id');
    const key = 'stale/search.ndjson';
    await t.pipeline.processObject(await putObject(emulators, key, lines(['a', 'b', 'c', 'zz'], 1)));
    await t.pipeline.processObject(await putObject(emulators, key, lines(['a'], 2)));
    expect((await staleRecords(t.reader, 100)).length).toBe(3);
    const found = await staleRecords(t.reader, 1, (k) => k.includes('zz'));
    expect(found.map(({ record }) => record.key)).toEqual(['zz']);
  });
});

/** Every record key in the table, stale or not. */
async function recordKeys(reader: {
  table: { name: string };
  clients: { documents: Emulators['clients']['documents'] };
}) {
  const out = await reader.clients.documents.send(new ScanCommand({ TableName: reader.table.name }));
  return (out.Items ?? []).filter((item) => item.kind === 'record').map((item) => String(item.pk));
}
