import type { Outcome } from '@eventline/core';
import { describe, expect, it } from 'vitest';
import { Activity } from '../src/activity.ts';

/**
 * The stack's counters (the console's DynamoDB ledger figure) count each record once: a long
 * file's outcomes, one `continued` per segment and then its end, each carry the file's counts so far.
 */

const counts = (written: number, rejected = 0) => ({
  read: written + rejected,
  written,
  rejected,
  duplicates: 0,
  bytes: 0,
});
const outcome = (key: string, status: Outcome['status'], written: number, rejected = 0): Outcome => ({
  bucket: 'b',
  key,
  status,
  counts: counts(written, rejected),
});

describe('record counters', () => {
  it('count a long file’s records once across its segments, and each file on its own', () => {
    // Prepare
    const activity = new Activity();

    // Act: a file in three segments (1,000, then 2,500 so far, then 3,000 in all) beside a small one
    activity.recordOutcome({ ...outcome('long', 'continued', 1000, 2), segments: 1 });
    activity.recordOutcome(outcome('small', 'processed', 7));
    activity.recordOutcome({ ...outcome('long', 'continued', 2500, 3), segments: 2 });
    activity.recordOutcome(outcome('long', 'processed', 3000, 4));

    // Assess
    expect(activity.counters.recordsWritten).toBe(3007);
    expect(activity.counters.recordsRejected).toBe(4);
    expect(activity.counters.processed).toBe(2);
    // The feed says how far the long file had come
    expect(activity.feed({ key: 'long' }).map((e) => [e.status, e.records, e.segments])).toEqual([
      ['continued', 1000, 1],
      ['continued', 2500, 2],
      ['processed', 3000, undefined],
    ]);
  });

  it('count a file processed again (a new version) in full', () => {
    const activity = new Activity();
    activity.recordOutcome(outcome('k', 'processed', 10));
    activity.recordOutcome(outcome('k', 'processed', 10));
    expect(activity.counters.recordsWritten).toBe(20);
  });
});
