import { parseConfig } from '@eventline/config';
import { normaliseEvent, Pipeline, redriveEvent } from '@eventline/core';
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  MemoryContinuations,
  MemoryDeadLetters,
  MemoryLedger,
  MemoryNotifier,
  MemorySource,
  objectEvent,
} from '../support/memory-ports.ts';

/** The events the CLI sends (backfill, reconcile --fix, dlq replay) as the function reads them. */

describe('redriveEvent', () => {
  it('is an S3 notification every path reads, its purpose in the configurationId', () => {
    const event = redriveEvent(
      { bucket: 'b', key: 'incoming/a b+ü.json', eTag: '"abc"', size: 3, versionId: 'v1' },
      'backfill',
    );
    const [message] = normaliseEvent(event);
    expect(message?.kind).toBe('objects');
    expect(message?.objects).toEqual([
      expect.objectContaining({
        bucket: 'b',
        key: 'incoming/a b+ü.json',
        eTag: 'abc',
        size: 3,
        versionId: 'v1',
        origin: 'backfill',
      }),
    ]);
    // Wrapped in SQS, as on the ingest queue.
    const [queued] = normaliseEvent({
      Records: [
        {
          messageId: 'm-1',
          eventSource: 'aws:sqs',
          body: JSON.stringify(redriveEvent({ bucket: 'b', key: 'incoming/x.json' }, 'replay')),
        },
      ],
    });
    expect(queued?.objects.map((o) => o.origin)).toEqual(['replay']);
  });

  it('a replay event processes a FAILED file again; an ordinary event for it is a duplicate', async () => {
    const ledger = new MemoryLedger();
    const source = new MemorySource();
    const deadLetters = new MemoryDeadLetters();
    const pipeline = new Pipeline({
      config: parseConfig({ routes: [{ prefix: 'incoming/', suffix: '.json' }] }),
      source,
      ledger,
      notifier: new MemoryNotifier(),
      deadLetters,
      continuations: new MemoryContinuations(),
      clock: new ManualClock(),
    });
    source.put('incoming/bad.json', '{"id":');
    const first = objectEvent(source, 'incoming/bad.json');
    expect((await pipeline.processObject(first)).status).toBe('failed');
    expect(deadLetters.letters).toHaveLength(1);
    const object = { bucket: 'b', key: 'incoming/bad.json', ...(first.eTag ? { eTag: first.eTag } : {}) };

    const [backfill] = normaliseEvent(redriveEvent(object, 'backfill'));
    const [replay] = normaliseEvent(redriveEvent(object, 'replay'));
    if (!backfill || !replay) throw new Error('no message');
    expect((await pipeline.handleMessage(backfill)).map((o) => o.status)).toEqual(['duplicate']);
    expect((await pipeline.handleMessage(replay)).map((o) => o.status)).toEqual(['failed']);
    expect(deadLetters.letters).toHaveLength(2);
  });
});
