import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterEach, describe, expect, it } from 'vitest';
import { s3Client } from '../reliability/support/harness.ts';

/**
 * A route with a digest, end to end through the local stack in queue mode (S3 → the ingest queue →
 * function instances → the ledger; the window closed by a delayed message on the same queue; the
 * digest published to the SNS emulator): a real S3 client uploads the files, and the first
 * invocations crash after their work and before their batch is acknowledged (the whole batch comes
 * back, outcomes and closes included, as after a crash or a timeout on Lambda). Every file still
 * counts in exactly one digest, and each digest is published once with its own key.
 */

const BUCKET = 'eventline-local';
let dir: string | undefined;
let stack: LocalStack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 45_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('a digest route through the local stack', () => {
  it('counts every file in exactly one digest across invocations that crash before their ack', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventline-digest-'));
    const s = await LocalStack.start({
      config: parseConfig({
        local: { port: 0 },
        trigger: { batchSize: 4 },
        routes: [{ id: 'sensors', notify: { digest: { everySeconds: 2, maxFiles: 4 } } }],
      }),
      dataDir: join(dir, 'data'),
      retryDelaysMs: [100],
      functionRuntime: 'in-process',
    });
    stack = s;
    await s.idle();
    // The first three invocations do their work, then crash before the ack: their batches come back.
    const original = s.handler;
    let crashes = 0;
    s.handler = async (event, context) => {
      const result = await original(event, context);
      if (crashes < 3) {
        crashes += 1;
        throw new Error('the invocation crashed after its work, before its batch was acknowledged');
      }
      return result;
    };
    const s3 = s3Client(s.url);
    const keys = Array.from({ length: 10 }, (_, i) => `incoming/reading-${i}.json`);
    await Promise.all(
      keys.map((Key, i) =>
        s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: JSON.stringify({ id: `s-${i}`, t: i }) })),
      ),
    );
    s3.destroy();

    // Every file done, and every window it joined closed and sent (closes come up to 2 s later).
    const windows = await until('every file counted and every window sent', async () => {
      const { Items = [] } = await s.clients.dynamodb.send(new ScanCommand({ TableName: 'events' }));
      const items = Items.map((item) => unmarshall(item));
      const files = items.filter((i) => i.kind === 'file');
      const digests = items.filter((i) => i.kind === 'digest');
      const done = files.length === keys.length && files.every((f) => f.status === 'PROCESSED');
      return done && digests.length > 0 && digests.every((d) => d.sentAt) ? { files, digests } : undefined;
    });
    await s.idle();
    expect(crashes).toBe(3);
    // Each file names its window, and the windows' counts add up to the files: once each.
    const joined = new Map<string, number>();
    for (const f of windows.files) {
      const id = (f.state as { digest?: string }).digest;
      expect(id, String(f.pk)).toMatch(/^sensors\/\d+\/\d+$/);
      joined.set(id!, (joined.get(id!) ?? 0) + 1);
    }
    const counted = new Map(
      windows.digests
        .filter((d) => d.files > 0)
        .map((d) => [`${d.route}/${d.start}/${d.part}`, Number(d.files)]),
    );
    expect(counted).toEqual(joined);
    expect([...counted.values()].every((n) => n <= 4)).toBe(true);

    // The SNS emulator holds one digest per non-empty window, and no notification per file.
    const published = await s.sns.notifications({ limit: 1000 });
    const digests = published.filter((p) => p.messageAttributes?.status?.StringValue === 'DIGEST');
    expect(published).toHaveLength(digests.length);
    const bodies = digests.map(
      (d) => JSON.parse(JSON.parse(d.message).sqs) as { idempotencyKey: string; files: { total: number } },
    );
    expect(new Set(bodies.map((b) => b.idempotencyKey)).size).toBe(bodies.length);
    expect(bodies.length).toBe(counted.size);
    expect(bodies.reduce((sum, b) => sum + b.files.total, 0)).toBe(keys.length);
  }, 90_000);
});
