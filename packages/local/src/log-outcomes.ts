import type { Outcome, StepStatus } from '@eventline/core';

/**
 * A file's outcome from the pipeline's own log lines, as they appear in the function's logs (the
 * Powertools JSON lines of an instance, or the in-process logger's calls): in queue mode the handler
 * answers an SQS batch with its failures only, so the log is where the local stack learns, per file,
 * what happened, as CloudWatch Logs Insights would on AWS.
 */
export function outcomeOfLog(message: string, fields: Record<string, unknown>): Outcome | undefined {
  const bucket = typeof fields.bucket === 'string' ? fields.bucket : undefined;
  const key = typeof fields.key === 'string' ? fields.key : undefined;
  if (!bucket || !key) return undefined;
  const route = typeof fields.route === 'string' ? { route: fields.route } : {};
  switch (message) {
    case 'file processed':
    case 'file failed': {
      const written = Number(fields.records ?? 0);
      const rejected = Number(fields.rejected ?? 0);
      const outcome: Outcome = {
        status: message === 'file failed' ? 'failed' : 'processed',
        bucket,
        key,
        ...route,
        // What the log line says; read, duplicates and bytes are in the ledger, not the line.
        counts: { read: written + rejected, written, rejected, duplicates: 0, bytes: 0 },
      };
      if (typeof fields.durationMs === 'number') outcome.durationMs = fields.durationMs;
      if (typeof fields.notification === 'string') {
        outcome.notification = { status: fields.notification as StepStatus };
      }
      if (typeof fields.reason === 'string') outcome.error = { code: 'failed', message: fields.reason };
      return outcome;
    }
    case 'file paused before the invocation ends; it continues in another': {
      // The file's counts so far, across invocations (`written` and `rejected`; lines of older
      // handlers carry only `records`, the checkpoint's records handled).
      const read = Number(fields.records ?? 0);
      const written = Number(fields.written ?? read);
      const rejected = Number(fields.rejected ?? 0);
      return {
        status: 'continued',
        bucket,
        key,
        ...route,
        counts: { read, written, rejected, duplicates: 0, bytes: 0 },
        ...(typeof fields.segment === 'number' ? { segments: fields.segment } : {}),
      };
    }
    case 'duplicate event: this object version already has its outcome':
      return { status: 'duplicate', bucket, key, ...route };
    case 'older version than the ledger holds; skipped':
      return { status: 'stale', bucket, key, ...route };
    // Hole 12: a newer version sent again for after an older version's lease (pipeline.ts `defer`).
    case 'an older version holds the file; this newer version waits for its lease':
      return { status: 'deferred', bucket, key, ...route };
    default:
      return undefined;
  }
}
