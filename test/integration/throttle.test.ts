import { batchedWriter } from '@eventline/aws';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import type { EventlineConfigInput } from '@eventline/config';
import type { AttributeMap, Ledger } from '@eventline/core';
import { TransientError } from '@eventline/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileState, pipelineFor, putObject, recordItems } from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators, testCredentials } from '../support/emulators.ts';
import { startThrottlingProxy, type ThrottlingProxy } from '../support/throttling-proxy.ts';

/**
 * BatchWriteItem throttling provoked for real: a proxy in front of dynalite answers BatchWriteItem
 * as a throttled DynamoDB does (partial success with UnprocessedItems, or
 * ProvisionedThroughputExceededException). The SDK client makes one attempt per call, so every
 * retry is the ledger's own (backoff with jitter until `writes.deadlineMs`), counted at the proxy.
 */

let emulators: Emulators;
let proxy: ThrottlingProxy;
let viaProxy: AwsClients;

const route = { id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson', key: 'deviceId' } as const;
const config = (deadlineMs: number): EventlineConfigInput => ({
  routes: [route],
  writes: { parallelism: 4, deadlineMs },
});

const ndjson = (n: number, prefix = 'd') =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ deviceId: `${prefix}-${i}`, v: i })).join('\n')}\n`;

beforeAll(async () => {
  emulators = await startEmulators();
  proxy = await startThrottlingProxy({ target: emulators.dynamoEndpoint });
  viaProxy = createClients({
    region: 'us-east-1',
    endpoint: proxy.url,
    credentials: testCredentials,
    maxAttempts: 1,
  });
});

afterEach(() => {
  proxy.plan({ mode: 'unprocessed', times: 0 });
});

afterAll(async () => {
  if (viaProxy) destroyClients(viaProxy);
  await proxy?.close();
  await emulators?.close();
});

const snapshot = () => ({ ...proxy.stats });

describe('BatchWriteItem throttling through a real proxy', () => {
  it('retries UnprocessedItems until every record is written', async () => {
    const t = await pipelineFor(emulators, config(10_000), { dynamodb: viaProxy.dynamodb });
    const event = await putObject(emulators, 'iot/unprocessed.ndjson', ndjson(200, 'u'));
    const before = snapshot();
    proxy.plan({ mode: 'unprocessed', times: 6 });

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    expect(outcome.counts).toMatchObject({ read: 200, written: 200, rejected: 0 });
    const records = await recordItems(emulators, t.table);
    expect(records.size).toBe(200);
    for (let i = 0; i < 200; i++) expect(records.get(`u-${i}`)?.payload?.M?.v).toEqual({ N: String(i) });
    const unprocessed = proxy.stats.unprocessedResponses - before.unprocessedResponses;
    const handedBack = proxy.stats.itemsLeftUnprocessed - before.itemsLeftUnprocessed;
    expect(unprocessed).toBe(6);
    expect(handedBack).toBeGreaterThanOrEqual(6);
    // 8 batches of 25, plus one request per retry of the items handed back
    expect(proxy.stats.batchWrites - before.batchWrites).toBe(8 + 6);
    expect(t.metrics.counts.get('UnprocessedItemsRetried')).toBe(handedBack);
    expect((await fileState(t, event))?.status).toBe('PROCESSED');
    expect(t.notifier.sent).toHaveLength(1);
  });

  it('retries ProvisionedThroughputExceededException until every record is written', async () => {
    const t = await pipelineFor(emulators, config(10_000), { dynamodb: viaProxy.dynamodb });
    const event = await putObject(emulators, 'iot/exceeded.ndjson', ndjson(60, 'p'));
    const before = snapshot();
    proxy.plan({ mode: 'throttle', times: 3 });

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    expect(outcome.counts).toMatchObject({ read: 60, written: 60 });
    expect((await recordItems(emulators, t.table)).size).toBe(60);
    expect(proxy.stats.throttledResponses - before.throttledResponses).toBe(3);
    expect(proxy.stats.batchWrites - before.batchWrites).toBe(3 + 3);
    expect(t.metrics.counts.get('WriteRetries')).toBe(3);
  });

  it.each([
    ['UnprocessedItems', 'unprocessed'],
    ['ProvisionedThroughputExceededException', 'throttle'],
  ] as const)(
    'fails the file as transient when %s never stops, and a later retry completes it',
    async (_name, mode) => {
      // 1.5 s: long enough that a loaded machine finishes the retry's batches in flight (they are abandoned at the deadline).
      const t = await pipelineFor(emulators, config(1_500), { dynamodb: viaProxy.dynamodb });
      const event = await putObject(emulators, `iot/never-${mode}.ndjson`, ndjson(80, `n${mode}`));
      proxy.plan({ mode, times: Number.POSITIVE_INFINITY });

      const failure = await t.pipeline.processObject(event).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(failure).toBeInstanceOf(TransientError);
      expect((failure as TransientError).code).toBe('write-deadline');
      const state = await fileState(t, event);
      expect(state?.status).toBe('PROCESSING');
      expect(state?.leaseUntil).toBe(0); // the claim is given back for the retry
      expect(t.notifier.sent).toEqual([]);
      expect(await t.deadLetters.list()).toEqual([]);

      proxy.plan({ mode, times: 0 });
      const retried = await t.pipeline.processObject(event);

      expect(retried.status).toBe('processed');
      expect(retried.counts).toMatchObject({ read: 80, written: 80 });
      expect((await recordItems(emulators, t.table)).size).toBe(80);
      expect((await fileState(t, event))?.attempts).toBe(2);
      expect(t.notifier.sent).toHaveLength(1);
    },
  );

  it('never lets a retried batch overwrite a later record of the same key', async () => {
    const t = await pipelineFor(emulators, config(10_000), { dynamodb: viaProxy.dynamodb, baseDelayMs: 40 });
    const lines = Array.from({ length: 75 }, (_, i) =>
      JSON.stringify({ deviceId: `o-${i}`, v: `line ${i + 1}` }),
    );
    // In the second half of the first batch, which the proxy hands back for a retry...
    lines[20] = JSON.stringify({ deviceId: 'same', v: 'line 21, older' });
    // ...and in the third batch, sent while the first is waiting for its retry.
    lines[60] = JSON.stringify({ deviceId: 'same', v: 'line 61, newer' });
    const event = await putObject(emulators, 'iot/ordering.ndjson', `${lines.join('\n')}\n`);
    proxy.plan({ mode: 'unprocessed', times: 1 });

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    const records = await recordItems(emulators, t.table);
    expect(records.get('same')?.payload?.M?.v).toEqual({ S: 'line 61, newer' });
    expect(records.size).toBe(74);
  });

  it('settles every write of a file before its outcome is recorded', async () => {
    let pending = 0;
    let pendingAtOutcome: number | undefined;
    const wrap = (ledger: Ledger): Ledger => ({
      getFile: (bucket, key) => ledger.getFile(bucket, key),
      claim: (state, now) => ledger.claim(state, now),
      putRecord: (item, guard) => ledger.putRecord(item, guard),
      putFile: (state, rev) => {
        if (state.status !== 'PROCESSING') pendingAtOutcome ??= pending;
        return ledger.putFile(state, rev);
      },
      putRecords: async (items: AttributeMap[], options) => {
        pending += 1;
        try {
          await ledger.putRecords(items, options);
        } finally {
          pending -= 1;
        }
      },
      recordWriter(options) {
        return batchedWriter(this, options);
      },
    });
    const t = await pipelineFor(
      emulators,
      { ...config(10_000), routes: [{ ...route, onInvalid: 'fail' }] },
      { dynamodb: viaProxy.dynamodb, baseDelayMs: 40, wrapLedger: wrap },
    );
    const lines = ndjson(40, 's').split('\n');
    lines[30] = '{"deviceId":"s-30",';
    const event = await putObject(emulators, 'iot/settle.ndjson', lines.join('\n'));
    proxy.plan({ mode: 'unprocessed', times: 2 });

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('invalid-record');
    expect(pendingAtOutcome).toBe(0);
    expect(pending).toBe(0);
    expect((await recordItems(emulators, t.table)).size).toBe(25);
  });
});
