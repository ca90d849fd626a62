import type { Logger, Outcome } from '@eventline/core';
import { errorMessage } from '@eventline/core';
import type { BatchReport, InvocationResult, JournalEntry } from '@eventline/lambda-emulator';
import type { Activity } from './activity.ts';
import { outcomeOfLog } from './log-outcomes.ts';
import { clock, describeOutcome, keyOf, sizeOf } from './printing.ts';

/** What reporting outcomes needs of the stack. */
export interface OutcomeContext {
  activity: Activity;
  print: (line: string) => void;
  /** Queue mode: outcomes come from the pipeline's log lines; direct mode: from invocation results. */
  queueMode: () => boolean;
  /** A route's notify policy (a digest route's files say they go in its digest). */
  notifyOf?: (route: string) => unknown;
}

/**
 * Each file's outcome, retry and dead letter, whichever way it comes back (an invocation's result, a
 * batch report, the pipeline's log line): into the activity and one printed line. Keeps the last
 * failure of each ingest message (by MessageId, which SQS keeps in the DLQ), for `dlq list`.
 */
export class OutcomeReporter {
  private readonly reasons = new Map<string, string>();
  /** Ingest messages whose last attempt found their file held by another invocation: until when. */
  private readonly holds = new Map<string, number>();

  constructor(private readonly context: OutcomeContext) {}

  /** The last failure reason of an ingest message, if one was seen. */
  failureReason(messageId: string): string | undefined {
    return this.reasons.get(messageId);
  }

  /**
   * Until when another invocation holds the file of an ingest message, as its last attempt logged;
   * read once, by the event source settling the batch.
   */
  takeHold(messageId: string): number | undefined {
    const until = this.holds.get(messageId);
    this.holds.delete(messageId);
    return until;
  }

  /** The invoker gave up on an event: its on-failure record went to the event DLQ. */
  onDeadLetter({
    entry,
    condition,
    error,
  }: {
    entry: JournalEntry;
    condition: string;
    error: unknown;
  }): void {
    this.context.activity.counters.deadLettered += 1;
    const key = keyOf(entry.event);
    this.context.activity.record({
      at: new Date().toISOString(),
      kind: 'dead-letter',
      key,
      reason: errorMessage(error),
    });
    this.context.print(`${clock()} ☠ ${key} → dead-lettered (${condition}): ${errorMessage(error)}`);
  }

  /** The pipeline's logger, seen by the stack: each file's outcome line feeds the activity and the log. */
  observingOutcomes(logger: Logger): Logger {
    const observe =
      (level: keyof Logger) =>
      (message: string, extra?: Record<string, unknown>): void => {
        logger[level](message, extra);
        this.observeLogLine(message, extra ?? {});
      };
    return { debug: observe('debug'), info: observe('info'), warn: observe('warn'), error: observe('error') };
  }

  private rememberFailure(messageId: string, reason: string): void {
    this.reasons.delete(messageId);
    this.reasons.set(messageId, reason);
    if (this.reasons.size > 10_000) {
      const oldest = this.reasons.keys().next().value;
      if (oldest !== undefined) this.reasons.delete(oldest);
    }
  }

  observeLogLine(message: string, fields: Record<string, unknown>): void {
    // In direct mode outcomes come back as the invocation's result (onResult).
    if (!this.context.queueMode()) return;
    if (message === 'message will be retried' && typeof fields.messageId === 'string') {
      // `error` is a string, or describeError's shape ({ name, message, cause, ... }).
      const error = fields.error as
        | string
        | { message?: unknown; name?: unknown; code?: unknown; heldUntil?: unknown }
        | undefined;
      const reason =
        typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : undefined;
      if (reason) this.rememberFailure(fields.messageId, reason);
      // Held by another invocation ('in-progress', with its lease end); anything else, even a lost
      // race for the claim ('contention'), holds nothing back.
      const until =
        typeof error === 'object' && error?.name === 'InProgressError' && typeof error.heldUntil === 'string'
          ? Date.parse(error.heldUntil)
          : Number.NaN;
      this.holds.delete(fields.messageId);
      if (!Number.isNaN(until)) {
        this.holds.set(fields.messageId, until);
        if (this.holds.size > 10_000) this.holds.delete(this.holds.keys().next().value!);
      }
    }
    const outcome = outcomeOfLog(message, fields);
    if (!outcome) return;
    this.context.activity.recordOutcome(outcome);
    this.context.print(describeOutcome(outcome, this.context.notifyOf));
  }

  onBatch(report: BatchReport): void {
    if (report.outcome === 'ok') return;
    // A batch that failed as a whole (timeout, crash, an error outside the records): its reason,
    // unless a record's own log line said more.
    if (report.error && !report.error.startsWith('All records failed processing')) {
      for (const id of report.returnedIds) this.rememberFailure(id, report.error);
    }
    this.context.activity.counters.retries += report.returned;
    this.context.activity.record({
      at: new Date().toISOString(),
      kind: 'retry',
      key: `(batch of ${report.size})`,
      reason: report.error ?? `${report.returned} item(s) reported as failed`,
    });
    this.context.print(
      `${clock()} ↻ batch of ${report.size}: ${report.returned} message(s) return to the ingest queue${report.atVisibilityTimeout ? ' after its visibility timeout, as on Lambda' : ''}${report.heldBack ? ` (${report.heldBack} for the last time, after the lease of the invocation that holds the file)` : ''}${report.error ? `: ${report.error}` : ''}`,
    );
  }

  onResult(result: InvocationResult): void {
    const key = keyOf(result.entry.event);
    if (!result.ok) {
      this.context.activity.counters.retries += result.willRetry ? 1 : 0;
      this.context.activity.record({
        at: new Date().toISOString(),
        kind: 'retry',
        key,
        reason: errorMessage(result.error),
        attempt: result.entry.attempts + 1,
      });
      if (result.willRetry) {
        this.context.print(
          `${clock()} ↻ ${key} → attempt ${result.entry.attempts + 1} failed, will retry: ${errorMessage(result.error)}`,
        );
      }
      return;
    }
    const outcomes = (result.result as { outcomes?: Outcome[] } | undefined)?.outcomes ?? [];
    const size = sizeOf(result.entry.event);
    for (const outcome of outcomes) {
      this.context.activity.recordOutcome(outcome, size);
      this.context.print(describeOutcome(outcome, this.context.notifyOf));
    }
  }
}
