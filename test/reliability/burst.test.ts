import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';
import {
  CREDENTIALS,
  countBy,
  deliveredNotifications,
  publishedNotifications,
  removeDir,
  report,
  s3Client,
  scanLedger,
  tally,
  tempDir,
  until,
  uploadAll,
} from './support/harness.ts';
import { freePort, type StackProcess, startStackProcess, writeConfigFile } from './support/processes.ts';

/**
 * Burst: 10,000 small files put through the edge as fast as a client with 16 connections can,
 * against the stack started by the real CLI in its own process (as a user runs it). Exactly 10,000
 * ledger records, 10,000 PROCESSED file outcomes and 10,000 notifications at a real HTTP
 * subscriber, checked key by key.
 */

const FILES = Number(process.env.EVENTLINE_BURST_FILES ?? 10_000);
const CLIENT_CONCURRENCY = 16;

describe('burst', () => {
  let dir: string;
  let subscriber: HttpSubscriber;
  let stack: StackProcess;
  let s3: S3Client;
  let clients: AwsClients;

  beforeAll(async () => {
    dir = await tempDir('burst');
    subscriber = await startHttpSubscriber();
    const configFile = await writeConfigFile(dir, {
      topic: { subscriptions: [{ protocol: 'http', endpoint: subscriber.url }] },
    });
    stack = await startStackProcess({ configFile, dataDir: join(dir, 'data'), port: await freePort() });
    s3 = s3Client(stack.url);
    clients = createClients({ region: 'us-east-1', endpoint: stack.url, credentials: CREDENTIALS });
  });

  afterAll(async () => {
    s3?.destroy();
    if (clients) destroyClients(clients);
    await stack?.stop();
    await subscriber?.close();
    if (dir) await removeDir(dir);
  });

  it(
    `${FILES} files → exactly ${FILES} records and ${FILES} notifications, checked by key`,
    async () => {
      // Prepare
      const keys = Array.from(
        { length: FILES },
        (_, i) => `incoming/burst/${String(i).padStart(5, '0')}.json`,
      );
      const started = Date.now();

      // Act
      const upload = await uploadAll(
        s3,
        keys.map((key, i) => ({ key, body: JSON.stringify({ id: `burst-${i}`, n: i, at: started }) })),
        { concurrency: CLIENT_CONCURRENCY },
      );
      expect(upload.failed.size).toBe(0);
      const uploadedAt = Date.now();
      const notified = () => new Set(deliveredNotifications(subscriber).map((n) => n.key)).size;
      await until(() => notified() >= FILES, {
        timeoutMs: 20 * 60_000,
        intervalMs: 1000,
        what: () => `${FILES} notifications (have ${notified()})`,
      });
      await until(
        async () => {
          const stats = (await (await fetch(`${stack.url}/_eventline/stats`)).json()) as {
            invoker: { queued: number; running: number; retrying: number };
            trigger: {
              ingest?: { depth: number; inFlight: number; delayed: number };
              eventSource?: { batchesInFlight: number };
            };
          };
          const { ingest, eventSource } = stats.trigger;
          const queueIdle =
            (ingest ? ingest.depth + ingest.inFlight + ingest.delayed : 0) +
              (eventSource?.batchesInFlight ?? 0) ===
            0;
          return queueIdle && stats.invoker.queued + stats.invoker.running + stats.invoker.retrying === 0;
        },
        { timeoutMs: 60_000, what: 'the invoker and the ingest queue to be idle' },
      );
      const finished = Date.now();

      // Assess
      const ledger = await scanLedger(clients.documents);
      const recordCounts = new Map([...ledger.recordsByObject].map(([key, list]) => [key, list.length]));
      const records = tally(keys, recordCounts);
      const processed = [...ledger.files.values()].filter(
        (s) => s.status === 'PROCESSED' && s.notification.status === 'SENT',
      );
      const delivered = tally(
        keys,
        countBy(deliveredNotifications(subscriber), (n) => n.key),
      );
      const published = tally(
        keys,
        countBy(await publishedNotifications(join(dir, 'data')), (n) => n.key),
      );
      const stats = (await (await fetch(`${stack.url}/_eventline/stats`)).json()) as {
        counters: Record<string, number>;
        dlqDepth: number;
        requests: Record<string, number>;
      };
      await report('burst', {
        files: FILES,
        clientConcurrency: CLIENT_CONCURRENCY,
        records: ledger.records.length,
        processedOutcomes: processed.length,
        notificationsDelivered: deliveredNotifications(subscriber).length,
        lost: records.missing.length + delivered.missing.length,
        duplicated: records.extra + delivered.extra,
        publishedDuplicates: published.extra,
        retries: stats.counters.retries,
        dlqDepth: stats.dlqDepth,
        uploadSeconds: (uploadedAt - started) / 1000,
        totalSeconds: (finished - started) / 1000,
        filesPerSecond: Math.round((FILES / (finished - started)) * 1000),
        requests: stats.requests,
      });
      expect(records.missing).toEqual([]);
      expect(records.duplicated).toEqual([]);
      expect(records.unexpected).toEqual([]);
      expect(ledger.records).toHaveLength(FILES);
      expect(new Set(ledger.records.map((r) => r.pk)).size).toBe(FILES);
      expect(processed).toHaveLength(FILES);
      expect(ledger.files.size).toBe(FILES);
      expect(delivered.missing).toEqual([]);
      expect(delivered.duplicated).toEqual([]);
      expect(published.missing).toEqual([]);
      expect(published.duplicated).toEqual([]);
      expect(stats.dlqDepth).toBe(0);
      expect(stats.counters.received).toBe(FILES);
    },
    25 * 60_000,
  );
});
