import { EventEmitter } from 'node:events';
import type { Context } from 'aws-lambda';
import { errorMessage } from './errors.ts';
import type { EventJournal, JournalEntry } from './journal.ts';

/**
 * Lambda's asynchronous invocation, on one machine (docs/reference/aws-wire-formats.md §7): events wait in a queue,
 * at most `concurrency` run at once (the reserved concurrency), a failed invocation is retried
 * `retryAttempts` times after growing delays, and then goes to the dead-letter queue as an
 * on-failure invocation record. Events are journaled first, so a crash loses none.
 */

/** Lambda's longest function timeout: a context's remaining time counts down from it unless told otherwise. */
export const MAX_FUNCTION_TIMEOUT_MS = 900_000;

/** What the invoker logs (a Powertools-style logger fits). */
export interface InvokerLogger {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** An invocation that will not be retried any more, for the on-failure destination (Lambda's invocation record). */
export interface OnFailureRecord {
  /** The condition: `RetriesExhausted` or `EventAgeExceeded`. */
  code: string;
  reason: string;
  /** The invocation record Lambda sends to an on-failure destination. */
  event: Record<string, unknown>;
  failedAt: string;
  attempts: number;
}

/**
 * How the invoker treats a failed invocation: `'throttled'` waits and runs it again without counting an
 * attempt (as Lambda does for a throttle), `'failed'` counts an attempt and retries after the next delay.
 */
export type FailureKind = 'throttled' | 'failed';

export interface InvokerOptions {
  concurrency: number;
  retryAttempts: number;
  /** Delay before retry n (AWS waits about 1 and 2 minutes; locally it is seconds by default). */
  retryDelaysMs: number[];
  maxEventAgeMs: number;
  /** The function timeout: each invocation's context counts down from it. */
  timeoutMs?: number;
  invoke: (event: Record<string, unknown>, context: Context) => Promise<unknown>;
  journal: EventJournal;
  /** The on-failure destination (or dead-letter queue): where an event goes when no retry is left. */
  deadLetters: { send(record: OnFailureRecord): Promise<void> };
  logger: InvokerLogger;
  functionArn: string;
  /** The retry decision for a failure (every failure counts as `'failed'` unless told). */
  classifyFailure?: (error: unknown) => FailureKind;
  /** How long a throttled invocation waits before it runs again (250 ms unless told). */
  throttleDelayMs?: number;
}

export interface InvocationResult {
  entry: JournalEntry;
  ok: boolean;
  result?: unknown;
  error?: unknown;
  willRetry: boolean;
  durationMs: number;
}

const THROTTLE_DELAY_MS = 250;

export class AsyncInvoker extends EventEmitter {
  private readonly queue: JournalEntry[] = [];
  private running = 0;
  private waiting = 0;
  /** Events being journaled by `submit`: not queued yet, but already owed an invocation. */
  private journaling = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: InvokerOptions) {
    super();
  }

  get stats() {
    return { queued: this.queue.length, running: this.running, retrying: this.waiting };
  }

  /** Journals the event, then queues it. Resolves once it is durable. */
  async submit(entry: JournalEntry): Promise<void> {
    this.journaling += 1;
    try {
      await this.options.journal.add(entry);
      this.enqueue(entry);
    } finally {
      this.journaling -= 1;
      this.notifyIdle();
    }
  }

  /** Queues an event that is already journaled (recovery after a restart). */
  enqueue(entry: JournalEntry): void {
    if (this.stopped) return;
    this.queue.push(entry);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.concurrency && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.running += 1;
      const run = this.run(entry)
        .catch((error: unknown) =>
          // Bookkeeping failed (the journal or the dead-letter queue could not be written): the
          // journal entry stays, and the next start re-drives the event.
          this.options.logger.error('invocation bookkeeping failed; the event stays journaled', {
            id: entry.id,
            error: errorMessage(error),
          }),
        )
        .finally(() => {
          this.running -= 1;
          this.inflight.delete(run);
          this.pump();
          this.notifyIdle();
        });
      this.inflight.add(run);
    }
  }

  private async run(entry: JournalEntry): Promise<void> {
    const started = Date.now();
    const attempt = entry.attempts + 1;
    const age = started - Date.parse(entry.enqueuedAt);
    if (age > this.options.maxEventAgeMs) {
      await this.deadLetter(
        entry,
        'EventAgeExceeded',
        new Error(`event older than ${this.options.maxEventAgeMs} ms`),
      );
      return;
    }
    try {
      const result = await this.options.invoke(entry.event, this.contextFor(entry, started));
      await this.options.journal.remove(entry.id);
      this.emit('result', {
        entry,
        ok: true,
        result,
        willRetry: false,
        durationMs: Date.now() - started,
      } satisfies InvocationResult);
    } catch (error) {
      if (this.options.classifyFailure?.(error) === 'throttled' && !this.stopped) {
        // Throttled (Lambda does not count an attempt): wait, then run it again.
        this.later(entry, this.options.throttleDelayMs ?? THROTTLE_DELAY_MS);
        return;
      }
      const next: JournalEntry = { ...entry, attempts: attempt };
      const willRetry = attempt <= this.options.retryAttempts && !this.stopped;
      this.emit('result', {
        entry,
        ok: false,
        error,
        willRetry,
        durationMs: Date.now() - started,
      } satisfies InvocationResult);
      if (willRetry) {
        const delay = this.options.retryDelaysMs[attempt - 1] ?? this.options.retryDelaysMs.at(-1) ?? 1000;
        this.options.logger.warn('invocation failed; retrying', {
          id: entry.id,
          attempt,
          retryInMs: delay,
          error: errorMessage(error),
        });
        await this.options.journal.add(next);
        this.later(next, delay);
      } else if (!this.stopped) {
        await this.deadLetter(next, 'RetriesExhausted', error);
      }
    }
  }

  /** A Lambda-shaped context; its remaining time counts down from the function timeout. */
  private contextFor(entry: JournalEntry, started: number): Context {
    const timeoutMs = this.options.timeoutMs ?? MAX_FUNCTION_TIMEOUT_MS;
    const functionName = this.options.functionArn.split(':').at(-1) ?? 'handler';
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.options.functionArn,
      memoryLimitInMB: '512',
      awsRequestId: entry.id,
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
  }

  /** Queues the event again after `delay`; it counts as waiting, so `idle()` waits for it. */
  private later(entry: JournalEntry, delay: number): void {
    this.waiting += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waiting -= 1;
      this.enqueue(entry);
      this.notifyIdle();
    }, delay);
    this.timers.add(timer);
  }

  private async deadLetter(entry: JournalEntry, condition: string, error: unknown): Promise<void> {
    const now = new Date().toISOString();
    await this.options.deadLetters.send({
      code: condition,
      reason: errorMessage(error),
      event: {
        version: '1.0',
        timestamp: now,
        requestContext: {
          requestId: entry.id,
          functionArn: this.options.functionArn,
          condition,
          approximateInvokeCount: entry.attempts,
        },
        requestPayload: entry.event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: {
          errorType: error instanceof Error ? error.name : 'Error',
          errorMessage: errorMessage(error),
        },
      },
      failedAt: now,
      attempts: entry.attempts,
    });
    await this.options.journal.remove(entry.id);
    this.options.logger.error('invocation dead-lettered', {
      id: entry.id,
      condition,
      error: errorMessage(error),
    });
    this.emit('dead-letter', { entry, condition, error });
  }

  private isIdle(): boolean {
    return this.journaling === 0 && this.running === 0 && this.waiting === 0 && this.queue.length === 0;
  }

  private notifyIdle(): void {
    if (this.isIdle()) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when nothing is being journaled, queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking work; running invocations finish (up to `graceMs`). Queued events and pending
   * retries stay in the journal and run on the next start.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiting = 0;
    this.queue.length = 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    this.notifyIdle();
  }
}
