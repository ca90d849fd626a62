import type { Route } from '@eventline/config/runtime';
import type { ObjectEvent } from './events.ts';
import { compareSequencers, sequencerSortKey } from './events.ts';
import type { FileState, OwedOutcome } from './ports.ts';

/**
 * The claim protocol: what an event does given what the ledger knows of its object, and the
 * state a claim writes. Pure functions; the orchestration (pipeline.ts) does the I/O.
 */

export type Decision =
  | { kind: 'claim'; attempts: number }
  | { kind: 'duplicate' }
  | { kind: 'stale' }
  | { kind: 'in-progress' }
  | { kind: 'finish' }
  | { kind: 'drain' };

/**
 * How many superseded versions' outcomes one item may carry. A newer version that would push the
 * list past it first delivers them (`drain`), and waits while it cannot: owed steps are bounded in
 * the item and never dropped (hole 2, invariant I7).
 */
export const MAX_OWED = 10;

export function sameVersion(state: FileState, event: ObjectEvent): boolean {
  if (event.versionId && state.versionId) return event.versionId === state.versionId;
  if (event.sequencer && state.sequencer) return compareSequencers(event.sequencer, state.sequencer) === 0;
  // Backfill and reconcile events come from a listing: no sequencer, the ETag names the content.
  if (event.eTag === undefined || event.eTag !== state.eTag) return false;
  // Only the ETags match, and an ETag names the bytes, not the write. A FAILED outcome claimed from a
  // listing names no write (no versionId, no sequencer): an event that names one may be a re-upload
  // of the same bytes, which deserves its own attempt rather than being dropped as a duplicate
  // (finding 2). At worst the late S3 event of the very write that failed tries it once more.
  const eventNamesWrite = Boolean(event.versionId || event.sequencer);
  const stateNamesWrite = Boolean(state.versionId || state.sequencer);
  return !(eventNamesWrite && !stateNamesWrite && state.status === 'FAILED');
}

/** The guard of conditional record writes; events without a sequencer (listings) are ordered by the file claim alone. */
export const NO_SEQUENCER_GUARD = 'Z';

export function hasPendingSteps(state: FileState): boolean {
  return (
    state.notification.status === 'PENDING' ||
    state.deadLetter.status === 'PENDING' ||
    (state.owed?.length ?? 0) > 0
  );
}

/** A claim from a handoff (the file paused for its continuation) is not a new attempt; any other is. */
const nextAttempt = (state: FileState) => (state.handoff ? state.attempts : state.attempts + 1);

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
      return leased ? { kind: 'in-progress' } : { kind: 'claim', attempts: nextAttempt(state) };
    }
    if (state.status === 'FAILED' && replay) {
      // The operator asks for the file again: it gets a fresh count of attempts (hole 9). The
      // failure's own steps still owed (a restart cut off its Publish) ride along in `owed` and are
      // sent before the new attempt's outcome (I7): drained first when the item carries its fill.
      if (leased) return { kind: 'in-progress' };
      return ownCarried(state) > MAX_OWED ? { kind: 'drain' } : { kind: 'claim', attempts: 1 };
    }
    if (!hasPendingSteps(state)) return { kind: 'duplicate' };
    return leased ? { kind: 'in-progress' } : { kind: 'finish' };
  }
  if (event.sequencer && state.sequencer && compareSequencers(event.sequencer, state.sequencer) < 0) {
    return { kind: 'stale' };
  }
  // A newer version waits for the older one's live claim to end: batched record writes are not
  // conditional, so two versions of one object must never be written at the same time; and a
  // finished version leased to send its steps must not be taken over, or its steps, carried into
  // the newer claim's `owed`, would have two senders (hole 8).
  if (leased) return { kind: 'in-progress' };
  if (state.status !== 'PROCESSING' && ownCarried(state) > MAX_OWED) return { kind: 'drain' };
  return { kind: 'claim', attempts: 1 };
}

/** What a superseded version still owes, in the few fields its notification and dead letter need. */
export function owedOf(state: FileState): OwedOutcome {
  const owed: OwedOutcome = {
    route: state.route,
    status: state.status,
    attempts: state.attempts,
    counts: state.counts,
    notification: state.notification.status,
    deadLetter: state.deadLetter.status,
  };
  if (state.versionId) owed.versionId = state.versionId;
  if (state.eTag) owed.eTag = state.eTag;
  if (state.sequencer) owed.sequencer = state.sequencer;
  if (state.rejectsKey) owed.rejectsKey = state.rejectsKey;
  if (state.contentType) owed.contentType = state.contentType;
  if (state.error) owed.error = { code: state.error.code, message: state.error.message };
  if (state.finishedAt) owed.finishedAt = state.finishedAt;
  if (state.durationMs !== undefined) owed.durationMs = state.durationMs;
  return owed;
}

/**
 * The PROCESSING state a claim writes. Over a previous state it keeps what must survive the claim:
 * the checkpoint of the same version (to resume), and the owed steps of every version before.
 */
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
  if (previous) {
    const owed = [...(previous.owed ?? [])];
    const same = sameVersion(previous, event);
    if (same) {
      // An event that names the version by less (a listing's ETag, a letter's sequencer) keeps the
      // identity the ledger already knows: the idempotency key and the ordering depend on it.
      if (!state.versionId && previous.versionId) state.versionId = previous.versionId;
      if (!state.eTag && previous.eTag) state.eTag = previous.eTag;
      if (!state.sequencer && previous.sequencer) {
        state.sequencer = previous.sequencer;
        state.seq = previous.seq;
      }
    }
    if (same && previous.status === 'PROCESSING') {
      if (previous.checkpoint) state.checkpoint = previous.checkpoint;
      state.startedAt = previous.startedAt;
      if (previous.lastError) state.lastError = previous.lastError;
    } else if (previous.status !== 'PROCESSING' && hasOwnPendingSteps(previous)) {
      // A superseded version's outcome, or (same version) a FAILED one the operator replays: its
      // steps are owed whatever the new claim ends as (I7), never dropped with the old state.
      owed.push(owedOf(previous));
    }
    if (owed.length > 0) state.owed = owed;
  }
  return state;
}

/** How many outcomes a claim over `state` would carry in `owed`: the ones there and its own, if it owes. */
function ownCarried(state: FileState): number {
  return (state.owed?.length ?? 0) + (hasOwnPendingSteps(state) ? 1 : 0);
}

function hasOwnPendingSteps(state: FileState): boolean {
  return state.notification.status === 'PENDING' || state.deadLetter.status === 'PENDING';
}
