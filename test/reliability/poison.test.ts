import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EventlineConfigInput } from '@eventline/config';
import type { StoredDeadLetter } from '@eventline/local';
import { afterAll, describe, expect, it } from 'vitest';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';
import {
  type BackdoorWriter,
  BUCKET,
  countBy,
  deliveredNotifications,
  type NotificationDoc,
  report,
  s3Client,
  s3Event,
  scanLedger,
  sqsRecord,
  startBackdoorWriter,
  startTestStack,
  type TestStack,
  tempDir,
  uploadAll,
} from './support/harness.ts';
import { runCli } from './support/processes.ts';

/**
 * Poison files in a batch of good ones. Each poison file fails permanently: FAILED in the ledger
 * with its reason, one dead letter with the reason, one failure notification, no retries; the good
 * files of the same burst (and of the same SQS batch) are processed as if nothing happened.
 * Then the fix: the route's size limit was too strict; the stack restarts with the right one and
 * `eventline dlq replay` (the real CLI, against the stack's endpoint) re-drives the letters. As on
 * AWS, the CLI re-drives through SQS (the ingest queue) and reports 'redriven': the outcomes are
 * read from the ledger, the DLQ and the notifications once the stack is idle. A fixed file completes
 * exactly once, even when two replays of its letter race; a file that is still bad fails again with
 * the same reason (a new letter); a file replaced since is skipped as stale; a letter without an
 * object to replay is reported as an error and stays in the DLQ.
 */

const route = (maxFileBytes: number) => ({
  id: 'orders',
  prefix: 'incoming/',
  suffix: '.json',
  format: 'json' as const,
  key: 'id',
  maxFileBytes,
});
const STRICT: EventlineConfigInput = { routes: [route(2_048)] };
const FIXED: EventlineConfigInput = { routes: [route(1_048_576)] };

const big = (id: string) => JSON.stringify({ id, lines: Array.from({ length: 300 }, (_, i) => `line ${i}`) });

describe('poison files', () => {
  let subscriber: HttpSubscriber | undefined;
  let test: TestStack | undefined;
  let writer: BackdoorWriter | undefined;
  let s3: S3Client | undefined;
  let dir: string;

  afterAll(async () => {
    s3?.destroy();
    await writer?.close();
    // The stack's close() also closes the subscriber it was given, and removes the directory.
    if (test) await test.close();
    else await subscriber?.close();
  });

  it(
    'go to the DLQ with their reason and a failure notification; the rest is unharmed; replay after a fix completes exactly once',
    async () => {
      // Prepare
      dir = await tempDir('poison');
      const dataDir = `${dir}/data`;
      subscriber = await startHttpSubscriber();
      test = await startTestStack({ config: STRICT, dataDir, subscriber });
      s3 = s3Client(test.stack.url);
      const good = Array.from({ length: 150 }, (_, i) => ({
        key: `incoming/good/${String(i).padStart(3, '0')}.json`,
        body: JSON.stringify({ id: `good-${i}`, total: i }),
      }));
      const poison = [
        { key: 'incoming/poison/big-1.json', body: big('big-1'), code: 'too-large', fixable: true },
        { key: 'incoming/poison/big-2.json', body: big('big-2'), code: 'too-large', fixable: true },
        { key: 'incoming/poison/big-3.json', body: big('big-3'), code: 'too-large', fixable: true },
        { key: 'incoming/poison/truncated.json', body: '{"id": "p-1", "total": 4', code: 'malformed-json' },
        { key: 'incoming/poison/array.json', body: '[{"id": "p-2"}]', code: 'not-an-object' },
        { key: 'incoming/poison/nan.json', body: '{"id": "p-3", "total": NaN}', code: 'malformed-json' },
      ];
      // Poison files sit in the middle of the burst.
      const burst = [...good.slice(0, 75), ...poison, ...good.slice(75)];

      // Act 1: the burst, through the edge.
      const upload = await uploadAll(s3, burst, { concurrency: 8 });
      expect(upload.failed.size).toBe(0);
      await test.stack.idle();

      // Act 2: an SQS batch mixing good files, a poison file and a garbage message (queue mode shape).
      writer = await startBackdoorWriter(dataDir);
      const sqsGood = await Promise.all(
        Array.from({ length: 7 }, (_, i) =>
          writer!.put(`incoming/sqs/${i}.json`, JSON.stringify({ id: `sqs-${i}`, total: i })),
        ),
      );
      const sqsPoison = await writer.put('incoming/sqs/poison.json', '{"id": "sqs-poison", "total": }');
      const batch = {
        Records: [
          ...sqsGood.slice(0, 3).map((o) => sqsRecord(s3Event(o))),
          sqsRecord(s3Event(sqsPoison)),
          sqsRecord('this is not an S3 event'),
          ...sqsGood.slice(3).map((o) => sqsRecord(s3Event(o))),
        ],
      };
      const batchResponse = (await test.stack.handler(batch)) as { batchItemFailures: unknown[] };

      // Assess the failure side.
      const { stack } = test;
      const ledger = await scanLedger(stack.clients.documents);
      const letters = await stack.deadLetters.list();
      const failureNotes = deliveredNotifications(subscriber).filter((n) => n.status === 'FAILED');
      for (const file of [...poison, { key: sqsPoison.key, code: 'malformed-json' }]) {
        const state = ledger.files.get(file.key);
        expect(state?.status, file.key).toBe('FAILED');
        expect(state?.error?.code, file.key).toBe(file.code);
        expect(state?.error?.message, file.key).toContain(file.key);
        expect(state?.deadLetter.status, file.key).toBe('SENT');
        expect(state?.notification.status, file.key).toBe('SENT');
        const letter = letters.filter((l) => l.object?.key === file.key);
        expect(letter, file.key).toHaveLength(1);
        expect(letter[0]?.code).toBe(file.code);
        expect(letter[0]?.reason).toContain(file.key);
        const notes = failureNotes.filter((n) => n.key === file.key);
        expect(notes, file.key).toHaveLength(1);
        expect(notes[0]?.error?.message).toContain(file.key);
      }
      expect(letters.filter((l) => l.code === 'bad-event')).toHaveLength(1);
      expect(stack.activity.counters.retries).toBe(0);
      expect(batchResponse.batchItemFailures).toEqual([]);
      for (const file of [...good, ...sqsGood]) {
        expect(ledger.files.get(file.key)?.status, file.key).toBe('PROCESSED');
        expect(ledger.recordsByObject.get(file.key), file.key).toHaveLength(1);
      }
      const okNotes = countBy(
        deliveredNotifications(subscriber).filter((n) => n.status === 'PROCESSED'),
        (n) => n.key,
      );
      expect([...okNotes.values()].every((n) => n === 1)).toBe(true);
      expect(okNotes.size).toBe(good.length + sqsGood.length);
      const lettersBeforeFix = letters.length;

      // Act 3: the fix (the size limit), a restart on the same data, then the real CLI.
      await test.stop();
      test = await startTestStack({ config: FIXED, dataDir, subscriber });
      const endpoint = test.stack.url;
      const list = await runCli(['--endpoint', endpoint, '--json', 'dlq', 'list']);
      const fixable = (await test.stack.deadLetters.list()).filter((l) => l.code === 'too-large');
      const [first, second, third] = fixable as [StoredDeadLetter, StoredDeadLetter, StoredDeadLetter];
      // One letter replayed by two CLI processes at once.
      const [raceA, raceB] = await Promise.all([
        runCli(['--endpoint', endpoint, '--json', 'dlq', 'replay', first.id]),
        runCli(['--endpoint', endpoint, '--json', 'dlq', 'replay', first.id]),
      ]);
      const one = await runCli(['--endpoint', endpoint, '--json', 'dlq', 'replay', second.id]);
      await test.stack.idle();
      // A file fixed by its owner (a new version) before its old letter is replayed: the letter is stale.
      s3.destroy();
      s3 = s3Client(endpoint);
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'incoming/poison/truncated.json',
          Body: '{"id": "p-1", "total": 4}',
        }),
      );
      await test.stack.idle();
      const all = await runCli(['--endpoint', endpoint, '--json', 'dlq', 'replay']);
      const again = await runCli(['--endpoint', endpoint, '--json', 'dlq', 'replay', third.id]);
      await test.stack.idle();

      // Assess the replay side.
      const after = await scanLedger(test.stack.clients.documents);
      const notes = deliveredNotifications(subscriber);
      const notesFor = (key: string, status: string) =>
        notes.filter((n: NotificationDoc) => n.key === key && n.status === status).length;
      for (const letter of fixable) {
        const key = letter.object!.key;
        expect(after.files.get(key)?.status, key).toBe('PROCESSED');
        expect(after.recordsByObject.get(key), key).toHaveLength(1);
        expect(notesFor(key, 'PROCESSED'), key).toBe(1);
        expect(notesFor(key, 'FAILED'), key).toBe(1);
      }
      // The CLI's script interface (--json): one result per letter, its key, status and reason.
      // A run that found no letter to replay prints no results and says so on stderr (exit code 1).
      const results = (run: { stdout: string }) =>
        run.stdout.trim() === ''
          ? []
          : (JSON.parse(run.stdout) as { results: Array<{ key?: string; status: string; reason?: string }> })
              .results;
      const statusOf = (run: { stdout: string }, key: string) => results(run).find((r) => r.key === key);
      const raceResults = [...results(raceA), ...results(raceB)];
      // One of the racing replays holds the letter and re-drives it; the other does not find it.
      expect(raceResults.filter((r) => r.status === 'redriven')).toHaveLength(1);
      const loser = results(raceA).length === 0 ? raceA : raceB;
      expect(loser.code, loser.stderr).toBe(1);
      expect(loser.stderr).toMatch(new RegExp(`no dead letter "${first.id}"`));
      expect(results(one).map((r) => r.status)).toEqual(['redriven']);
      expect(one.code).toBe(0);
      const listed = (JSON.parse(list.stdout) as { letters: Array<{ key?: string; code: string }> }).letters;
      expect(listed).toContainEqual(
        expect.objectContaining({ key: 'incoming/poison/big-1.json', code: 'too-large' }),
      );
      // The truncated file was fixed by a new version: its old letter's event is stale (no second
      // record, no new letter), the new version is processed.
      expect(statusOf(all, 'incoming/poison/truncated.json')?.status).toBe('redriven');
      expect(after.files.get('incoming/poison/truncated.json')?.status).toBe('PROCESSED');
      expect(after.recordsByObject.get('incoming/poison/truncated.json')).toHaveLength(1);
      // The garbage message's letter has no object to replay: an error (exit code 1), and it stays.
      expect(all.code).toBe(1);
      expect(results(all)).toContainEqual(
        expect.objectContaining({ status: 'error', reason: expect.stringMatching(/nothing to replay/) }),
      );
      expect(statusOf(all, 'incoming/poison/array.json')?.status).toBe('redriven');
      expect(statusOf(all, 'incoming/poison/nan.json')?.status).toBe('redriven');
      // The third letter went with the others: replaying it again finds nothing.
      expect(results(again)).toEqual([]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(new RegExp(`no dead letter "${third.id}"`));
      const left = await test.stack.deadLetters.list();
      // Still-bad files failed again, with their reason, and are back in the DLQ (one letter each).
      const leftFor = (key: string) => left.filter((l) => l.object?.key === key);
      expect(leftFor('incoming/poison/array.json')).toEqual([
        expect.objectContaining({
          code: 'not-an-object',
          reason: expect.stringMatching(/expected a JSON object/),
        }),
      ]);
      expect(leftFor('incoming/poison/nan.json')).toEqual([
        expect.objectContaining({ code: 'malformed-json', reason: expect.stringMatching(/malformed JSON/) }),
      ]);
      expect(left.map((l) => l.object?.key ?? l.code).sort()).toEqual([
        'bad-event',
        'incoming/poison/array.json',
        'incoming/poison/nan.json',
        'incoming/sqs/poison.json',
      ]);
      expect(after.records).toHaveLength(good.length + sqsGood.length + fixable.length + 1);

      await report('poison', {
        files: burst.length + sqsGood.length + 1,
        poison: poison.length + 1,
        garbageMessages: 1,
        deadLetteredBeforeFix: lettersBeforeFix,
        failureNotifications: failureNotes.length,
        goodProcessed: good.length + sqsGood.length,
        retriesOfPermanentFailures: 0,
        sqsBatchItemFailures: batchResponse.batchItemFailures.length,
        replayedAfterFix: fixable.length,
        racingReplaysOfOneLetter: 2,
        redrivenByTheRace: raceResults.filter((r) => r.status === 'redriven').length,
        stillBadAfterReplay: left.length,
        lost: 0,
        duplicated: 0,
      });
    },
    10 * 60_000,
  );
});
