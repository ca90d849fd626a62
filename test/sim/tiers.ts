import type { InvariantId } from './invariants.ts';
import type { Actor } from './sim.ts';

/**
 * What the fast tier holds the code to. docs/protocol.md lists the invariants still open, with the
 * hole each waits for; they are checked by `npm run test:sim -- --only ...` and reported, never
 * skipped silently.
 */
export const ALL_ACTORS: Actor[] = [
  'overwrite',
  'delete',
  'backfill',
  'reconcile',
  'replay',
  'restart',
  'outage',
  'faults',
];

/** S3's own events (duplicated, reordered, overwrites, deletes), redeliveries, faults, outages, dlq replay. */
export const S3_ACTORS: Actor[] = ['overwrite', 'delete', 'replay', 'outage', 'faults'];

/** Invariants that hold under S3's own events and every fault: all of them. */
export const HOLDING_S3: InvariantId[] = [
  'I1',
  'I2',
  'I3',
  'I4',
  'I5',
  'I6',
  'I7',
  'I8',
  'I9',
  'I10',
  'I11',
  'I12',
  'I13',
  'I14',
];

/**
 * Invariants that hold with every actor, the operator's sequencer-less re-drives included (backfill,
 * reconcile --fix, restart recovery: ordered by asking S3 for the current version).
 */
export const HOLDING: InvariantId[] = HOLDING_S3;
