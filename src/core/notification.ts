import type { FileState, Notification } from './ports.ts';

/** The one notification a file's outcome sends: text for people (as the seed), JSON for machines. */
export function notificationFor(state: FileState): Notification {
  const failed = state.status === 'FAILED';
  const text = failed
    ? `File failed: ${state.key}\nReason: ${state.error?.message ?? 'unknown'}\nBucket: ${state.bucket}\nRoute: ${state.route}`
    : `New file processed: ${state.key}\nRecords written: ${state.counts.written}${state.counts.rejected ? `, rejected: ${state.counts.rejected}` : ''}\nBucket: ${state.bucket}\nRoute: ${state.route}`;
  const json: Record<string, unknown> = {
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
    rejectsKey: state.rejectsKey,
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
    },
  };
}
