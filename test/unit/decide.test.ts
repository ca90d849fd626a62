import { parseConfig } from '@eventline/config';
import type { FileState, ObjectEvent } from '@eventline/core';
import {
  decide,
  InProgressError,
  isPermanent,
  isRetryable,
  matchRoute,
  PermanentError,
  RecordError,
  sequencerSortKey,
  TransientError,
} from '@eventline/core';
import { describe, expect, it } from 'vitest';

const event = (sequencer: string, extra: Partial<ObjectEvent> = {}): ObjectEvent => ({
  bucket: 'b',
  key: 'incoming/a.json',
  sequencer,
  eTag: 'e',
  eventTime: '2026-01-01T00:00:00.000Z',
  eventName: 'ObjectCreated:Put',
  origin: 's3',
  ...extra,
});

const state = (sequencer: string, extra: Partial<FileState> = {}): FileState => ({
  bucket: 'b',
  key: 'incoming/a.json',
  route: 'default',
  sequencer,
  seq: sequencerSortKey(sequencer),
  eTag: 'e',
  eventTime: '2026-01-01T00:00:00.000Z',
  status: 'PROCESSED',
  rev: 3,
  leaseUntil: 0,
  attempts: 1,
  counts: { read: 1, written: 1, rejected: 0, duplicates: 0, bytes: 10 },
  rejects: [],
  notification: { status: 'SENT' },
  deadLetter: { status: 'NOT_NEEDED' },
  startedAt: '',
  updatedAt: '',
  ...extra,
});

describe('decide: what an event does, given the ledger', () => {
  const now = 1_000_000;
  it('claims a new object', () =>
    expect(decide(undefined, event('01'), now, false)).toEqual({ kind: 'claim', attempts: 1 }));
  it('skips a redelivered event once the outcome and notification exist', () =>
    expect(decide(state('01'), event('01'), now, false)).toEqual({ kind: 'duplicate' }));
  it('skips an older version (lower sequencer) than the one recorded', () =>
    expect(decide(state('0A'), event('09'), now, false)).toEqual({ kind: 'stale' }));
  it('claims a newer version', () => expect(decide(state('09'), event('0A'), now, false).kind).toBe('claim'));
  it('compares sequencers of different lengths by right-padding', () =>
    expect(decide(state('0A'), event('0A00'), now, false)).toEqual({ kind: 'duplicate' }));
  it('waits for a live claim, takes over an expired one', () => {
    expect(
      decide(state('01', { status: 'PROCESSING', leaseUntil: now + 1 }), event('01'), now, false),
    ).toEqual({ kind: 'in-progress' });
    expect(
      decide(
        state('01', { status: 'PROCESSING', leaseUntil: now - 1, attempts: 2 }),
        event('01'),
        now,
        false,
      ),
    ).toEqual({
      kind: 'claim',
      attempts: 3,
    });
  });
  it('finishes owed steps (notification or dead letter) without reprocessing', () => {
    expect(decide(state('01', { notification: { status: 'PENDING' } }), event('01'), now, false)).toEqual({
      kind: 'finish',
    });
    expect(
      decide(state('01', { status: 'FAILED', deadLetter: { status: 'PENDING' } }), event('01'), now, false),
    ).toEqual({
      kind: 'finish',
    });
  });
  it('makes a newer version wait for an older version still being written', () => {
    const busy = state('09', { status: 'PROCESSING', leaseUntil: now + 1 });
    expect(decide(busy, event('0A'), now, false)).toEqual({ kind: 'in-progress' });
    expect(decide({ ...busy, leaseUntil: now - 1 }, event('0A'), now, false).kind).toBe('claim');
  });
  it('lets only one invocation send owed steps at a time', () => {
    const owing = state('01', { notification: { status: 'PENDING' }, leaseUntil: now + 1 });
    expect(decide(owing, event('01'), now, false)).toEqual({ kind: 'in-progress' });
    expect(decide({ ...owing, leaseUntil: 0 }, event('01'), now, false)).toEqual({ kind: 'finish' });
  });
  it('resumes a file paused for its continuation without counting an attempt; a crash counts one', () => {
    const paused = state('01', { status: 'PROCESSING', leaseUntil: 0, attempts: 2, handoff: true });
    expect(decide(paused, event('01'), now, false)).toEqual({ kind: 'claim', attempts: 2 });
    const { handoff: _h, ...crashed } = paused;
    expect(decide(crashed, event('01'), now, false)).toEqual({ kind: 'claim', attempts: 3 });
  });
  it('finishes the owed steps of superseded versions before anything else', () => {
    const owing = state('01', {
      owed: [
        {
          route: 'default',
          status: 'PROCESSED',
          attempts: 1,
          counts: { read: 1, written: 1, rejected: 0, duplicates: 0, bytes: 1 },
          notification: 'PENDING',
          deadLetter: 'NOT_NEEDED',
        },
      ],
    });
    expect(decide(owing, event('01'), now, false)).toEqual({ kind: 'finish' });
  });
  it('re-drives a failed file only on replay', () => {
    const failed = state('01', { status: 'FAILED', deadLetter: { status: 'SENT' } });
    expect(decide(failed, event('01'), now, false)).toEqual({ kind: 'duplicate' });
    expect(decide(failed, event('01'), now, true).kind).toBe('claim');
    expect(decide(state('01'), event('01'), now, true)).toEqual({ kind: 'duplicate' });
  });
  it('a replay of a failure that still owes its notification claims, draining a full item first (I7)', () => {
    const owingFailure = state('01', { status: 'FAILED', notification: { status: 'PENDING' } });
    expect(decide(owingFailure, event('01'), now, true)).toEqual({ kind: 'claim', attempts: 1 });
    // MAX_OWED (10) older outcomes already ride along: one more would pass it, so they go first.
    const older = {
      route: 'default',
      status: 'PROCESSED' as const,
      attempts: 1,
      counts: owingFailure.counts,
      notification: 'PENDING' as const,
      deadLetter: 'NOT_NEEDED' as const,
    };
    const full = { ...owingFailure, owed: Array.from({ length: 10 }, () => older) };
    expect(decide(full, event('01'), now, true)).toEqual({ kind: 'drain' });
    expect(decide({ ...full, notification: { status: 'SENT' } }, event('01'), now, true).kind).toBe('claim');
  });
  it('uses versionId when both sides have one, and eTag when there is no sequencer (backfill)', () => {
    expect(decide(state('01', { versionId: 'v1' }), event('01', { versionId: 'v2' }), now, false).kind).toBe(
      'claim',
    );
    expect(decide(state('01'), event('', { sequencer: undefined }), now, false)).toEqual({
      kind: 'duplicate',
    });
    expect(decide(state('01'), event('', { sequencer: undefined, eTag: 'other' }), now, false).kind).toBe(
      'claim',
    );
  });
});

describe('routing', () => {
  const config = parseConfig({
    routes: [
      { id: 'orders', prefix: 'incoming/', suffix: '.json' },
      { id: 'iot', prefix: 'iot/', suffix: '.ndjson.gz', format: 'ndjson' },
    ],
  });
  it('matches prefix and suffix like S3 filters', () => {
    expect(matchRoute(config.routes, 'incoming/a.json')?.id).toBe('orders');
    expect(matchRoute(config.routes, 'iot/2026/01/d.ndjson.gz')?.id).toBe('iot');
    expect(matchRoute(config.routes, 'incoming/a.csv')).toBeUndefined();
    expect(matchRoute(config.routes, 'other/a.json')).toBeUndefined();
    expect(matchRoute(config.routes, '_eventline/rejects/incoming/a.json')).toBeUndefined();
  });
});

describe('error classification', () => {
  it('retries transient errors and bugs, never permanent ones', () => {
    expect(isRetryable(new TransientError('throttled', 'x'))).toBe(true);
    expect(isRetryable(new InProgressError('in-progress', 'x'))).toBe(true);
    expect(isRetryable(new TypeError('bug'))).toBe(true);
    expect(isRetryable(new PermanentError('malformed-json', 'x'))).toBe(false);
    expect(isPermanent(new RecordError('bad-number', 'x', { position: { line: 3 } }))).toBe(true);
  });
});
