import type { Position } from './errors.ts';
import type { FileCounts, FileState } from './ports.ts';

/** What processing one object version came to, as the handler reports it. */
export type OutcomeStatus =
  | 'processed'
  | 'failed'
  | 'duplicate'
  | 'stale'
  | 'ignored'
  | 'superseded'
  | 'finished'
  | 'continued'
  /** A newer version found an older one's claim live: its event was sent again for after that lease (hole 12). */
  | 'deferred';

export interface Outcome {
  status: OutcomeStatus;
  bucket: string;
  key: string;
  route?: string;
  counts?: FileCounts;
  error?: { code: string; message: string };
  notification?: FileState['notification'];
  durationMs?: number;
  /** A `continued` file: the invocations (segments) it has taken so far. */
  segments?: number;
}

/** Messages quote input (a cell, a number): keep them small enough for an item, an SNS or SQS message. */
export function clip(text: string, max = 1024): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Limits of the outcome item: whatever the input, it stays far below DynamoDB's 400 KB. */
export const OUTCOME_LIMITS = {
  message: 512,
  field: 128,
  reason: 200,
  rejectsInline: 3,
} as const;

function boundedPosition(position: Position): Position {
  return position.field === undefined
    ? position
    : { ...position, field: clip(position.field, OUTCOME_LIMITS.field) };
}

/**
 * The file state with every user-derived string clipped (error messages quote cells and numbers;
 * field names come from attribute names and CSV headers) and lists capped: the whole rejects list
 * and long errors live in S3, the state points to them.
 */
export function boundedState(state: FileState): FileState {
  const out: FileState = { ...state };
  if (state.error) {
    out.error = {
      code: clip(state.error.code, 64),
      message: clip(state.error.message, OUTCOME_LIMITS.message),
    };
    if (state.error.position) out.error.position = boundedPosition(state.error.position);
  }
  if (state.lastError !== undefined) out.lastError = clip(state.lastError, OUTCOME_LIMITS.message);
  if (state.notification.error !== undefined) {
    out.notification = {
      ...state.notification,
      error: clip(state.notification.error, OUTCOME_LIMITS.reason),
    };
  }
  out.rejects = state.rejects.slice(0, OUTCOME_LIMITS.rejectsInline).map((r) => ({
    code: clip(r.code, 64),
    reason: clip(r.reason, OUTCOME_LIMITS.reason),
    position: boundedPosition(r.position),
  }));
  if (state.owed) {
    // At most MAX_OWED + 1 by the protocol (claim.ts): nothing is cut here, or a step would be lost.
    out.owed = state.owed.map((o) =>
      o.error
        ? {
            ...o,
            error: { code: clip(o.error.code, 64), message: clip(o.error.message, OUTCOME_LIMITS.message) },
          }
        : o,
    );
  }
  return out;
}
