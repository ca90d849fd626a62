import { createHash } from 'node:crypto';
import type { FileState, Notification } from './ports.ts';

/**
 * The same for every notification about one outcome of one object version, whoever sends it and
 * however often: a subscriber drops a repeated key. It hashes the object version alone (bucket,
 * key, the versionId, else the ETag) and the status, never what the triggering event carried (an
 * S3 event's sequencer, which backfill, reconcile and restart events lack: invariant I8 of
 * docs/protocol.md). The one duplicate it catches comes from a crash between Publish and recording
 * it. Two writes of identical content to an unversioned object share an ETag, hence a key.
 */
export function idempotencyKey(
  state: Pick<FileState, 'bucket' | 'key' | 'versionId' | 'eTag' | 'sequencer' | 'status'>,
): string {
  const identity = [
    state.bucket,
    state.key,
    state.versionId || state.eTag || state.sequencer || '',
    state.status,
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/**
 * Whether a file's outcome publishes a notification of its own, by its route's `notify` policy: `each`
 * (the default), `failures`, `none`, or a digest (failures only with `failuresImmediately`). An outcome that needs none records its notification step as
 * NOT_NEEDED, so no retry, redrive or later claim owes it.
 */
export function notificationWanted(
  routes: ReadonlyArray<{
    id: string;
    notify?: 'each' | 'failures' | 'none' | { digest: { failuresImmediately?: boolean } };
  }>,
  routeId: string,
  status: 'PROCESSED' | 'FAILED',
): boolean {
  const policy = routes.find((route) => route.id === routeId)?.notify ?? 'each';
  // A digest counts the outcome in its window (digest.ts); a failure may also be sent at once.
  if (typeof policy === 'object') return status === 'FAILED' && policy.digest.failuresImmediately === true;
  return policy === 'each' || (policy === 'failures' && status === 'FAILED');
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
    contentType: state.contentType,
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
      // An `object` route's file: its type detected from its bytes, for filters such as {"prefix": "image/"}.
      ...(state.contentType ? { contentType: { type: 'String', value: state.contentType } } : {}),
    },
  };
}
