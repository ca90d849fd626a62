import { FIFO_ATTRIBUTES, SETTABLE_ATTRIBUTES } from './constants.ts';
import { queueDoesNotExist } from './errors.ts';
import type { LogRecord, StateLog } from './log.ts';
import { Queue } from './queue.ts';
import type { ChangeEvent, MoveTask, StoredMessage } from './types.ts';
import { type Input, requiredString } from './validation.ts';

/**
 * The emulator's state in memory: the queues, the move tasks and the message sequence, how the
 * state log is replayed into it and snapshotted out of it, and how a change is committed (written
 * to the log, then announced). The actions (`queues.ts`, `send.ts`, `receive.ts`, `receipts.ts`,
 * `move-tasks.ts`) are functions over it.
 */

export interface ServiceOptions {
  region: string;
  accountId: string;
  endpoint: () => string;
  log: StateLog;
  emit: (event: ChangeEvent) => void;
  warn: (message: string, details?: Record<string, unknown>) => void;
}

export interface CallContext {
  /** Aborted when the client goes away (a long poll then returns without taking messages). */
  signal: AbortSignal;
}

/** An action's answer, in its AWS JSON 1.0 shape. */
export type Output = Record<string, unknown>;

export class SqsState {
  readonly queues = new Map<string, Queue>();
  readonly tasks = new Map<string, MoveTask>();
  readonly options: ServiceOptions;
  #seq = 0;
  readonly #closing = new AbortController();

  constructor(options: ServiceOptions) {
    this.options = options;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Aborted at `close()`: ends long polls. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** The sequence number of the last message stored. */
  get lastSeq(): number {
    return this.#seq;
  }

  close(): void {
    this.#closing.abort();
    for (const queue of this.queues.values()) queue.wake();
  }

  // ---------- load, snapshot ----------

  /** Replays one record from the log (at start). */
  apply(record: LogRecord): void {
    const now = Date.now();
    switch (record.op) {
      case 'queue': {
        const existing = this.queues.get(record.queue.name);
        if (existing) existing.record = record.queue;
        else this.queues.set(record.queue.name, new Queue(record.queue, this.arnOf(record.queue.name)));
        return;
      }
      case 'dropQueue':
        this.queues.delete(record.name);
        return;
      case 'put': {
        this.#seq = Math.max(this.#seq, record.message.seq);
        this.queues.get(record.queue)?.place(record.message, now);
        return;
      }
      case 'recv': {
        const queue = this.queues.get(record.queue);
        const message = queue?.messages.get(record.id);
        if (!queue || !message) return;
        message.visibleAt = record.visibleAt;
        message.receiveCount = record.receiveCount;
        message.firstReceiveAt = record.firstReceiveAt;
        message.receipt = record.receipt;
        message.receivedAt = record.receivedAt;
        queue.place(message, now);
        return;
      }
      case 'vis': {
        const queue = this.queues.get(record.queue);
        const message = queue?.messages.get(record.id);
        if (!queue || !message) return;
        message.visibleAt = record.visibleAt;
        queue.place(message, now);
        return;
      }
      case 'del':
        this.queues.get(record.queue)?.remove(record.id);
        return;
      case 'purge': {
        const queue = this.queues.get(record.queue);
        if (!queue) return;
        for (const message of [...queue.messages.values()])
          if (message.seq <= record.upToSeq) queue.remove(message.id);
        return;
      }
      case 'task':
        this.tasks.set(record.task.handle, record.task);
        return;
      case 'dedup':
        if (record.entry.until > now)
          this.queues.get(record.queue)?.deduplication.set(record.entry.key, record.entry);
        return;
    }
  }

  snapshot(): LogRecord[] {
    const records: LogRecord[] = [];
    for (const queue of this.queues.values()) {
      records.push({ op: 'queue', queue: queue.record });
      for (const message of queue.messages.values()) records.push({ op: 'put', queue: queue.name, message });
      const now = Date.now();
      for (const entry of queue.deduplication.values())
        if (entry.until > now) records.push({ op: 'dedup', queue: queue.name, entry });
    }
    for (const task of this.tasks.values()) records.push({ op: 'task', task });
    return records;
  }

  liveRecords(): number {
    let count = this.tasks.size;
    for (const queue of this.queues.values()) count += 1 + queue.messages.size;
    return count;
  }

  // ---------- names ----------

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`;
  }

  urlOf(name: string): string {
    return `${this.options.endpoint().replace(/\/+$/, '')}/${this.options.accountId}/${name}`;
  }

  /** The queue a QueueUrl names (a URL with `/<account>/<name>`, or a bare name). */
  queueFromUrl(url: string): Queue {
    let name = url;
    if (url.includes('/')) {
      let path = url;
      try {
        path = new URL(url).pathname;
      } catch {
        // a path without a scheme and host
      }
      const parts = path.split('/').filter((part) => part !== '');
      if (parts.length !== 2 || parts[0] !== this.options.accountId) throw queueDoesNotExist();
      name = parts[1] as string;
    }
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  /** The queue an input's `QueueUrl` names. */
  queueOf(input: Input): Queue {
    return this.queueFromUrl(requiredString(input, 'QueueUrl'));
  }

  queueByArn(arn: string): Queue | undefined {
    const parts = arn.split(':');
    if (
      parts.length !== 6 ||
      parts[0] !== 'arn' ||
      parts[2] !== 'sqs' ||
      parts[3] !== this.options.region ||
      parts[4] !== this.options.accountId
    )
      return undefined;
    return this.queues.get(parts[5] as string);
  }

  /** A queue attribute as set, or its default. */
  effectiveAttribute(queue: Queue, name: string): string | undefined {
    const stored = queue.record.attributes[name];
    if (stored !== undefined) return stored;
    if (name in SETTABLE_ATTRIBUTES)
      return SETTABLE_ATTRIBUTES[name as keyof typeof SETTABLE_ATTRIBUTES].default;
    if (name === 'SqsManagedSseEnabled') return 'true';
    if (queue.fifo && name in FIFO_ATTRIBUTES)
      return FIFO_ATTRIBUTES[name as keyof typeof FIFO_ATTRIBUTES].default;
    return undefined;
  }

  // ---------- changes ----------

  /** Places a message in `queue` with the next sequence number; returns its log record. */
  store(queue: Queue, message: StoredMessage, now: number): LogRecord {
    message.seq = ++this.#seq;
    if (queue.fifo) message.sequenceNumber ??= String(message.seq).padStart(20, '0');
    queue.place(message, now);
    return { op: 'put', queue: queue.name, message };
  }

  /** Writes `records` to the log, then announces `event` (when it counts anything). */
  async commit(records: LogRecord[], event?: ChangeEvent): Promise<void> {
    await this.options.log.append(records);
    if (event && event.count > 0) this.emit(event);
  }

  /** Announces a change; a listener that throws is reported, not propagated. */
  emit(event: ChangeEvent): void {
    try {
      this.options.emit(event);
    } catch (error) {
      this.options.warn('sqs: a change listener threw', { error: (error as Error).message });
    }
  }

  /** Drops messages past their queue's retention period. */
  sweepRetention(): void {
    const now = Date.now();
    for (const queue of this.queues.values()) {
      const retentionMs = queue.numeric('MessageRetentionPeriod') * 1000;
      const records: LogRecord[] = [];
      for (const message of [...queue.messages.values()]) {
        if (message.sentAt + retentionMs > now) continue;
        queue.remove(message.id);
        records.push({ op: 'del', queue: queue.name, id: message.id });
      }
      if (records.length === 0) continue;
      this.commit(records, { kind: 'expired', queue: queue.name, count: records.length }).catch(
        (error: unknown) => {
          this.options.warn('sqs: could not record expired messages', { error: (error as Error).message });
        },
      );
    }
  }
}
