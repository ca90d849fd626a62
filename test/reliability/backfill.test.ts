import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpSubscriber } from '../support/http-subscriber.ts';
import {
  countBy,
  deliveredNotifications,
  report,
  scanLedger,
  startBackdoorWriter,
  startTestStack,
  type TestStack,
  tally,
  tempDir,
} from './support/harness.ts';
import { runCli } from './support/processes.ts';

/**
 * Backfill: objects that were in the bucket before the pipeline ran.
 * - 300 objects written to the bucket's storage before the stack ever started: the stack's start-up
 *   reconciliation processes them.
 * - 1,050 more written behind the running pipeline's back (another S3 server on the same storage,
 *   so no event reaches the pipeline): nothing happens until `eventline backfill --prefix incoming/`
 *   (the real CLI, against the stack's endpoint) lists the 1,350 objects (ListObjectsV2 pages of at
 *   most 1,000 keys, so the continuation token must be followed) and processes the 1,050 that have
 *   no outcome; the 300 done ones are duplicates.
 * - A second backfill changes nothing: no record, no notification.
 */

const BEFORE = 300;
const BEHIND = 1_050;

describe('backfill', () => {
  let test: TestStack | undefined;

  afterAll(async () => {
    await test?.close();
  });

  it(
    'processes objects present before the pipeline ran (paginated), idempotently',
    async () => {
      // Prepare: objects in the bucket before the stack exists.
      const dir = await tempDir('backfill');
      const dataDir = join(dir, 'data');
      const subscriber = await startHttpSubscriber();
      let writer = await startBackdoorWriter(dataDir);
      const body = (id: string) => JSON.stringify({ id, source: 'backfill' });
      const before = [];
      for (let i = 0; i < BEFORE; i++) {
        before.push(
          (await writer.put(`incoming/before/${String(i).padStart(4, '0')}.json`, body(`before-${i}`))).key,
        );
      }
      await writer.close();
      const started = Date.now();
      test = await startTestStack({ dataDir, subscriber });
      const { stack } = test;
      await stack.idle();
      const reconciledAtStart = stack.activity.counters.processed;

      // Objects written behind the running pipeline's back.
      writer = await startBackdoorWriter(dataDir);
      const behind = [];
      for (let i = 0; i < BEHIND; i++) {
        behind.push(
          (await writer.put(`incoming/behind/${String(i).padStart(4, '0')}.json`, body(`behind-${i}`))).key,
        );
      }
      await writer.close();
      const unseen = await scanLedger(stack.clients.documents);
      const outcomesBeforeBackfill = behind.filter((k) => unseen.files.has(k)).length;

      // Act
      const first = await runCli(['--endpoint', stack.url, '--json', 'backfill', '--prefix', 'incoming/']);
      await stack.idle();
      const afterFirst = await scanLedger(stack.clients.documents);
      const notesAfterFirst = deliveredNotifications(subscriber).length;
      const duplicatesBefore = stack.activity.metrics.get('EventsDuplicate') ?? 0;
      const second = await runCli(['--endpoint', stack.url, '--json', 'backfill', '--prefix', 'incoming/']);
      await stack.idle();
      const outsideRoutes = await runCli([
        '--endpoint',
        stack.url,
        '--json',
        'backfill',
        '--prefix',
        'elsewhere/',
      ]);
      await stack.idle();
      const done = Date.now();

      // Assess
      const keys = [...before, ...behind];
      const after = await scanLedger(stack.clients.documents);
      const records = tally(keys, new Map([...after.recordsByObject].map(([k, list]) => [k, list.length])));
      const delivered = tally(
        keys,
        countBy(deliveredNotifications(subscriber), (n) => n.key),
      );
      // The CLI's script interface (--json): how many events it sent (to the ingest queue in queue mode).
      const submitted = (out: string) => (JSON.parse(out) as { sent: number }).sent;
      await report('backfill', {
        files: keys.length,
        presentBeforeStart: BEFORE,
        processedByStartupReconcile: reconciledAtStart,
        writtenBehindThePipeline: BEHIND,
        outcomesBeforeBackfill,
        firstBackfillSubmitted: submitted(first.stdout),
        secondBackfillSubmitted: submitted(second.stdout),
        newRecordsBySecondBackfill: after.records.length - afterFirst.records.length,
        newNotificationsBySecondBackfill: deliveredNotifications(subscriber).length - notesAfterFirst,
        duplicatesSeenBySecondBackfill:
          (stack.activity.metrics.get('EventsDuplicate') ?? 0) - duplicatesBefore,
        lost: records.missing.length + delivered.missing.length,
        duplicated: records.extra + delivered.extra,
        seconds: (done - started) / 1000,
      });
      expect(reconciledAtStart).toBe(BEFORE);
      expect(outcomesBeforeBackfill).toBe(0);
      expect(first.code).toBe(0);
      expect(submitted(first.stdout)).toBe(BEFORE + BEHIND);
      expect(submitted(second.stdout)).toBe(BEFORE + BEHIND);
      expect(submitted(outsideRoutes.stdout)).toBe(0);
      expect(records.missing).toEqual([]);
      expect(records.duplicated).toEqual([]);
      expect(after.records).toHaveLength(keys.length);
      expect(after.records.map((r) => r.pk).sort()).toEqual(afterFirst.records.map((r) => r.pk).sort());
      expect(
        [...after.files.values()].every((s) => s.status === 'PROCESSED' && s.notification.status === 'SENT'),
      ).toBe(true);
      expect(delivered.missing).toEqual([]);
      expect(delivered.duplicated).toEqual([]);
      expect(deliveredNotifications(subscriber)).toHaveLength(notesAfterFirst);
      expect((stack.activity.metrics.get('EventsDuplicate') ?? 0) - duplicatesBefore).toBe(BEFORE + BEHIND);
    },
    10 * 60_000,
  );
});
