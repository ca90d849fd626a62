import type { FileCounts, FileState } from './ports.ts';

/** What processing one object version came to, as the handler reports it. */
export type OutcomeStatus =
  | 'processed'
  | 'failed'
  | 'duplicate'
  | 'stale'
  | 'ignored'
  | 'superseded'
  | 'finished';

export interface Outcome {
  status: OutcomeStatus;
  bucket: string;
  key: string;
  route?: string;
  counts?: FileCounts;
  error?: { code: string; message: string };
  notification?: FileState['notification'];
  durationMs?: number;
}

/** Messages quote input (a cell, a number): keep them small enough for an item, an SNS or SQS message. */
export function clip(text: string, max = 1024): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
