import type { S3Client } from '@aws-sdk/client-s3';
import { concurrencyBound } from '@eventline/config';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import {
  countBy,
  deliveredNotifications,
  report,
  s3Client,
  scanLedger,
  sleep,
  startTestStack,
  type TestStack,
  tally,
  until,
  uploadAll,
} from './support/harness.ts';
import { runCli } from './support/processes.ts';

/**
 * SNS unreachable for 30 s mid-burst (a real TCP proxy between the handler and SNS stops
 * listening, then comes back). With the local stack's default retry schedule (1 s, 2 s), files
 * processed during the outage exhaust their retries: their records are stored, their file outcome
 * says PROCESSED with the notification PENDING and the error ("notify failed"), and the invocation
 * is in the dead-letter queue. Files whose retries fall after the outage get their notification
 * then. `eventline dlq replay` (the real CLI, against the stack's endpoint) finishes the others:
 * one notification each, no record written twice; a second replay has nothing left to do.
 */

const OUTAGE_MS = 30_000;
const FILES = 400;

describe('SNS outage', () => {
  let proxy: TcpProxy | undefined;
  let test: TestStack | undefined;
  let s3: S3Client | undefined;

  afterAll(async () => {
    s3?.destroy();
    await test?.close();
    await proxy?.close();
  });

  it(
    'records are stored; notifications are delivered when SNS is back or replayed from the DLQ',
    async () => {
      // Prepare
      proxy = await startTcpProxy();
      test = await startTestStack({ stack: { handlerEndpoints: { sns: proxy.url } } });
      proxy.setTarget(test.stack.edge.port);
      s3 = s3Client(test.stack.url);
      const { stack, subscriber } = test;
      const keys = Array.from({ length: FILES }, (_, i) => `incoming/sns/${String(i).padStart(4, '0')}.json`);
      const started = Date.now();

      // Act: a burst; SNS goes away once 100 notifications are through.
      const upload = uploadAll(
        s3,
        keys.map((key, i) => ({ key, body: JSON.stringify({ id: `sns-${i}`, n: i }) })),
        { concurrency: 4 },
      );
      await until(() => deliveredNotifications(subscriber).length >= 100, {
        timeoutMs: 120_000,
        what: '100 notifications before the outage',
      });
      await proxy.cut();
      const cutAt = Date.now();
      await sleep(OUTAGE_MS);
      // Mid-outage (end of it): files go on being stored, their notifications wait.
      const scannedAt = Date.now();
      const during = await scanLedger(stack.clients.documents);
      const pendingDuringOutage = [...during.files.values()].filter(
        (s) => s.status === 'PROCESSED' && s.notification.status === 'PENDING',
      );
      const storedWithoutNotification = pendingDuringOutage.filter(
        (s) => (during.recordsByObject.get(s.key)?.length ?? 0) === 1,
      );
      const deadLetteredDuringOutage = (await stack.deadLetters.list()).length;
      await proxy.restore();
      const restoredAt = Date.now();
      expect((await upload).failed.size).toBe(0);
      await stack.idle();
      const deliveredAfterRestore = deliveredNotifications(subscriber).length;
      const letters = await stack.deadLetters.list();
      const replay = await runCli(['--endpoint', stack.url, '--json', 'dlq', 'replay']);
      await stack.idle();
      const replayAgain = await runCli(['--endpoint', stack.url, '--json', 'dlq', 'replay']);
      await until(() => new Set(deliveredNotifications(subscriber).map((n) => n.key)).size >= FILES, {
        timeoutMs: 60_000,
        what: 'a notification for every file',
      });
      const done = Date.now();

      // Assess
      const ledger = await scanLedger(stack.clients.documents);
      const records = tally(keys, new Map([...ledger.recordsByObject].map(([k, list]) => [k, list.length])));
      const delivered = tally(
        keys,
        countBy(deliveredNotifications(subscriber), (n) => n.key),
      );
      const notFinished = [...ledger.files.values()].filter(
        (s) => !(s.status === 'PROCESSED' && s.notification.status === 'SENT'),
      );
      // The CLI re-drives as on AWS: eventline's letters one by one onto the ingest queue ('redriven'),
      // the event DLQ by one SQS message move task ('moving'); the outcomes are read below, from the
      // ledger and the notifications.
      type ReplayResult = { queue: string; status: string };
      const replayResults = (JSON.parse(replay.stdout) as { results: ReplayResult[] }).results;
      const replayed = replayResults.filter((r) => r.queue === 'files' && r.status === 'redriven');
      const fileLetters = letters.filter((l) => l.code !== 'MaxReceiveCountExceeded');
      await report('outage-sns', {
        files: FILES,
        outageSeconds: (restoredAt - cutAt) / 1000,
        storedWithNotificationPendingDuringOutage: storedWithoutNotification.length,
        deadLetteredDuringOutage,
        deliveredWhenBack: deliveredAfterRestore,
        deadLettered: letters.length,
        replayedByCli: replayed.length,
        lost: records.missing.length + delivered.missing.length,
        duplicatedRecords: records.extra,
        duplicatedNotifications: delivered.extra,
        retries: stack.activity.counters.retries,
        notificationsFailedMetric: stack.activity.metrics.get('NotificationsFailed') ?? 0,
        totalSeconds: (done - started) / 1000,
      });
      expect(storedWithoutNotification.length).toBeGreaterThan(0);
      // Each one that no invocation held at that moment names the failure (a held one may be between
      // its write and its Publish: queue mode runs up to maxConcurrency x batchSize files at once).
      expect(
        storedWithoutNotification.every(
          (s) => s.leaseUntil > scannedAt || /notif|ECONNREFUSED|Publish/i.test(s.notification.error ?? ''),
        ),
      ).toBe(true);
      expect(letters.length).toBeGreaterThan(0);
      // Direct mode: Lambda's on-failure record carries the error. Queue mode (the default): SQS moved the
      // S3 event itself to the event DLQ after maxReceiveCount; its file's records were stored once.
      expect(
        letters.every(
          (l) =>
            /stored, but the notification failed/.test(l.reason) ||
            (l.code === 'MaxReceiveCountExceeded' &&
              l.object !== undefined &&
              ledger.recordsByObject.get(l.object.key)?.length === 1),
        ),
      ).toBe(true);
      expect(replay.code).toBe(0);
      expect(replayed).toHaveLength(fileLetters.length);
      expect(replayResults.filter((r) => r.queue === 'events').map((r) => r.status)).toEqual(['moving']);
      expect(
        (JSON.parse(replayAgain.stdout) as { results: ReplayResult[] }).results.filter(
          (r) => r.queue === 'files',
        ),
      ).toEqual([]);
      expect(records.missing).toEqual([]);
      expect(records.duplicated).toEqual([]);
      expect(notFinished).toEqual([]);
      expect(delivered.missing).toEqual([]);
      expect(delivered.unexpected).toEqual([]);
      // A Publish that SNS applied but whose answer the cut lost is sent again: at most one per file
      // being processed at once (direct mode: one per running invocation; queue mode: the event
      // source mapping's maxConcurrency batches of batchSize files).
      const { trigger } = stack.config;
      const filesAtOnce =
        trigger.mode === 'queue'
          ? trigger.maxConcurrency * trigger.batchSize
          : concurrencyBound(stack.config).limit;
      expect(delivered.extra).toBeLessThanOrEqual(filesAtOnce);
      expect(await stack.deadLetters.list()).toEqual([]);
    },
    10 * 60_000,
  );
});
