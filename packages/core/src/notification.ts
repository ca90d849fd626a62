import { createHash } from 'node:crypto';
import type { FileState, Notification } from './ports.ts';

/**
 * The same for every notification about one outcome of one object version (bucket, key, version,
 * sequencer, status), whoever sends it and however often: a subscriber drops a repeated key. The
 * one duplicate it catches comes from a crash between Publish and recording it.
 */
export function idempotencyKey(state: FileState): string {
  const identity = [
    state.bucket,
    state.key,
    state.versionId ?? '',
    state.sequencer ?? state.eTag ?? '',
    state.status,
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** The one notification a file's outcome sends: text for people (as the seed), JSON for machines. */
export function notificationFor(state: FileState): Notification {
  const failed = state.status === 'FAILED';
  const text = failed
    ? `File failed: ${state.key}\nReason: ${state.error?.message ?? 'unknown'}\nBucket: ${state.bucket}\nRoute: ${state.route}`
    : `New file processed: ${state.key}\nRecords written: ${state.counts.written}${state.counts.rejected ? `, rejected: ${state.counts.rejected}` : ''}\nBucket: ${state.bucket}\nRoute: ${state.route}`;
  const key = idempotencyKey(state);
  const json: Record<string, unknown> = {
    idempotencyKey: key,
    message: failed ? `File failed: ${state.key}` : `New file processed: ${state.key}`,
    status: state.status,
    bucket: state.bucket,
    key: state.key,
    versionId: state.versionId,
    eTag: state.eTag,
    route: state.route,
    records: state.counts,
    durationMs: state.durationMs,
    error: state.error,
    sequencer: state.sequencer,
    rejectsKey: state.rejectsKey,
    errorKey: state.errorKey,
    processedAt: state.finishedAt,
  };
  return {
    subject: failed ? 'S3 Event Failed' : 'S3 Event Processed',
    text,
    json,
    attributes: {
      status: { type: 'String', value: state.status },
      route: { type: 'String', value: state.route },
      bucket: { type: 'String', value: state.bucket },
      records: { type: 'Number', value: String(state.counts.written) },
      idempotencyKey: { type: 'String', value: key },
    },
  };
}
