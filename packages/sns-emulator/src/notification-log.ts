import { readFileSync, statSync } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { dropTornTailSync, writeFileDurable } from '@eventline/durable-file';
import { SnsStateError } from './errors.ts';
import type { DeliveryStatus, NotificationQuery, PublishedMessage } from './types.ts';

/**
 * Published messages and what became of each delivery. Kept in memory (the most recent
 * `historyLimit`) and, with a data directory, in `notifications.ndjson`: one line per publish and
 * one per delivery outcome, appended in order. On start the file is replayed (a torn last line from
 * a crash is skipped) and compacted when it has grown well past the limit; deliveries still
 * `pending` there are handed back so the service can finish them.
 */

export const LOG_FILE = 'notifications.ndjson';

type LogLine =
  | { type: 'published'; message: PublishedMessage }
  | { type: 'delivery'; messageId: string; delivery: DeliveryStatus };

const COMPACT_FACTOR = 4;
const COMPACT_BYTES = 64 * 1024 * 1024;

const clone = (message: PublishedMessage): PublishedMessage => structuredClone(message);

export class NotificationLog {
  readonly #messages = new Map<string, PublishedMessage>();
  readonly #path: string | undefined;
  readonly #limit: number;
  #handle: Promise<FileHandle> | undefined;
  #tail: Promise<void> = Promise.resolve();
  #compactNeeded = false;
  /** Lines in the file that could not be read (a torn write), reported once by the service. */
  readonly skippedLines: number;

  constructor(options: { dataDir?: string; historyLimit: number }) {
    this.#limit = options.historyLimit;
    this.#path = options.dataDir ? join(options.dataDir, LOG_FILE) : undefined;
    this.skippedLines = this.#path ? this.#load(this.#path) : 0;
  }

  #load(path: string): number {
    let raw: string;
    let skipped = 0;
    try {
      // An unfinished last line is cut off first: the next append must start a line of its own
      // (glued to the fragment, the next publish would be lost from the file).
      if (dropTornTailSync(path) > 0) skipped++;
      raw = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new SnsStateError(path, `cannot read SNS notifications ${path}`, { cause: error });
    }
    let published = 0;
    for (const line of raw.split('\n')) {
      if (line.trim() === '') continue;
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        skipped++;
        continue;
      }
      if (entry.type === 'published') {
        published++;
        this.#remember(entry.message);
      } else if (entry.type === 'delivery') {
        this.#applyDelivery(entry.messageId, entry.delivery);
      }
    }
    if (published > this.#limit * COMPACT_FACTOR || statSync(path).size > COMPACT_BYTES)
      this.#compactNeeded = true;
    return skipped;
  }

  #remember(message: PublishedMessage): void {
    this.#messages.delete(message.messageId);
    this.#messages.set(message.messageId, message);
    while (this.#messages.size > this.#limit) {
      const oldest = this.#messages.keys().next().value;
      if (oldest === undefined) break;
      this.#messages.delete(oldest);
    }
  }

  #applyDelivery(messageId: string, delivery: DeliveryStatus): void {
    const message = this.#messages.get(messageId);
    if (!message) return;
    const index = message.deliveries.findIndex((d) => d.subscriptionArn === delivery.subscriptionArn);
    if (index >= 0) message.deliveries[index] = delivery;
    else message.deliveries.push(delivery);
  }

  /** Rewrites the file with only the retained messages, if loading found it oversized. */
  async compactIfNeeded(): Promise<boolean> {
    const path = this.#path;
    if (!path || !this.#compactNeeded) return false;
    this.#compactNeeded = false;
    const body = [...this.#messages.values()]
      .map((message) => `${JSON.stringify({ type: 'published', message } satisfies LogLine)}\n`)
      .join('');
    try {
      await writeFileDurable(path, body);
    } catch (error) {
      throw new SnsStateError(path, `cannot compact SNS notifications ${path}`, { cause: error });
    }
    return true;
  }

  #append(line: LogLine): Promise<void> {
    const path = this.#path;
    if (!path) return Promise.resolve();
    const text = `${JSON.stringify(line)}\n`;
    const write = this.#tail.then(async () => {
      this.#handle ??= mkdir(join(path, '..'), { recursive: true }).then(() => open(path, 'a'));
      const handle = await this.#handle;
      await handle.appendFile(text);
    });
    // The chain goes on after a failed write; the failure is reported to that write's caller.
    this.#tail = write.catch(() => undefined);
    return write.catch((error: unknown) => {
      this.#handle = undefined;
      throw new SnsStateError(path, `cannot append to SNS notifications ${path}`, { cause: error });
    });
  }

  async published(message: PublishedMessage): Promise<void> {
    this.#remember(clone(message));
    await this.#append({ type: 'published', message });
  }

  async delivery(messageId: string, delivery: DeliveryStatus): Promise<void> {
    this.#applyDelivery(messageId, { ...delivery });
    await this.#append({ type: 'delivery', messageId, delivery });
  }

  /** Newest last; `limit` counts from the newest. */
  list(query: NotificationQuery = {}): PublishedMessage[] {
    let messages = [...this.#messages.values()];
    if (query.topicArn) messages = messages.filter((m) => m.topicArn === query.topicArn);
    const limit = query.limit ?? 100;
    return messages.slice(Math.max(0, messages.length - limit)).map(clone);
  }

  /** Deliveries that had not finished when the log was last written. */
  unfinished(): Array<{ message: PublishedMessage; delivery: DeliveryStatus }> {
    const out: Array<{ message: PublishedMessage; delivery: DeliveryStatus }> = [];
    for (const message of this.#messages.values()) {
      for (const delivery of message.deliveries) {
        if (delivery.status === 'pending') out.push({ message: clone(message), delivery: { ...delivery } });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#tail;
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}

/** Reads a data directory's notifications without a running service (for the CLI). */
export function readNotifications(
  dataDir: string,
  query: NotificationQuery = {},
  historyLimit = 1000,
): PublishedMessage[] {
  return new NotificationLog({ dataDir, historyLimit }).list(query);
}
