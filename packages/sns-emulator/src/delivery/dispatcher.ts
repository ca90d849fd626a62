import type { EventEmitter } from 'node:events';
import { DeliveryError } from '../errors.ts';
import type { DeliveryEvent, Logger, Protocol } from '../types.ts';

/**
 * Runs deliveries in the background with SNS's default HTTP policy: an attempt, then `retries`
 * more `retryDelayMs` apart (linear); an answer 200–499 is delivered, anything else or no answer
 * is a failure. A bounded number of attempts run at once. `close()` lets running attempts finish
 * (each is bounded by its own timeout) and stops the waits between retries: those deliveries stay
 * `pending` and, with a data directory, are resumed at the next start.
 */

export interface DeliveryTarget {
  messageId: string;
  messageType: DeliveryEvent['messageType'];
  subscriptionArn: string;
  protocol: Protocol;
  endpoint: string;
}

export interface AttemptResult {
  statusCode?: number;
}

export interface DeliveryJob extends DeliveryTarget {
  /** Attempts already made (a resumed delivery continues its count). */
  attemptsMade?: number;
  /** One attempt; throws DeliveryError (or anything) on failure. */
  attempt(): Promise<AttemptResult>;
  /** False when the delivery is no longer wanted (subscription gone): no further attempt. */
  stillWanted?(): boolean;
  /** Told after every attempt; `final` once the delivery is settled either way. */
  onProgress?(progress: DeliveryProgress): Promise<void>;
}

export interface DeliveryProgress {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  statusCode?: number;
  error?: string;
}

export interface DispatcherOptions {
  retries: number;
  retryDelayMs: number;
  concurrency: number;
  events: EventEmitter;
  logger: Logger;
}

/** 200–499 counts as delivered (4xx is not retried), as SNS does for HTTP/S. */
export const isDelivered = (statusCode: number): boolean => statusCode >= 200 && statusCode < 500;

export class DeliveryDispatcher {
  readonly #options: DispatcherOptions;
  readonly #running = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  readonly #waiting: Array<() => void> = [];
  #active = 0;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  get closing(): boolean {
    return this.#stop.signal.aborted;
  }

  enqueue(job: DeliveryJob): void {
    if (this.closing) return;
    const run = this.#run(job).catch((error: unknown) => {
      this.#options.logger.error('SNS delivery crashed', { messageId: job.messageId, error });
    });
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
  }

  async #run(job: DeliveryJob): Promise<void> {
    const maxAttempts = this.#options.retries + 1;
    let attempts = job.attemptsMade ?? 0;
    while (attempts < maxAttempts) {
      if (attempts > 0 && !(await this.#sleep(this.#options.retryDelayMs))) return;
      if (job.stillWanted && !job.stillWanted()) {
        await job.onProgress?.({ status: 'failed', attempts, error: 'subscription no longer exists' });
        return;
      }
      const outcome = await this.#attempt(job);
      // Closed while waiting for a free slot: the delivery stays pending.
      if (!outcome) return;
      attempts++;
      const base = { ...this.#target(job), attempt: attempts };
      if (outcome.ok) {
        this.#options.events.emit('delivered', {
          ...base,
          statusCode: outcome.statusCode,
        } satisfies DeliveryEvent);
        await job.onProgress?.({ status: 'delivered', attempts, ...statusOf(outcome) });
        return;
      }
      const final = attempts >= maxAttempts;
      this.#options.events.emit('delivery-failed', {
        ...base,
        ...statusOf(outcome),
        error: outcome.error,
        final,
      } satisfies DeliveryEvent);
      this.#options.logger.warn(
        final ? 'SNS delivery failed, no retry left' : 'SNS delivery attempt failed',
        {
          ...base,
          error: outcome.error,
        },
      );
      await job.onProgress?.({
        status: final ? 'failed' : 'pending',
        attempts,
        error: outcome.error,
        ...statusOf(outcome),
      });
    }
  }

  #target(job: DeliveryJob): DeliveryTarget {
    const { messageId, messageType, subscriptionArn, protocol, endpoint } = job;
    return { messageId, messageType, subscriptionArn, protocol, endpoint };
  }

  async #attempt(
    job: DeliveryJob,
  ): Promise<
    { ok: true; statusCode?: number } | { ok: false; statusCode?: number; error: string } | undefined
  > {
    await this.#acquire();
    try {
      if (this.closing) return undefined;
      const result = await job.attempt();
      if (result.statusCode === undefined || isDelivered(result.statusCode)) {
        return { ok: true, ...(result.statusCode === undefined ? {} : { statusCode: result.statusCode }) };
      }
      return { ok: false, statusCode: result.statusCode, error: `HTTP ${result.statusCode}` };
    } catch (error) {
      const statusCode = error instanceof DeliveryError ? error.statusCode : undefined;
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, ...(statusCode === undefined ? {} : { statusCode }), error: message };
    } finally {
      this.#release();
    }
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.#options.concurrency) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }

  /** Resolves true after `ms`, false at once when the dispatcher closes. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Deliveries started and not yet settled or parked. */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Resolves when every delivery has settled (for tests and the CLI; not needed for correctness). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Stops retry waits, then waits up to `timeoutMs` for attempts in progress. Returns those still running. */
  async close(timeoutMs: number): Promise<number> {
    this.#stop.abort();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.idle(), timeout]);
    clearTimeout(timer);
    return this.#running.size;
  }
}

function statusOf(outcome: { statusCode?: number }): { statusCode?: number } {
  return outcome.statusCode === undefined ? {} : { statusCode: outcome.statusCode };
}
