/**
 * The local stack's dead letters: the pipeline's dead-letter port plus listing and ending letters, on
 * files (FileDeadLetterQueue) or on the stack's SQS queues (SqsDeadLetterStore).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { SqsDeadLetters } from '@eventline/aws/sdk';
import type { DeadLetter, DeadLetterQueue } from '@eventline/core';
import { digestCloseOf, normaliseEvent, windowId } from '@eventline/core';
import { writeFileDurable } from '@eventline/durable-file';

export interface StoredDeadLetter extends DeadLetter {
  id: string;
}

/**
 * Dead letters as the local stack, its admin API and the CLI use them: the pipeline's port (send),
 * plus reading them and ending one (after a replay, or dropped by hand). A store on an SQS queue
 * implements the same three (receive, send, delete by the letter's id).
 */
export interface DeadLetterStore extends DeadLetterQueue {
  /** Oldest first. */
  list(): Promise<StoredDeadLetter[]>;
  /** Ends a letter; false when there is no letter with this id (already gone, or never was). */
  remove(id: string): Promise<boolean>;
}

/**
 * The local dead-letter queue: one JSON file per letter under `<dataDir>/dlq`, written atomically
 * (temp file, fsync, rename, fsync of the directory), so a crash never leaves half a letter and
 * nothing is lost across restarts.
 */
export class FileDeadLetterQueue implements DeadLetterStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'dlq');
  }

  async send(letter: DeadLetter): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const id = `${Date.now().toString().padStart(15, '0')}-${randomUUID()}`;
    const file = join(this.dir, `${id}.json`);
    await writeFileDurable(file, JSON.stringify({ id, ...letter }, null, 2));
  }

  /** Oldest first. */
  async list(): Promise<StoredDeadLetter[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const letters: StoredDeadLetter[] = [];
    for (const name of names) {
      try {
        letters.push(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as StoredDeadLetter);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return letters;
  }

  async remove(id: string): Promise<boolean> {
    if (!/^[0-9]+-[0-9a-f-]+$/.test(id)) return false;
    try {
      await rm(join(this.dir, `${id}.json`));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}

/** A queue the store reads letters from, and what its messages are. */
export interface LetterQueue {
  url: string;
  /**
   * `letters`: eventline's own letters (DLQ_URL, sent by the pipeline through SqsDeadLetters);
   * `events`: raw S3 events moved by SQS after maxReceiveCount (queue mode), or Lambda's on-failure
   * records (direct mode).
   */
  kind: 'letters' | 'events';
}

/** A letter read from SQS, with what it takes to end it. */
interface ClaimedLetter {
  letter: StoredDeadLetter;
  queueUrl: string;
  receiptHandle: string;
}

const LIST_VISIBILITY_SECONDS = 30;
const MAX_LETTERS = 100_000;

/**
 * Dead letters on SQS, as they are on AWS: the letters DLQ (eventline's own, written through the
 * same SqsDeadLetters adapter the deployed function uses) and the event DLQ (what SQS or Lambda put
 * there). Reading a queue means receiving every message (hidden for a moment) and making each visible
 * again; ending a letter means deleting its message with the receipt handle of a receive. A letter
 * being replayed stays hidden (claimed), so a second replay of it finds nothing.
 */
export class SqsDeadLetterStore implements DeadLetterStore {
  private readonly sender: SqsDeadLetters;
  private lock: Promise<unknown> = Promise.resolve();
  private closing = false;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: { letters: string; events: string },
    /** The last error seen for an ingest message (SQS moves the event alone, without a reason). */
    private readonly reasonOf: (messageId: string) => string | undefined = () => undefined,
  ) {
    this.sender = new SqsDeadLetters(sqs, queues.letters);
  }

  send(letter: DeadLetter): Promise<void> {
    return this.sender.send(letter);
  }

  /** Oldest first, across both queues. */
  list(): Promise<StoredDeadLetter[]> {
    return this.exclusive(async () => {
      const claimed = await this.receiveAll();
      await this.release(claimed);
      return claimed.map((c) => c.letter).sort((a, b) => a.failedAt.localeCompare(b.failedAt));
    });
  }

  /** Takes one letter out of sight (for `seconds`) to work on it; undefined when it is not there. */
  claim(id: string, seconds: number): Promise<ClaimedLetter | undefined> {
    return this.exclusive(async () => {
      const claimed = await this.receiveAll();
      const mine = claimed.find((c) => c.letter.id === id);
      await this.release(claimed.filter((c) => c !== mine));
      if (mine) {
        await this.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: mine.queueUrl,
            ReceiptHandle: mine.receiptHandle,
            VisibilityTimeout: seconds,
          }),
        );
      }
      return mine;
    });
  }

  /** Ends a claimed letter (replayed or dropped). */
  async complete(claimed: ClaimedLetter): Promise<void> {
    await this.sqs.send(
      new DeleteMessageCommand({ QueueUrl: claimed.queueUrl, ReceiptHandle: claimed.receiptHandle }),
    );
  }

  /** Puts a claimed letter back in sight (the replay could not finish). */
  async unclaim(claimed: ClaimedLetter): Promise<void> {
    await this.release([claimed]);
  }

  async remove(id: string): Promise<boolean> {
    const claimed = await this.claim(id, LIST_VISIBILITY_SECONDS);
    if (!claimed) return false;
    await this.complete(claimed);
    return true;
  }

  /**
   * Lets a listing or claim in flight finish, and refuses new ones. A listing takes the letters out
   * of sight to read them and puts them back: cut between the two (the stack stopping under it,
   * the console polling), it would leave them invisible for LIST_VISIBILITY_SECONDS after a restart.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.lock;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new Error('the local stack is stopping'));
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async receiveAll(): Promise<ClaimedLetter[]> {
    const out: ClaimedLetter[] = [];
    const seen = new Set<string>();
    for (const [kind, url] of [
      ['letters', this.queues.letters],
      ['events', this.queues.events],
    ] as const) {
      while (out.length < MAX_LETTERS) {
        const response = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: LIST_VISIBILITY_SECONDS,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = (response.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
        if (messages.length === 0) break;
        for (const message of messages) {
          seen.add(message.MessageId!);
          out.push({
            letter: letterOf(kind, message, this.reasonOf(message.MessageId!)),
            queueUrl: url,
            receiptHandle: message.ReceiptHandle!,
          });
        }
      }
    }
    return out;
  }

  private async release(claimed: ClaimedLetter[]): Promise<void> {
    const byQueue = new Map<string, ClaimedLetter[]>();
    for (const c of claimed) byQueue.set(c.queueUrl, [...(byQueue.get(c.queueUrl) ?? []), c]);
    for (const [queueUrl, items] of byQueue) {
      for (let i = 0; i < items.length; i += 10) {
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: items.slice(i, i + 10).map((c, n) => ({
              Id: String(n),
              ReceiptHandle: c.receiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
    }
  }
}

/** A dead letter as the CLI and the console show it, from an SQS message of either queue. */
export function letterOf(kind: LetterQueue['kind'], message: Message, lastError?: string): StoredDeadLetter {
  const id = message.MessageId!;
  const sent = Number(message.Attributes?.SentTimestamp ?? Date.now());
  const failedAt = new Date(sent).toISOString();
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    body = message.Body;
  }
  if (kind === 'letters' && isRecord(body) && body.eventline === 'dead-letter') {
    const { eventline: _marker, ...letter } = body;
    return { ...(letter as unknown as DeadLetter), id };
  }
  const close = digestCloseOf(body);
  if (close) {
    // A digest window's close (docs/protocol.md, T13), not an S3 event: replayed as it is.
    return {
      id,
      code: 'digest-close',
      reason: `${lastError ? `${lastError}; ` : ''}the close of digest window ${windowId(close)} reached trigger.maxReceiveCount deliveries: its digest may be unsent (a replay closes it again; it is published once, with the window's key)`,
      event: body,
      failedAt,
    };
  }
  const objects = normaliseEvent(
    isRecord(body) && isRecord(body.requestPayload) ? body.requestPayload : body,
  ).flatMap((m) => m.objects);
  const first = objects[0];
  const object = first ? { object: { bucket: first.bucket, key: first.key } } : {};
  if (isRecord(body) && isRecord(body.requestContext)) {
    // Lambda's on-failure record (direct mode).
    const context = body.requestContext as { condition?: string; approximateInvokeCount?: number };
    const response = body.responsePayload as { errorMessage?: string } | undefined;
    return {
      id,
      code: context.condition ?? 'RetriesExhausted',
      reason: response?.errorMessage ?? 'the asynchronous invocation failed',
      ...object,
      event: body,
      failedAt: typeof body.timestamp === 'string' ? body.timestamp : failedAt,
      ...(context.approximateInvokeCount !== undefined ? { attempts: context.approximateInvokeCount } : {}),
    };
  }
  return {
    id,
    code: 'MaxReceiveCountExceeded',
    reason: `${lastError ? `${lastError}; ` : ''}the S3 event reached trigger.maxReceiveCount deliveries from the ingest queue without an outcome`,
    ...object,
    event: body,
    failedAt,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
