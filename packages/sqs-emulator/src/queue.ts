/**
 * One SQS queue's state in memory: messages, visibility and delay, redrive (Queue below).
 */
import { type NumericAttribute, SETTABLE_ATTRIBUTES } from './constants.ts';
import { VisibilityHeap } from './heap.ts';
import type { DeduplicationEntry, QueueRecord, StoredMessage } from './types.ts';

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/**
 * One queue in memory: its messages, those available for receipt (in the order they became
 * available), and a heap of hidden ones (delayed or in flight) by the time they become visible.
 * Heap entries are not removed when a message is deleted or its visibility changes; a popped entry
 * counts only if it still matches the message.
 */
export class Queue {
  record: QueueRecord;
  readonly arn: string;
  readonly messages = new Map<string, StoredMessage>();
  readonly available = new Set<string>();
  /** FIFO: deduplication ids seen in the last five minutes, by key (scope-dependent). */
  readonly deduplication = new Map<string, DeduplicationEntry>();
  readonly #hidden = new VisibilityHeap();
  readonly #waiters = new Set<() => void>();

  constructor(record: QueueRecord, arn: string) {
    this.record = record;
    this.arn = arn;
  }

  get name(): string {
    return this.record.name;
  }

  get fifo(): boolean {
    return this.record.attributes.FifoQueue === 'true';
  }

  numeric(name: NumericAttribute): number {
    return Number(this.record.attributes[name] ?? SETTABLE_ATTRIBUTES[name].default);
  }

  redrivePolicy(): RedrivePolicy | undefined {
    const raw = this.record.attributes.RedrivePolicy;
    if (!raw) return undefined;
    return JSON.parse(raw) as RedrivePolicy;
  }

  /** Puts a new or changed message where its visibility says; wakes long polls if it is available. */
  place(message: StoredMessage, now: number): void {
    this.messages.set(message.id, message);
    this.available.delete(message.id);
    if (message.visibleAt <= now) {
      this.available.add(message.id);
      this.wake();
    } else {
      this.#hidden.push({ at: message.visibleAt, id: message.id });
    }
  }

  remove(id: string): StoredMessage | undefined {
    const message = this.messages.get(id);
    this.messages.delete(id);
    this.available.delete(id);
    return message;
  }

  /** Moves hidden messages whose time has come into the available set. */
  promote(now: number): void {
    let woke = false;
    for (let top = this.#hidden.peek(); top && top.at <= now; top = this.#hidden.peek()) {
      this.#hidden.pop();
      const message = this.messages.get(top.id);
      if (!message || message.visibleAt !== top.at || this.available.has(top.id)) continue;
      this.available.add(top.id);
      woke = true;
    }
    if (woke) this.wake();
  }

  /** When the next hidden message may become visible (may be stale: callers re-check). */
  nextVisibleAt(): number | undefined {
    return this.#hidden.peek()?.at;
  }

  counts(now: number): { available: number; inFlight: number; delayed: number; oldestSentAt?: number } {
    this.promote(now);
    let inFlight = 0;
    let delayed = 0;
    let oldestSentAt: number | undefined;
    for (const message of this.messages.values()) {
      if (oldestSentAt === undefined || message.sentAt < oldestSentAt) oldestSentAt = message.sentAt;
      if (this.available.has(message.id)) continue;
      if (message.receipt !== undefined) inFlight++;
      else delayed++;
    }
    return { available: this.available.size, inFlight, delayed, oldestSentAt };
  }

  /** Resolves when something may have become available, after `ms`, or on abort. */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  clearMessages(): void {
    this.messages.clear();
    this.available.clear();
    this.#hidden.clear();
  }
}
