import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoLedger } from '@eventline/aws';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import type { FileState } from '@eventline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUCKET,
  CREDENTIALS,
  removeDir,
  s3Client,
  scanLedger,
  TABLE,
  tempDir,
  until,
} from './support/harness.ts';
import { freePort, type StackProcess, startStackProcess, writeConfigFile } from './support/processes.ts';

/**
 * Crash in the middle of a long file: a 200,000-record NDJSON file with a 2 s function timeout
 * checkpoints between invocations; the stack's process is killed (`kill -9`) while a later
 * invocation is writing, then restarted on the same data directory. The file must resume from its
 * last checkpoint (not from byte 0) and end with every record once, and counts that add up.
 */

const RECORDS = 200_000;

/** The outcome item of the file (one GetItem: a scan of the whole ledger is too slow to poll). */
const fileOf = (clients: AwsClients) =>
  new DynamoLedger({ tableName: TABLE, dynamodb: clients.dynamodb, documents: clients.documents }).getFile(
    BUCKET,
    KEY,
  );
const KEY = 'iot/crash-long.ndjson';

describe('crash mid-file', () => {
  let dir: string;
  let dataDir: string;
  let configFile: string;
  let port: number;
  let stack: StackProcess | undefined;
  let s3: S3Client | undefined;
  let clients: AwsClients | undefined;

  beforeAll(async () => {
    dir = await tempDir('crash-resume');
    dataDir = join(dir, 'data');
    configFile = await writeConfigFile(dir, {
      routes: [{ id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson', key: 'deviceId' }],
      function: { timeoutSeconds: 2 },
    });
    port = await freePort();
  });

  afterAll(async () => {
    s3?.destroy();
    if (clients) destroyClients(clients);
    await stack?.stop();
    if (dir) await removeDir(dir);
  });

  it('kill -9 while a continuation writes, restart: resumes from the checkpoint, every record once', {
    timeout: 900_000,
  }, async () => {
    stack = await startStackProcess({ configFile, dataDir, port });
    s3 = s3Client(stack.url);
    clients = createClients({ region: 'us-east-1', endpoint: stack.url, credentials: CREDENTIALS });
    const body = `${Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ deviceId: `dev-${i}`, n: i })).join('\n')}\n`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body }));

    // Wait for a checkpoint past the first invocation, then kill the process mid-segment.
    let before: FileState | undefined;
    await until(
      async () => {
        before = await fileOf(clients!);
        if (before && before.status !== 'PROCESSING') throw new Error(`${KEY} finished before the kill`);
        return (before?.checkpoint?.records ?? 0) >= 60_000;
      },
      {
        timeoutMs: 300_000,
        intervalMs: 20,
        what: () => `a checkpoint of ${KEY}: ${JSON.stringify(before ?? null)}`,
      },
    );
    const checkpointed = before!.checkpoint!.records;
    await stack.kill9();
    destroyClients(clients);

    stack = await startStackProcess({ configFile, dataDir, port });
    clients = createClients({ region: 'us-east-1', endpoint: stack.url, credentials: CREDENTIALS });
    let after: FileState | undefined;
    await until(
      async () => {
        after = await fileOf(clients!);
        return after !== undefined && after.status !== 'PROCESSING';
      },
      { timeoutMs: 600_000, what: () => `the outcome of ${KEY}: ${JSON.stringify(after ?? null)}` },
    );

    const ledger = await scanLedger(clients.documents);
    expect(after).toMatchObject({
      status: 'PROCESSED',
      counts: { read: RECORDS, written: RECORDS, rejected: 0 },
      notification: { status: 'SENT' },
    });
    expect(ledger.records).toHaveLength(RECORDS);
    expect(new Set(ledger.records.map((r) => r.pk)).size).toBe(RECORDS);
    // The restarted process resumed: its first progress line counts from the checkpoint on, where a
    // restart from byte 0 would count one invocation's worth (here about half of what two or more
    // invocations had checkpointed).
    const resumed = /crash-long\.ndjson → (\d+) records so far/.exec(stack.output());
    expect(resumed, stack.output().slice(-2000)).not.toBeNull();
    expect(Number(resumed![1])).toBeGreaterThan(checkpointed);
    // Continuations never count as attempts. The killed invocation counts when the kill lands while it
    // holds the claim (2); when it lands between a checkpoint and the continuation's pick-up, no
    // invocation held the file and the resumed one is the first (1). Either way, never more.
    expect([1, 2]).toContain(after?.attempts);
  });
});
