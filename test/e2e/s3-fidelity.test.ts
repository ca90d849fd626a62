import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUCKET,
  CREDENTIALS,
  type LedgerRecord,
  removeDir,
  s3Client,
  scanLedger,
  startBackdoorWriter,
  startTestStack,
  type TestStack,
  tempDir,
} from '../reliability/support/harness.ts';

/**
 * What real clients saw of the local S3 before the project's own emulator (issue 13, "Why"), through
 * the running stack's edge: listings that hid folders holding only folders, paged listings that
 * skipped keys with `+` and `%` (so backfill and start-up recovery missed them), and an unversioned
 * bucket where AWS's is versioned.
 */

const run = promisify(execFile);
/** The aws CLI v1 (on PATH) and Debian's v2, when it is installed apart. */
const CLIS = ['aws', ...(existsSync('/usr/bin/aws') ? ['/usr/bin/aws'] : [])];

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function stackWithClient(dataDir?: string): Promise<{ test: TestStack; s3: S3Client }> {
  const test = await startTestStack(dataDir ? { dataDir } : {});
  const s3 = s3Client(test.stack.url);
  cleanups.push(async () => {
    s3.destroy();
    await test.close();
  });
  return { test, s3 };
}

async function cli(aws: string, endpoint: string, dir: string, ...args: string[]): Promise<string> {
  const result = await run(aws, ['--endpoint-url', endpoint, ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
    },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return result.stdout;
}

/** 100 keys whose listing order in UTF-8 bytes differs from a naive one: `+`, `%`, `-` and `/` side by side. */
const PAGED_KEYS = [
  'paged/a+plus/1.txt',
  'paged/b%pct/1.txt',
  ...Array.from({ length: 98 }, (_, i) => {
    const folder = ['paged/a/', 'paged/a-', 'paged/b/', 'paged/b%25', 'paged/a+', 'paged/c '][i % 6];
    return `${folder}${String(i).padStart(2, '0')}.txt`;
  }),
];

describe('the local S3, through the edge, as real clients see it', () => {
  it('lists folders that hold only folders, and pages through 100 keys with + and % without skipping any', async () => {
    // Prepare
    const { test, s3 } = await stackWithClient();
    const dir = await tempDir('s3-fidelity-cli');
    cleanups.push(() => removeDir(dir));
    expect(new Set(PAGED_KEYS).size).toBe(100);
    for (const key of [...PAGED_KEYS, '_eventline/rejects/2026/probe.json', 'top.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }

    // Act
    const results = [];
    for (const aws of CLIS) {
      const top = await cli(aws, test.stack.url, dir, 's3', 'ls', `s3://${BUCKET}/`);
      const paged = await cli(
        aws,
        test.stack.url,
        dir,
        's3',
        'ls',
        '--recursive',
        '--page-size',
        '7',
        `s3://${BUCKET}/paged/`,
      );
      results.push({ aws, top, paged });
    }
    const sdkKeys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'paged/', MaxKeys: 7, ContinuationToken: token }),
      );
      sdkKeys.push(...(listed.Contents ?? []).map((c) => c.Key ?? ''));
      token = listed.NextContinuationToken;
      if (!listed.IsTruncated) break;
    }

    // Assess
    for (const { aws, top, paged } of results) {
      expect(top, aws).toMatch(/^\s*PRE _eventline\/$/m);
      expect(top, aws).toMatch(/^\s*PRE paged\/$/m);
      expect(top, aws).toMatch(/ top\.txt$/m);
      const listed = paged
        .trim()
        .split('\n')
        .map((line) => line.replace(/^\S+ \S+\s+\d+ /, ''));
      expect(listed.length, aws).toBe(100);
      expect(new Set(listed), aws).toEqual(new Set(PAGED_KEYS));
    }
    const byteOrder = [...PAGED_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(sdkKeys).toEqual(byteOrder);
  }, 180_000);

  it('start-up recovery and backfill process keys with + and %', async () => {
    // Prepare: objects in the bucket before the stack starts, and one written behind its back.
    const dir = await tempDir('s3-fidelity-recovery');
    const dataDir = join(dir, 'data');
    await mkdir(dataDir, { recursive: true });
    const body = (id: string) => JSON.stringify({ id });
    const before = ['incoming/a+b%c/x.json', 'incoming/a+b%c/y.json', 'incoming/a b/z.json'];
    let writer = await startBackdoorWriter(dataDir);
    for (const [i, key] of before.entries()) await writer.put(key, body(`before-${i}`));
    // Siblings that sort around them, so the recovery listing pages through mixed characters.
    for (let i = 0; i < 20; i++) await writer.put(`incoming/a-${i}/x.json`, body(`sibling-${i}`));
    await writer.close();

    // Act 1: start-up recovery.
    const { test } = await stackWithClient(dataDir);
    await test.stack.idle();
    const afterStart = await scanLedger(test.stack.clients.documents);

    // Act 2: backfill of an object whose event was lost.
    writer = await startBackdoorWriter(dataDir);
    await writer.put('incoming/a+b%c/behind.json', body('behind'));
    await writer.close();
    const unseen = (await scanLedger(test.stack.clients.documents)).files.has('incoming/a+b%c/behind.json');
    const backfill = await test.stack.backfill('incoming/a+b%c/');
    await test.stack.idle();
    const afterBackfill = await scanLedger(test.stack.clients.documents);

    // Assess
    for (const key of before) expect(afterStart.files.get(key)?.status, key).toBe('PROCESSED');
    expect(afterStart.files.size).toBe(before.length + 20);
    expect(unseen).toBe(false);
    expect(backfill.submitted).toBe(3);
    expect(afterBackfill.files.get('incoming/a+b%c/behind.json')?.status).toBe('PROCESSED');
  }, 180_000);

  it('processes an overwrite of a key as a new version, named by its versionId in the ledger', async () => {
    // Prepare
    const { test, s3 } = await stackWithClient();
    const key = 'incoming/versioned/order.json';

    // Act
    const first = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify({ id: 'v-1', total: 1 }) }),
    );
    await test.stack.idle();
    const second = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify({ id: 'v-2', total: 2 }) }),
    );
    await test.stack.idle();
    const ledger = await scanLedger(test.stack.clients.documents);

    // Assess
    expect(first.VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(second.VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(second.VersionId).not.toBe(first.VersionId);
    const records = ledger.recordsByObject.get(key) ?? [];
    const versionOf = (pk: string) =>
      (records.find((r) => r.pk === pk) as (LedgerRecord & { source?: { versionId?: string } }) | undefined)
        ?.source?.versionId;
    expect(records.map((r) => r.pk).sort()).toEqual(['v-1', 'v-2']);
    expect(versionOf('v-1')).toBe(first.VersionId);
    expect(versionOf('v-2')).toBe(second.VersionId);
    const file = ledger.files.get(key);
    expect(file?.status).toBe('PROCESSED');
    expect(file?.versionId).toBe(second.VersionId);
  }, 120_000);

  it('says that s3rver data of an older eventline is not migrated', async () => {
    const dir = await tempDir('s3-fidelity-old');
    const dataDir = join(dir, 'data');
    await mkdir(join(dataDir, 's3', BUCKET), { recursive: true });
    await writeFile(join(dataDir, 's3', BUCKET, 'old.json._S3rver_object'), '{}');
    const lines: string[] = [];
    const test = await startTestStack({ dataDir, stack: { print: (line) => lines.push(line) } });
    cleanups.push(() => test.close());
    const note = lines.find((line) => line.includes('not migrated'));
    expect(note).toContain(join(dataDir, 's3'));
    expect(note).toContain(join(dataDir, 's3v2'));
  }, 60_000);
});
