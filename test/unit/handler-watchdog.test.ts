import { parseConfig, TIMEOUT_WITHOUT_CHECKPOINT, watchdogMarginMs } from '@eventline/config';
import { type Metrics, Pipeline } from '@eventline/core';
import { createHandler } from '@eventline/lambda';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  MemoryContinuations,
  MemoryDeadLetters,
  MemoryLedger,
  MemoryNotifier,
  MemorySource,
} from '../support/memory-ports.ts';

/**
 * The handler's `TimeoutsWithoutCheckpoint` metric (what the `TimeoutWithoutCheckpoint` alarm reads):
 * counted for an invocation still running just before its deadline, past the point where a long file
 * hands off; never for a segment that hands off on purpose. The real handler and pipeline on in-memory
 * ports, with a stream that is slow (hands off) or stalls (a file that cannot be checkpointed).
 */

const BUDGET_MS = 2_000;

function setup() {
  const source = new MemorySource(64);
  const continuations = new MemoryContinuations();
  const counted: string[] = [];
  const metrics: Metrics = { count: (name) => counted.push(name), milliseconds() {} };
  let flushes = 0;
  const warnings: Array<{ message: string; extra?: Record<string, unknown> }> = [];
  const pipeline = new Pipeline({
    config: parseConfig({
      routes: [
        { id: 'one', prefix: 'incoming/', suffix: '.json' },
        { id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson', key: 'deviceId' },
      ],
    }),
    bucketName: 'b',
    source,
    ledger: new MemoryLedger(),
    notifier: new MemoryNotifier(),
    deadLetters: new MemoryDeadLetters(),
    continuations,
  });
  const handler = createHandler({
    pipeline,
    logger: {
      debug() {},
      info() {},
      warn: (message, extra) => warnings.push({ message, extra }),
      error() {},
    },
    metrics,
    flushMetrics: () => {
      flushes += 1;
    },
  });
  const context = { getRemainingTimeInMillis: () => BUDGET_MS } as unknown as Context;
  const event = (key: string) => {
    const object = source.objects.get(key);
    return {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Put',
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: 'default',
            bucket: { name: 'b', arn: 'arn:aws:s3:::b' },
            object: {
              key,
              size: object?.body.length ?? 0,
              eTag: object?.eTag,
              sequencer: '0000000000000001A0',
            },
          },
        },
      ],
    };
  };
  return { source, continuations, counted, warnings, handler, context, event, flushes: () => flushes };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('TimeoutsWithoutCheckpoint', () => {
  it('keeps its margin inside the handoff margin, so handoffs are never counted', () => {
    for (const budget of [1_000, 3_000, 60_000, 900_000]) {
      const handoff = Math.min(10_000, Math.max(500, Math.floor(budget / 4)));
      expect(watchdogMarginMs(budget), `budget ${budget}`).toBeLessThan(handoff);
    }
  });

  it('is not counted for a long file that hands off at its pause point', async () => {
    const t = setup();
    const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ deviceId: `d-${i}` })).join('\n');
    // About 20 ms per 64-byte chunk: the whole file would take far longer than the budget.
    t.source.put('iot/long.ndjson', `${lines}\n`, { beforeChunk: () => sleep(20) });

    await t.handler(t.event('iot/long.ndjson'), t.context);

    expect(t.continuations.scheduled).toHaveLength(1);
    expect(t.counted).not.toContain(TIMEOUT_WITHOUT_CHECKPOINT);
  });

  it('is counted, and flushed at once, for an invocation still running at the deadline with no checkpoint', async () => {
    const t = setup();
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A JSON file (read whole, never checkpointed) whose stream stalls: Lambda would stop this invocation.
    t.source.put('incoming/stuck.json', '{"id":"stuck"}', { beforeChunk: () => stalled });

    const running = t.handler(t.event('incoming/stuck.json'), t.context);
    for (let i = 0; i < 100 && !t.counted.includes(TIMEOUT_WITHOUT_CHECKPOINT); i++) await sleep(100);
    const flushesBeforeTheEnd = t.flushes();
    release();
    await running;

    expect(t.counted.filter((n) => n === TIMEOUT_WITHOUT_CHECKPOINT)).toHaveLength(1);
    expect(flushesBeforeTheEnd).toBe(1);
    expect(t.warnings).toContainEqual({
      message: 'invocation about to time out without a checkpoint',
      extra: expect.objectContaining({ files: ['s3://b/incoming/stuck.json'] }),
    });
  });
});
