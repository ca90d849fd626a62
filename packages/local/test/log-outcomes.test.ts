import { parseEmfLine, parsePowertoolsLine } from '@eventline/lambda-emulator';
import { describe, expect, it } from 'vitest';
import { outcomeOfLog } from '../src/log-outcomes.ts';

/** What the local stack reads from its function instances' stdout: Powertools log lines and EMF metrics. */
describe('instance log lines', () => {
  it("turns the pipeline's 'file processed' line into the file's outcome", () => {
    const line = parsePowertoolsLine(
      JSON.stringify({
        level: 'INFO',
        message: 'file processed',
        timestamp: '2026-11-29T20:00:00.000Z',
        service: 'eventline',
        bucket: 'b',
        key: 'incoming/a.json',
        route: 'default',
        status: 'PROCESSED',
        records: 3,
        rejected: 1,
        durationMs: 12,
        notification: 'SENT',
      }),
    );
    expect(line?.level).toBe('info');
    expect(outcomeOfLog(line!.message, line!.fields)).toEqual({
      status: 'processed',
      bucket: 'b',
      key: 'incoming/a.json',
      route: 'default',
      counts: { read: 4, written: 3, rejected: 1, duplicates: 0, bytes: 0 },
      durationMs: 12,
      notification: { status: 'SENT' },
    });
  });

  it("reads hole 12's deferral: a newer version waiting for an older version's lease (queue mode shows it as direct mode does)", () => {
    expect(
      outcomeOfLog('an older version holds the file; this newer version waits for its lease', {
        bucket: 'b',
        key: 'k',
        route: 'default',
        heldUntil: '2026-11-29T20:01:30.000Z',
      }),
    ).toEqual({ status: 'deferred', bucket: 'b', key: 'k', route: 'default' });
  });

  it('reads failures, duplicates and stale versions; other lines are no outcome', () => {
    expect(outcomeOfLog('file failed', { bucket: 'b', key: 'k', reason: 'bad JSON' })).toMatchObject({
      status: 'failed',
      error: { message: 'bad JSON' },
    });
    expect(
      outcomeOfLog('duplicate event: this object version already has its outcome', { bucket: 'b', key: 'k' }),
    ).toMatchObject({ status: 'duplicate' });
    expect(
      outcomeOfLog('older version than the ledger holds; skipped', { bucket: 'b', key: 'k' }),
    ).toMatchObject({
      status: 'stale',
    });
    expect(
      outcomeOfLog('file paused before the invocation ends; it continues in another', {
        bucket: 'b',
        key: 'k',
        line: 61_000,
        records: 61_000,
      }),
    ).toMatchObject({ status: 'continued', counts: { written: 61_000 } });
    // Newer handlers log the file's written and rejected so far, and its segments.
    expect(
      outcomeOfLog('file paused before the invocation ends; it continues in another', {
        bucket: 'b',
        key: 'k',
        records: 61_000,
        written: 60_990,
        rejected: 10,
        segment: 3,
      }),
    ).toMatchObject({ status: 'continued', counts: { written: 60_990, rejected: 10 }, segments: 3 });
    expect(outcomeOfLog('file processed', { key: 'k' })).toBeUndefined();
    expect(parsePowertoolsLine('plain text from a dependency')).toBeUndefined();
    expect(parsePowertoolsLine('{"level":"WARN","message":"x"}')?.level).toBe('warn');
  });

  it('reads the metrics of an EMF line', () => {
    const emf = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          {
            Namespace: 'eventline',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'EventsDuplicate', Unit: 'Count' },
              { Name: 'FileDuration', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 'eventline',
      EventsDuplicate: 2,
      FileDuration: [5, 7],
    });
    expect(parseEmfLine(emf)).toEqual([
      { name: 'EventsDuplicate', unit: 'Count', values: [2] },
      { name: 'FileDuration', unit: 'Milliseconds', values: [5, 7] },
    ]);
    expect(parseEmfLine('{"level":"INFO","message":"x"}')).toBeUndefined();
  });
});
