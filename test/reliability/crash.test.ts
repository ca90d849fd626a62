import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import { type EventlineConfigInput, parseConfig } from '@eventline/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';
import {
  BUCKET,
  CREDENTIALS,
  countBy,
  deliveredNotifications,
  publishedNotifications,
  removeDir,
  report,
  s3Client,
  scanLedger,
  storedETag,
  tally,
  tempDir,
  until,
  uploadAll,
} from './support/harness.ts';
import { freePort, type StackProcess, startStackProcess, writeConfigFile } from './support/processes.ts';

/**
 * Crash: `kill -9` of the stack's process in the middle of a 2,000-file burst (uploads still
 * arriving, files being processed, notifications being delivered), then a restart on the same
 * data directory. The client does what a careful client does after a failed PUT: it checks whether
 * the object landed (HEAD, same ETag) and uploads it again only if not.
 *
 * Every file must end with exactly one outcome (PROCESSED, one record, notification SENT) and at
 * least one notification. A notification can be duplicated by the crash only in two windows, which
 * are measured and bounded rather than hidden: the pipeline published but the kill came before the
 * ledger recorded it (at most one per file being processed at that moment: in queue mode, the
 * default, the event source mapping's maxConcurrency batches of batchSize files each; in direct
 * mode one per running invocation, the reserved concurrency), and SNS delivered but the kill came
 * before its log recorded the delivery (at most one per delivery slot).
 */

const FILES = 2_000;
const KILL_AFTER_ACKS = 900;
const RESERVED_CONCURRENCY = 10;
const SNS_DELIVERY_SLOTS = 16;

describe('crash', () => {
  let dir: string;
  let dataDir: string;
  let config: EventlineConfigInput;
  let configFile: string;
  let port: number;
  let subscriber: HttpSubscriber;
  let stack: StackProcess | undefined;
  let s3: S3Client | undefined;
  let clients: AwsClients | undefined;

  beforeAll(async () => {
    dir = await tempDir('crash');
    dataDir = join(dir, 'data');
    subscriber = await startHttpSubscriber();
    config = {
      function: { reservedConcurrency: RESERVED_CONCURRENCY },
      topic: { subscriptions: [{ protocol: 'http', endpoint: subscriber.url }] },
    };
    configFile = await writeConfigFile(dir, config);
    port = await freePort();
  });

  afterAll(async () => {
    s3?.destroy();
    if (clients) destroyClients(clients);
    await stack?.stop();
    await subscriber?.close();
    if (dir) await removeDir(dir);
  });

  it(
    `kill -9 mid-burst of ${FILES} files, restart: every file has exactly one outcome`,
    async () => {
      // Prepare
      const bodies = new Map(
        Array.from({ length: FILES }, (_, i) => [
          `incoming/crash/${String(i).padStart(4, '0')}.json`,
          JSON.stringify({ id: `crash-${i}`, n: i }),
        ]),
      );
      const keys = [...bodies.keys()];
      stack = await startStackProcess({ configFile, dataDir, port });
      const firstPid = stack.pid;
      s3 = s3Client(stack.url);
      const started = Date.now();

      // Act: upload until the stack is killed under the client's feet.
      let acked = 0;
      const uploading = uploadAll(
        s3,
        keys.map((key) => ({ key, body: bodies.get(key)! })),
        { concurrency: 16, stopOnError: true, onAck: (n) => (acked = n) },
      );
      await until(() => acked >= KILL_AFTER_ACKS, { timeoutMs: 120_000, what: 'acknowledged uploads' });
      const notifiedBeforeKill = deliveredNotifications(subscriber).length;
      await stack.kill9();
      const killedAt = Date.now();
      const firstRun = await uploading;
      const exit = await stack.exited;

      // Restart on the same data directory and port, then finish the upload as a careful client would.
      stack = await startStackProcess({ configFile, dataDir, port });
      const recovery = /recovering (\d+) journaled event\(s\) and (\d+) unprocessed object\(s\)/.exec(
        stack.output(),
      );
      let landedUnacknowledged = 0;
      let reuploaded = 0;
      for (const key of keys) {
        if (firstRun.acked.has(key)) continue;
        const md5 = createHash('md5').update(bodies.get(key)!).digest('hex');
        if ((await storedETag(s3, key)) === md5) {
          landedUnacknowledged += 1;
          continue;
        }
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bodies.get(key)! }));
        reuploaded += 1;
      }
      clients = createClients({ region: 'us-east-1', endpoint: stack.url, credentials: CREDENTIALS });
      const documents = clients.documents;
      let done = 0;
      let unfinished: string[] = [];
      await until(
        async () => {
          const ledger = await scanLedger(documents);
          done = [...ledger.files.values()].filter(
            (s) => s.status === 'PROCESSED' && s.notification.status === 'SENT',
          ).length;
          unfinished = keys
            .filter((k) => {
              const s = ledger.files.get(k);
              return !(s?.status === 'PROCESSED' && s.notification.status === 'SENT');
            })
            .slice(0, 10)
            .map((k) => `${k}: ${JSON.stringify(ledger.files.get(k) ?? null)}`);
          return done === FILES;
        },
        {
          timeoutMs: 5 * 60_000,
          intervalMs: 2000,
          what: () =>
            `${FILES} finished files (have ${done}); not finished: ${unfinished.join('\n')}\nstack output: ${stack?.output().slice(-3000)}`,
        },
      );
      const delivered = () => new Set(deliveredNotifications(subscriber).map((n) => n.key));
      await until(() => delivered().size === FILES, {
        timeoutMs: 120_000,
        what: () => `a delivered notification for each file (have ${delivered().size})`,
      });
      // Deliveries SNS resumed after the restart (and those of duplicated publishes) are counted too.
      let pendingDeliveries = -1;
      await until(
        async () => {
          const { notifications } = (await (
            await fetch(`${stack!.url}/_eventline/notifications?limit=10000`)
          ).json()) as { notifications: Array<{ deliveries: Array<{ status: string }> }> };
          pendingDeliveries = notifications
            .flatMap((n) => n.deliveries)
            .filter((d) => d.status === 'pending').length;
          return pendingDeliveries === 0;
        },
        { timeoutMs: 120_000, what: () => `SNS deliveries to settle (${pendingDeliveries} pending)` },
      );
      const finished = Date.now();

      // Assess
      const ledger = await scanLedger(documents);
      const records = tally(
        keys,
        new Map([...ledger.recordsByObject].map(([key, list]) => [key, list.length])),
      );
      const published = tally(
        keys,
        countBy(await publishedNotifications(dataDir), (n) => n.key),
      );
      const deliveries = tally(
        keys,
        countBy(deliveredNotifications(subscriber), (n) => n.key),
      );
      const stats = (await (await fetch(`${stack.url}/_eventline/stats`)).json()) as {
        counters: Record<string, number>;
        dlqDepth: number;
      };
      const attempts = [...ledger.files.values()].filter((s) => s.attempts > 1).length;
      await report('crash', {
        files: FILES,
        killedAfterAcks: firstRun.acked.size,
        notificationsBeforeKill: notifiedBeforeKill,
        exit: exit.signal,
        restarted: { pid: { before: firstPid, after: stack.pid } },
        recoveredJournaled: Number(recovery?.[1] ?? 0),
        reconciledUnprocessed: Number(recovery?.[2] ?? 0),
        landedButUnacknowledged: landedUnacknowledged,
        reuploaded,
        lost: records.missing.length + published.missing.length + deliveries.missing.length,
        duplicatedRecords: records.extra,
        duplicatedPublishes: published.extra,
        duplicatedDeliveries: deliveries.extra,
        filesClaimedMoreThanOnce: attempts,
        retriesAfterRestart: stats.counters.retries,
        dlqDepth: stats.dlqDepth,
        restartToDoneSeconds: (finished - killedAt) / 1000,
        totalSeconds: (finished - started) / 1000,
      });
      expect(exit.signal).toBe('SIGKILL');
      expect(records.missing).toEqual([]);
      expect(records.duplicated).toEqual([]);
      expect(ledger.records).toHaveLength(FILES);
      expect(ledger.files.size).toBe(FILES);
      expect([...ledger.files.values()].every((s) => s.status === 'PROCESSED')).toBe(true);
      expect(stats.dlqDepth).toBe(0);
      expect(published.missing).toEqual([]);
      expect(deliveries.missing).toEqual([]);
      expect(published.unexpected).toEqual([]);
      // Duplicates can only come from the two crash windows described above.
      const { trigger } = parseConfig(config);
      const filesAtOnce =
        trigger.mode === 'queue' ? trigger.maxConcurrency * trigger.batchSize : RESERVED_CONCURRENCY;
      expect(published.extra).toBeLessThanOrEqual(filesAtOnce);
      expect(deliveries.extra).toBeLessThanOrEqual(published.extra + SNS_DELIVERY_SLOTS);
    },
    20 * 60_000,
  );
});
