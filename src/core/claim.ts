import type { Route } from '../config/schema.ts';
import type { ObjectEvent } from './events.ts';
import { compareSequencers, sequencerSortKey } from './events.ts';
import type { FileState } from './ports.ts';

/**
 * The claim protocol: what an event does given what the ledger knows of its object, and the
 * state a claim writes. Pure functions; the orchestration (pipeline.ts) does the I/O.
 */

export type Decision =
  | { kind: 'claim'; attempts: number }
  | { kind: 'duplicate' }
  | { kind: 'stale' }
  | { kind: 'in-progress' }
  | { kind: 'finish' };

export function sameVersion(state: FileState, event: ObjectEvent): boolean {
  if (event.versionId && state.versionId) return event.versionId === state.versionId;
  // Backfill and reconcile events come from a listing: no sequencer, the ETag names the content.
  if (!event.sequencer) return event.eTag !== undefined && event.eTag === state.eTag;
  if (state.sequencer) return compareSequencers(event.sequencer, state.sequencer) === 0;
  return event.eTag !== undefined && event.eTag === state.eTag;
}

/** The guard of conditional record writes; events without a sequencer (listings) are ordered by the file claim alone. */
export const NO_SEQUENCER_GUARD = 'Z';

export function hasPendingSteps(state: FileState): boolean {
  return state.notification.status === 'PENDING' || state.deadLetter.status === 'PENDING';
}

/** What to do with an event, given what the ledger knows of its object. */
export function decide(
  state: FileState | undefined,
  event: ObjectEvent,
  now: number,
  replay: boolean,
): Decision {
  if (!state) return { kind: 'claim', attempts: 1 };
  // A live lease means another invocation is working on this object right now.
  const leased = state.leaseUntil > now;
  if (sameVersion(state, event)) {
    if (state.status === 'PROCESSING') {
      return leased ? { kind: 'in-progress' } : { kind: 'claim', attempts: state.attempts + 1 };
    }
    if (state.status === 'FAILED' && replay) {
      return leased ? { kind: 'in-progress' } : { kind: 'claim', attempts: state.attempts + 1 };
    }
    if (!hasPendingSteps(state)) return { kind: 'duplicate' };
    return leased ? { kind: 'in-progress' } : { kind: 'finish' };
  }
  if (event.sequencer && state.sequencer && compareSequencers(event.sequencer, state.sequencer) < 0) {
    return { kind: 'stale' };
  }
  // A newer version waits for the older one's live claim to end: batched record writes are not
  // conditional, so two versions of one object must never be written at the same time.
  if (state.status === 'PROCESSING' && leased) return { kind: 'in-progress' };
  return { kind: 'claim', attempts: 1 };
}

/** The PROCESSING state a claim writes. */
export function claimState(
  event: ObjectEvent,
  route: Route,
  previous: FileState | undefined,
  now: number,
  attempts: number,
  leaseMs: number,
): FileState {
  const at = new Date(now).toISOString();
  const state: FileState = {
    bucket: event.bucket,
    key: event.key,
    route: route.id,
    seq: sequencerSortKey(event.sequencer),
    eventTime: event.eventTime,
    status: 'PROCESSING',
    rev: (previous?.rev ?? 0) + 1,
    leaseUntil: now + leaseMs,
    attempts,
    counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
    rejects: [],
    notification: { status: 'NOT_NEEDED' },
    deadLetter: { status: 'NOT_NEEDED' },
    startedAt: at,
    updatedAt: at,
  };
  if (event.versionId) state.versionId = event.versionId;
  if (event.eTag) state.eTag = event.eTag;
  if (event.size !== undefined) state.size = event.size;
  if (event.sequencer) state.sequencer = event.sequencer;
  return state;
}
