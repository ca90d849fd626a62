import type { FileState } from '@eventline/core';
import { nextSequencer } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackdoorWriter,
  countBy,
  deliveredNotifications,
  random,
  report,
  s3Event,
  scanLedger,
  shuffle,
  sleep,
  sqsRecord,
  startBackdoorWriter,
  startTestStack,
  type TestStack,
  tally,
} from './support/harness.ts';

/**
 * Redelivery: S3 and SQS deliver at least once. Every event is delivered twice, the copies
 * interleaved and running concurrently (10 at a time, like the reserved concurrency), directly as
 * S3 events and as SQS batches (a batch may hold both copies of one event, processed in parallel by
 * Powertools), then each once more in the other shape. The result must be the one a single delivery
 * gives: one record per object, one outcome written once (same revision and attempt count as a
 * control object delivered once), one notification. A copy that meets its twin's live claim fails
 * and is delivered again later, as Lambda / SQS would.
 * Also: two versions of one object delivered out of order; the older never overwrites the newer.
 */

const SEED = 20_261_126;
const PER_SHAPE = 150;
const VERSIONED = 20;

type Event = { Records: Record<string, unknown>[] };

describe('redelivery', () => {
  let test: TestStack;
  let writer: BackdoorWriter;

  beforeAll(async () => {
    test = await startTestStack();
    writer = await startBackdoorWriter(test.dataDir);
  });

  afterAll(async () => {
    await writer?.close();
    await test?.close();
  });

  it(
    'every event twice, interleaved, directly and through SQS → the same result as once',
    async () => {
      // Prepare: objects the pipeline has not seen (written behind its back), and their events.
      const rand = random(SEED);
      const { stack, subscriber } = test;
      const put = (prefix: string, i: number) =>
        writer.put(
          `incoming/${prefix}/${String(i).padStart(3, '0')}.json`,
          JSON.stringify({ id: `${prefix}-${i}` }),
        );
      const direct = await Promise.all(Array.from({ length: PER_SHAPE }, (_, i) => put('direct', i)));
      const viaSqs = await Promise.all(Array.from({ length: PER_SHAPE }, (_, i) => put('sqs', i)));
      const control = await put('control', 0);
      const directEvents = direct.map((o) => s3Event(o));
      const sqsEvents = viaSqs.map((o) => s3Event(o));
      let redelivered = 0;
      const outcomes: string[] = [];

      // A Lambda-like async invoker: failed invocations are delivered again a little later.
      const invokeAll = async (events: Event[]) => {
        const queue = [...events];
        const worker = async () => {
          while (queue.length > 0) {
            const event = queue.shift()!;
            try {
              const result = (await stack.handler(event)) as { outcomes: Array<{ status: string }> };
              outcomes.push(...result.outcomes.map((o) => o.status));
            } catch {
              redelivered += 1;
              await sleep(50);
              queue.push(event);
            }
          }
        };
        await Promise.all(Array.from({ length: 10 }, worker));
      };
      // An SQS-like event source: batches of 10, failed items come back after a visibility timeout.
      const sendBatches = async (records: Record<string, unknown>[]) => {
        let pending = [...records];
        let batchesRun = 0;
        while (pending.length > 0) {
          const batches: Record<string, unknown>[][] = [];
          for (let i = 0; i < pending.length; i += 10) batches.push(pending.slice(i, i + 10));
          const failed: Record<string, unknown>[] = [];
          await Promise.all(
            batches.map(async (batch) => {
              batchesRun += 1;
              try {
                const response = (await stack.handler({ Records: batch })) as {
                  batchItemFailures: Array<{ itemIdentifier: string }>;
                };
                const ids = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
                failed.push(...batch.filter((r) => ids.has(String(r.messageId))));
              } catch {
                // Every record failed (Powertools throws): the whole batch comes back.
                failed.push(...batch);
              }
            }),
          );
          redelivered += failed.length;
          pending = failed;
          if (pending.length > 0) await sleep(50);
        }
        return batchesRun;
      };

      // Act
      await invokeAll([s3Event(control)]);
      const started = Date.now();
      await invokeAll(shuffle([...directEvents, ...directEvents], rand));
      const sqsCopies = shuffle(
        [...sqsEvents, ...sqsEvents].map((e) => sqsRecord(e)),
        rand,
      );
      const batches = await sendBatches(sqsCopies);
      // Each once more, in the other shape (and a few inside an SNS envelope, S3 → SNS → SQS).
      await sendBatches(
        directEvents.map((e, i) =>
          sqsRecord(
            i % 5 === 0 ? { Type: 'Notification', MessageId: `sns-${i}`, Message: JSON.stringify(e) } : e,
          ),
        ),
      );
      await invokeAll(sqsEvents);
      const finished = Date.now();

      // Assess
      const keys = [...direct, ...viaSqs].map((o) => o.key);
      const ledger = await scanLedger(stack.clients.documents);
      const records = tally(keys, new Map([...ledger.recordsByObject].map(([k, list]) => [k, list.length])));
      const delivered = tally(
        keys,
        countBy(deliveredNotifications(subscriber), (n) => n.key),
      );
      await stack.idle();
      const reference = ledger.files.get(control.key)!;
      const sameAsOnce = (s: FileState | undefined) =>
        s !== undefined &&
        s.status === 'PROCESSED' &&
        s.rev === reference.rev &&
        s.attempts === reference.attempts &&
        s.notification.status === 'SENT';
      const differsFromOnce = keys.filter((k) => !sameAsOnce(ledger.files.get(k)));
      const byStatus = Object.fromEntries(countBy(outcomes, (s) => s));
      await report('redelivery', {
        files: keys.length,
        deliveries: keys.length * 3,
        sqsBatches: batches,
        directOutcomes: byStatus,
        filesProcessed: stack.activity.metrics.get('FilesProcessed'),
        duplicateEvents: stack.activity.metrics.get('EventsDuplicate'),
        redeliveredAfterAConcurrentTwin: redelivered,
        records: ledger.records.length - 1,
        lost: records.missing.length + delivered.missing.length,
        duplicated: records.extra + delivered.extra,
        outcomesDifferentFromASingleDelivery: differsFromOnce.length,
        seconds: (finished - started) / 1000,
      });
      expect(records.missing).toEqual([]);
      expect(records.duplicated).toEqual([]);
      expect(delivered.missing).toEqual([]);
      expect(delivered.duplicated).toEqual([]);
      expect(differsFromOnce).toEqual([]);
      // Direct invocations return their outcomes; SQS batches do not, the pipeline's metrics count all.
      expect(byStatus.processed).toBe(PER_SHAPE + 1);
      expect(byStatus.duplicate).toBe(PER_SHAPE * 2);
      expect(stack.activity.metrics.get('FilesProcessed')).toBe(keys.length + 1);
      expect(stack.activity.metrics.get('EventsDuplicate')).toBe(keys.length * 2);
      expect(await stack.deadLetters.list()).toEqual([]);
    },
    5 * 60_000,
  );

  it(
    'versions delivered out of order: the older never overwrites the newer',
    async () => {
      // Prepare: two versions of each object; events carry each version's ETag and sequencer.
      const { stack, subscriber } = test;
      const pairs = [];
      for (let i = 0; i < VERSIONED; i++) {
        const key = `incoming/versions/${i}.json`;
        const v1 = await writer.put(key, JSON.stringify({ id: `version-${i}`, version: 1 }));
        const s1 = nextSequencer();
        const v2 = await writer.put(key, JSON.stringify({ id: `version-${i}`, version: 2 }));
        const s2 = nextSequencer();
        pairs.push({ key, older: s3Event(v1, { sequencer: s1 }), newer: s3Event(v2, { sequencer: s2 }) });
      }

      // Act: half newest-first, half oldest-first; duplicates of both.
      const outcomes: string[] = [];
      for (const [i, pair] of pairs.entries()) {
        const order =
          i % 2 === 0 ? [pair.newer, pair.older, pair.older] : [pair.older, pair.newer, pair.newer];
        for (const event of order) {
          const result = (await stack.handler(event)) as { outcomes: Array<{ status: string }> };
          outcomes.push(...result.outcomes.map((o) => o.status));
        }
      }

      // Assess
      const ledger = await scanLedger(stack.clients.documents);
      const byStatus = Object.fromEntries(countBy(outcomes, (s) => s));
      const notes = countBy(
        deliveredNotifications(subscriber).filter((n) => n.key.startsWith('incoming/versions/')),
        (n) => n.key,
      );
      await report('redelivery-versions', {
        objects: VERSIONED,
        deliveries: VERSIONED * 3,
        outcomes: byStatus,
        notifications: [...notes.values()].reduce((a, b) => a + b, 0),
      });
      for (const pair of pairs) {
        const records = ledger.recordsByObject.get(pair.key) ?? [];
        expect(records, pair.key).toHaveLength(1);
        expect((records[0]?.payload as { version?: number } | undefined)?.version, pair.key).toBe(2);
        expect(ledger.files.get(pair.key)?.sequencer).toBe(
          (pair.newer.Records[0] as { s3: { object: { sequencer: string } } }).s3.object.sequencer,
        );
        expect(notes.get(pair.key), pair.key).toBe(1);
      }
      // newest-first: the older is stale; oldest-first: the older finds its object replaced (superseded).
      expect(byStatus.processed).toBe(VERSIONED);
      expect(byStatus.stale).toBe(VERSIONED);
      expect(byStatus.superseded).toBe(VERSIONED / 2);
      expect(byStatus.duplicate).toBe(VERSIONED / 2);
    },
    2 * 60_000,
  );
});
