/**
 * `reconcile` beside a version that waits (hole 12): while an older version of an object holds its
 * claim (a long file's segments), a newer version's event is deferred past that lease, and the
 * ledger still names the older version. reconcile reports the newer one `no-outcome`; its detail
 * must say that it waits for the older version's lease, not that it was lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../reliability/support/harness.ts';
import { runCli } from '../reliability/support/processes.ts';

let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-reconcile-waiting-'));
  stack = await LocalStack.start({ config: parseConfig({ local: { port: 0 } }), dataDir: join(dir, 'data') });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reconcile while a newer version waits for an older one (hole 12)', () => {
  it("says the newer version waits for the older version's lease, and until when", async () => {
    const bucket = stack.config.bucket.name;
    const key = 'incoming/waiting.json';
    const s3 = s3Client(stack.url);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"id": 1}' }));
    await stack.idle();
    // The ledger's item as an older version's live claim would leave it (a segment at work): an
    // older ETag, PROCESSING, leased for ten minutes. S3 holds the newer version.
    const processed = await stack.ledger.getFile(bucket, key);
    expect(processed?.status).toBe('PROCESSED');
    const heldUntil = Date.now() + 600_000;
    const older = { ...processed!, eTag: '0123456789abcdef0123456789abcdef', status: 'PROCESSING' as const };
    delete older.versionId;
    expect(
      await stack.ledger.putFile(
        { ...older, rev: processed!.rev + 1, leaseUntil: heldUntil },
        processed!.rev,
      ),
    ).toBe(true);
    s3.destroy();

    const run = await runCli(['--endpoint', stack.url, '--json', 'reconcile']);
    const { findings } = JSON.parse(run.stdout) as {
      findings: Array<{ key: string; kind: string; detail: string }>;
    };
    const finding = findings.find((f) => f.key === key);
    expect(finding?.kind).toBe('no-outcome');
    expect(finding?.detail).toContain(
      `the older version holds the file until ${new Date(heldUntil).toISOString()}: this one waits for that lease`,
    );
  });
});
