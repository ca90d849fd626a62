/**
 * The ledger's sparse `attention` index (core's ledger-index.ts): which outcome items carry its keys,
 * so that a file processed at once writes nothing to it (the pipeline's write cost stays 3 WRU), and
 * that the local table's index (the DynamoDB emulator's `ensureLedgerTable`) is the one core reads.
 */
import { fileItem } from '@eventline/aws';
import { ATTENTION_INDEX, attentionKey, type FileState } from '@eventline/core';
import { LEDGER_INDEX } from '@eventline/dynamodb-emulator';
import { describe, expect, it } from 'vitest';

const state = (over: Partial<FileState> = {}): FileState => ({
  bucket: 'b',
  key: 'incoming/a.json',
  route: 'orders',
  seq: '',
  eventTime: '2026-01-01T00:00:00.000Z',
  status: 'PROCESSING',
  rev: 1,
  leaseUntil: 10,
  attempts: 1,
  counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
  rejects: [],
  notification: { status: 'NOT_NEEDED' },
  deadLetter: { status: 'NOT_NEEDED' },
  startedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  ...over,
});

describe('the attention index', () => {
  it('leaves out a first attempt and a processed file whose notification was sent', () => {
    expect(attentionKey(state())).toBeUndefined();
    expect(attentionKey(state({ status: 'PROCESSED', notification: { status: 'SENT' } }))).toBeUndefined();
    const item = fileItem(state({ status: 'PROCESSED', notification: { status: 'SENT' } }), 'w');
    expect(item.ix).toBeUndefined();
    expect(item.ixAt).toBeUndefined();
  });

  it('holds FAILED, owing and retried or continued outcomes, by route, newest by updatedAt', () => {
    expect(attentionKey(state({ status: 'FAILED', deadLetter: { status: 'PENDING' } }))).toEqual({
      ix: 'orders#FAILED',
      ixAt: '2026-01-01T00:00:01.000Z',
    });
    expect(attentionKey(state({ status: 'PROCESSED', notification: { status: 'PENDING' } }))?.ix).toBe(
      'orders#OWES',
    );
    expect(attentionKey(state({ attempts: 2 }))?.ix).toBe('orders#PROCESSING');
    expect(attentionKey(state({ handoff: true, leaseUntil: 0 }))?.ix).toBe('orders#PROCESSING');
    const item = fileItem(state({ status: 'FAILED' }), 'w');
    expect(item.ix).toEqual({ S: 'orders#FAILED' });
    expect(item.ixAt).toEqual({ S: '2026-01-01T00:00:01.000Z' });
  });

  it('is the index the local table is made with', () => {
    expect(LEDGER_INDEX).toEqual(ATTENTION_INDEX);
  });
});
