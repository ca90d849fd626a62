import { type EventlineConfig, visibilityTimeoutSeconds } from '@eventline/config';
import { keyOf } from './printing.ts';

/**
 * What a stop of the local stack cut: the files of ingest messages whose invocation was still
 * running when the grace period ended. Their messages stay in flight on the ingest queue (SQS keeps
 * them across restarts) and come back when its visibility timeout ends, as on Lambda.
 */
export interface StopReport {
  /** Keys of the files whose invocation was cut (one per message; a batch may hold several). */
  cut: string[];
  /** When the cut messages come back: the ingest queue's visibility timeout, from their delivery. */
  visibilityTimeoutSeconds: number;
  /** Invocations of the direct trigger still running: their events stay journaled, run at the next start. */
  journaled: number;
}

/** The report of a stop, from the bodies of the ingest messages still in flight at the grace's end. */
export function stopReport(config: EventlineConfig, bodies: string[], journaled = 0): StopReport {
  const cut = bodies.map((body) => {
    try {
      return keyOf(JSON.parse(body) as Record<string, unknown>);
    } catch {
      return '(a message that is not an S3 event)';
    }
  });
  return { cut, visibilityTimeoutSeconds: visibilityTimeoutSeconds(config), journaled };
}
