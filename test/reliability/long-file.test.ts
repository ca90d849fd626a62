import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThrottlingProxy, type ThrottlingProxy } from '../support/throttling-proxy.ts';
import { scanLedger } from './support/harness.ts';
import { freePort } from './support/processes.ts';

/**
 * A file longer than one invocation, end to end on the local stack in queue mode (the default, on
 * function instances): a 150,000-record NDJSON file with a 5 s function timeout. Each invocation's
 * context counts down from 5 s; the file pauses before the end, checkpoints, and continues in a
 * message on the ingest queue that resumes with a ranged GET (direct mode's continuation through
 * Lambda's Invoke is tested in test/e2e/local-runtime.test.ts). Every record must be written exactly once: the handler's DynamoDB traffic goes
 * through a proxy that counts the records it is asked to write.
 */

const RECORDS = 150_000;

let dir: string;
let stack: LocalStack;
let proxy: ThrottlingProxy;
const lines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-long-'));
  const port = await freePort();
  proxy = await startThrottlingProxy({ target: `http://127.0.0.1:${port}` });
  stack = await LocalStack.start({
    config: parseConfig({
      routes: [{ id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson', key: 'deviceId' }],
      function: { timeoutSeconds: 5 },
      local: { port },
    }),
    dataDir: join(dir, 'data'),
    print: (line) => lines.push(line),
    retryDelaysMs: [50, 100],
    handlerEndpoints: { dynamodb: proxy.url },
  });
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a file longer than the function timeout', () => {
  it('finishes through continuations, every record written exactly once', { timeout: 600_000 }, async () => {
    const body = `${Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ deviceId: `dev-${i}`, reading: i / 4 })).join('\n')}\n`;
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.config.bucket.name, Key: 'iot/long.ndjson', Body: body }),
    );
    // Bounded wait for the outcome (the S3 event reaches the invoker asynchronously), then for quiet.
    const deadline = Date.now() + 540_000;
    for (;;) {
      const current = await stack.ledger.getFile(stack.config.bucket.name, 'iot/long.ndjson');
      if (current && current.status !== 'PROCESSING') break;
      if (Date.now() > deadline) throw new Error(`no outcome after 540 s: ${lines.slice(-5).join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await stack.idle();

    const ledger = await scanLedger(stack.clients.documents, stack.config.table.name);
    const state = ledger.files.get('iot/long.ndjson');
    expect(state).toMatchObject({
      status: 'PROCESSED',
      attempts: 1,
      counts: { read: RECORDS, written: RECORDS, rejected: 0, duplicates: 0 },
      notification: { status: 'SENT' },
    });
    expect(state?.checkpoint).toBeUndefined();
    expect(ledger.records).toHaveLength(RECORDS);
    expect(new Set(ledger.records.map((r) => r.pk)).size).toBe(RECORDS);
    // Exactly once: the handler asked DynamoDB to write each record one time, no more.
    expect(proxy.stats.batchPuts).toBe(RECORDS);
    const continued = lines.filter((l) => l.includes('continues in another invocation'));
    expect(continued.length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.includes('✓ iot/long.ndjson'))).toHaveLength(1);
  });
});
