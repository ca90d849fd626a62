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

/** Invariants that hold under S3's own events and every fault (open: I4 hole 3). */
export const HOLDING_S3: InvariantId[] = [
  'I1',
  'I2',
  'I3',
  'I5',
  'I6',
  'I7',
  'I8',
  'I9',
  'I10',
  'I11',
  'I12',
];

/**
 * Invariants that hold with every actor, the operator's sequencer-less re-drives included (backfill,
 * reconcile --fix, restart recovery; open: I1, I2, I5, I6 holes 5-6, I4 hole 3, and I8/I10: a
 * 100,000-plan run found one outcome first announced from a listing's claim (no versionId) and
 * announced again after an S3 event of the same version taught the ledger its versionId).
 */
export const HOLDING: InvariantId[] = ['I3', 'I7', 'I9', 'I11', 'I12'];
