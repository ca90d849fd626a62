import { gzipSync } from 'node:zlib';
import { batchedWriter } from '@eventline/aws';
import type { Ledger } from '@eventline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineFor, putObject, scanTable } from '../fixtures/formats/stack.ts';
import { type Emulators, startEmulators } from '../support/emulators.ts';

/**
 * A JSON array of 100,000 elements, gzip'd, end to end: every element becomes one item, written in
 * batches of 25. Its own emulators and table, so the count is exact. Slow by nature (dynalite's
 * write rate), so it is the only test of its file and has a longer timeout.
 */

const N = 100_000;
let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

describe('a JSON array of 100k elements', () => {
  it('writes one item per element, in batches of 25', async () => {
    let batches = 0;
    const countBatches = (ledger: Ledger): Ledger => ({
      getFile: (bucket, key) => ledger.getFile(bucket, key),
      claim: (state, now) => ledger.claim(state, now),
      putFile: (state, rev) => ledger.putFile(state, rev),
      putRecord: (item, guard) => ledger.putRecord(item, guard),
      putRecords: (items, options) => {
        batches += 1;
        return ledger.putRecords(items, options);
      },
      recordWriter(options) {
        return batchedWriter(this, options);
      },
    });
    const t = await pipelineFor(
      emulators,
      {
        routes: [{ id: 'bulk', prefix: 'bulk/', suffix: '.json.gz', format: 'json-array', key: 'id' }],
        writes: { parallelism: 8, deadlineMs: 30_000 },
      },
      { wrapLedger: countBatches },
    );
    const elements: string[] = [];
    for (let i = 0; i < N; i++) elements.push(`{"id":"e-${i}","reading":${i}.25,"ok":${i % 2 === 0}}`);
    const body = gzipSync(`[${elements.join(',\n')}]`);
    const event = await putObject(emulators, 'bulk/readings.json.gz', body);

    const outcome = await t.pipeline.processObject(event);

    expect(outcome.status).toBe('processed');
    expect(outcome.counts).toEqual({ read: N, written: N, rejected: 0, duplicates: 0, bytes: body.length });
    const { count } = await scanTable(emulators, t.table, { Select: 'COUNT' });
    expect(count).toBe(N + 1); // every element, and the file item
    const { items } = await scanTable(emulators, t.table, {
      FilterExpression: 'pk IN (:first, :last)',
      ExpressionAttributeValues: { ':first': { S: 'e-0' }, ':last': { S: `e-${N - 1}` } },
    });
    expect(items.map((i) => [i.pk?.S, i.index?.N, i.payload?.M?.reading?.N]).sort()).toEqual([
      ['e-0', '0', '0.25'],
      [`e-${N - 1}`, String(N - 1), `${N - 1}.25`],
    ]);
    expect(batches).toBe(N / 25); // 0.04 write requests per record (no retries against dynalite)
    expect(t.metrics.counts.get('UnprocessedItemsRetried')).toBeUndefined();
    expect(t.notifier.sent).toHaveLength(1);
  }, 180_000); // dynalite, in this process, stores about 4k items/s: this test takes ~25 s alone
});
