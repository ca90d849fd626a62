// The log formats through the processing use case (in-memory ports): an ALB log paused and resumed by
// a ranged read, each record once with its line; a gzip CloudTrail file's Records as items.
import { gzipSync } from 'node:zlib';
import { parseConfig } from '@eventline/config';
import { Pipeline } from '@eventline/core';
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

function setup(chunkBytes: number) {
  const ledger = new MemoryLedger();
  const source = new MemorySource(chunkBytes);
  const clock = new ManualClock();
  const pipeline = new Pipeline({
    config: parseConfig({
      routes: [
        { id: 'alb', prefix: 'alb/', suffix: '.log', format: 'log', log: { preset: 'alb' }, key: 'trace_id' },
        { id: 'trail', prefix: 'trail/', suffix: '.json.gz', format: 'cloudtrail', key: 'eventID' },
      ],
    }),
    source,
    ledger,
    notifier: new MemoryNotifier(),
    deadLetters: new MemoryDeadLetters(),
    continuations: new MemoryContinuations(),
    clock,
  });
  return { ledger, source, clock, pipeline };
}

const albLine = (i: number) =>
  `https 2024-03-01T10:00:${String(i % 60).padStart(2, '0')}.000000Z app/web/50dc6c495c0c9188 203.0.113.${i % 250}:443 10.0.0.1:80 0.001 0.002 0.000 200 200 120 ${i} "GET https://shop.example.com:443/p/${i} HTTP/1.1" "Mozilla/5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067 "Root=1-65e1a0b0-${String(i).padStart(24, '0')}" "shop.example.com" "-" 0 2024-03-01T10:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_${i}`;

describe('log formats through ingestion', () => {
  it('pauses a long ALB log and resumes it by range: each record once', async () => {
    const t = setup(256);
    const n = 600;
    const body = `${Array.from({ length: n }, (_, i) => (i === 100 ? 'broken line' : albLine(i))).join('\n')}\n`;
    t.source.put('alb/a.log', body, { beforeChunk: async () => t.clock.advance(50) });
    const event = objectEvent(t.source, 'alb/a.log');

    let outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 5_000 });
    let invocations = 1;
    while (outcome.status === 'continued' && invocations < 200) {
      outcome = await t.pipeline.processObject(event, { deadline: t.clock.now() + 5_000 });
      invocations += 1;
    }

    expect(invocations).toBeGreaterThan(2);
    expect(outcome).toMatchObject({ status: 'processed', counts: { read: n, written: n - 1, rejected: 1 } });
    expect(t.ledger.records.size).toBe(n - 1);
    expect([...t.ledger.writesPerKey.values()].every((count) => count === 1)).toBe(true);
    expect(t.source.opens.slice(1).every((o) => (o.fromByte ?? 0) > 0)).toBe(true);
    const item = t.ledger.records.get(`Root=1-65e1a0b0-${String(599).padStart(24, '0')}`);
    expect(item?.payload).toMatchObject({
      M: { sent_bytes: { N: '599' }, request: { S: 'GET https://shop.example.com:443/p/599 HTTP/1.1' } },
    });
    // Numbered as one read would: the broken line has index 100, so line 600 is index 599.
    expect([item?.line, item?.index]).toEqual([{ N: '600' }, { N: '599' }]);
  });

  it("writes a gzip CloudTrail file's Records, one item each", async () => {
    const t = setup(64 * 1024);
    const records = Array.from({ length: 3 }, (_, i) => ({
      eventVersion: '1.08',
      eventID: `e-${i}`,
      eventTime: '2024-03-01T10:00:00Z',
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
    }));
    t.source.put('trail/x.json.gz', '', { body: gzipSync(JSON.stringify({ Records: records })) });

    const outcome = await t.pipeline.processObject(objectEvent(t.source, 'trail/x.json.gz'));

    expect(outcome).toMatchObject({ status: 'processed', counts: { read: 3, written: 3 } });
    expect([...t.ledger.records.keys()].sort()).toEqual(['e-0', 'e-1', 'e-2']);
  });
});
