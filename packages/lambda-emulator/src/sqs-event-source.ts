import { EventEmitter } from 'node:events';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * Lambda's SQS event source mapping, on one machine (docs/reference/sqs-and-event-source-mapping.md §3):
 * pollers long-poll the queue through the SQS API, gather a batch (up to `batchSize`, or until the
 * batching window ends), invoke the function synchronously with the SQS event, and then delete what
 * succeeded. A function error or timeout deletes nothing: the batch comes back when its visibility
 * timeout ends, and SQS's redrive policy moves a message to the dead-letter queue after
 * `maxReceiveCount` receives. With `ReportBatchItemFailures` only the listed messages return; an
 * invalid partial response fails the whole batch, as Lambda does.
 */
export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  /** 1..10,000; more than 10 needs a batching window (Lambda refuses it otherwise). */
  batchSize: number;
  maxBatchingWindowMs: number;
  /** Concurrent batches (ScalingConfig.MaximumConcurrency, 2..1000). */
  maximumConcurrency: number;
  reportBatchItemFailures: boolean;
  /** Invokes the function synchronously; rejects on a function error or timeout. */
  invoke: (event: SqsEvent) => Promise<unknown>;
  /** Long-poll length of one ReceiveMessage (seconds, ≤ 20). */
  waitTimeSeconds?: number;
  /**
   * A local shortcut, off by default: seconds after which a message returned by a failed batch is
   * visible again, by its receive count (Lambda leaves it hidden until the queue's visibility timeout
   * ends, 6x the function timeout; a dev loop should not wait minutes for a retry).
   */
  retryVisibilitySeconds?: (receiveCount: number) => number;
  /**
   * Failures after which the shortcut above does not apply and the batch keeps the queue's
   * visibility timeout, as on Lambda: the instance timed out or died, and the claims it left (leases
   * of the function timeout + 30 s) would turn quick retries into receives spent for nothing, and
   * the messages into dead letters that Lambda would have processed.
   */
  keepsVisibility?: (error: unknown) => boolean;
  /**
   * With the shortcut: until when another invocation holds the file of a message (its lease, from
   * the function's log), if its last attempt said so; asked once per message as its batch settles.
   * Such a message is retried quickly too, but its last delivery before the dead-letter queue waits
   * until no holder can still have the file (at most the visibility timeout), so quick retries
   * cannot dead-letter a file that its holder is finishing, which Lambda's 6x-timeout visibility
   * never would.
   */
  heldUntil?: (messageId: string) => number | undefined;
  /**
   * How long from now a live holder's claim can still last: it runs for at most the function
   * timeout and renews its lease while it runs, so the function timeout + the lease. Without it, the
   * lease end the holder logged.
   */
  holdMs?: number;
  /** The queue's redrive policy and visibility timeout, for `heldUntil`. */
  maxReceiveCount?: number;
  visibilityTimeoutSeconds?: number;
}

export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsRecordAttribute>;
  md5OfMessageAttributes?: string;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsRecordAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

export interface SqsEvent {
  Records: SqsEventRecord[];
}

export interface BatchReport {
  size: number;
  /** The messages that go back to the queue (all of a failed batch, the listed ones of a partial one). */
  returnedIds: string[];
  deleted: number;
  returned: number;
  outcome: 'ok' | 'partial' | 'failed';
  error?: string;
  /** The returned messages come back at the queue's visibility timeout (see `keepsVisibility`). */
  atVisibilityTimeout?: boolean;
  /** Returned messages whose last delivery waits for the lease of the invocation holding their file. */
  heldBack?: number;
  durationMs: number;
}

export class SqsEventSource extends EventEmitter {
  private running = false;
  private readonly pollers = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private inFlight = 0;
  /** The messages of each batch being processed. */
  private readonly running_ = new Map<SqsEvent, Message[]>();
  private batches = 0;
  /** Messages returned by failed batches, by id: when they are visible again (retryVisibilitySeconds). */
  private readonly returning = new Map<string, number>();

  constructor(private readonly options: SqsEventSourceOptions) {
    super();
    const { batchSize, maxBatchingWindowMs, maximumConcurrency } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new RangeError(`batchSize: expected 1 to 10000, got ${batchSize}`);
    }
    if (batchSize > 10 && maxBatchingWindowMs < 1000) {
      throw new RangeError(
        'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10',
      );
    }
    if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 2 || maximumConcurrency > 1000) {
      throw new RangeError(`maximumConcurrency: expected 2 to 1000, got ${maximumConcurrency}`);
    }
  }

  get stats() {
    const now = Date.now();
    for (const [id, due] of this.returning) if (due <= now) this.returning.delete(id);
    return {
      batchesInFlight: this.inFlight,
      batches: this.batches,
      pollers: this.pollers.size,
      returning: this.returning.size,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.options.maximumConcurrency; i += 1) {
      const poller = this.poll().finally(() => this.pollers.delete(poller));
      this.pollers.add(poller);
    }
  }

  /**
   * Stops polling; a batch being processed finishes (its messages are deleted or returned), for up
   * to `graceMs`. Resolves with the bodies of the messages of batches still running then: cut, they
   * stay in flight until the queue's visibility timeout ends, as on Lambda.
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<{ cut: string[] }> {
    this.running = false;
    for (const abort of this.aborts) abort.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.pollers]),
      ...(Number.isFinite(graceMs)
        ? [
            new Promise((resolve) => {
              timer = setTimeout(resolve, graceMs);
            }),
          ]
        : []),
    ]);
    if (timer) clearTimeout(timer);
    return { cut: [...this.running_.values()].flat().map((m) => m.Body ?? '') };
  }

  /** How many messages the batches being processed now hold. */
  get messagesInFlight(): number {
    return [...this.running_.values()].reduce((sum, batch) => sum + batch.length, 0);
  }

  private async poll(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      try {
        const messages = await this.gather();
        backoffMs = 100;
        if (messages.length > 0) await this.process(messages);
      } catch (error) {
        if (!this.running) return;
        // The queue cannot be read (the edge is restarting, the queue is gone): say so, back off, go on.
        this.emit('poll-error', error);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  /** One batch: until it is full, or the batching window ends (with no window: the first receive). */
  private async gather(): Promise<Message[]> {
    const { batchSize, maxBatchingWindowMs } = this.options;
    const batch: Message[] = [];
    const windowEnds = Date.now() + maxBatchingWindowMs;
    while (this.running && batch.length < batchSize) {
      const left = windowEnds - Date.now();
      const waitSeconds =
        batch.length === 0
          ? (this.options.waitTimeSeconds ?? 20)
          : Math.min(20, Math.max(0, Math.floor(left / 1000)));
      const received = await this.receive(Math.min(10, batchSize - batch.length), waitSeconds);
      batch.push(...received);
      if (maxBatchingWindowMs === 0 && batch.length > 0) break;
      if (batch.length > 0 && Date.now() >= windowEnds) break;
      if (received.length === 0 && batch.length > 0 && waitSeconds === 0) break;
    }
    return batch;
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      const response = await this.options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      );
      return response.Messages ?? [];
    } catch (error) {
      if (!this.running) return [];
      throw error;
    } finally {
      this.aborts.delete(abort);
    }
  }

  private async process(messages: Message[]): Promise<void> {
    const started = Date.now();
    const event: SqsEvent = { Records: messages.map((m) => this.record(m)) };
    this.inFlight += 1;
    this.batches += 1;
    this.running_.set(event, messages);
    let returned = new Set<string>();
    let outcome: BatchReport['outcome'] = 'ok';
    let failure: string | undefined;
    let keepVisibility = false;
    try {
      const response = await this.options.invoke(event);
      if (this.options.reportBatchItemFailures) {
        const failed = partialFailures(response, new Set(messages.map((m) => m.MessageId!)));
        if (failed === 'invalid') {
          returned = new Set(messages.map((m) => m.MessageId!));
          outcome = 'failed';
          failure = `invalid partial batch response: ${JSON.stringify(response)}`;
        } else if (failed.size > 0) {
          returned = failed;
          outcome = 'partial';
        }
      }
    } catch (error) {
      returned = new Set(messages.map((m) => m.MessageId!));
      outcome = 'failed';
      failure = error instanceof Error ? error.message : String(error);
      keepVisibility = this.options.keepsVisibility?.(error) ?? false;
    }
    // The batch counts as in flight until its messages are deleted or on their way back.
    const done = messages.filter((m) => !returned.has(m.MessageId!));
    // Asked for every message, whichever way it goes, so that no answer outlives its attempt.
    const holds = new Map(messages.map((m) => [m.MessageId!, this.options.heldUntil?.(m.MessageId!)]));
    let heldBack = 0;
    try {
      await this.delete(done);
      if (!keepVisibility)
        heldBack = await this.returnSoon(
          messages.filter((m) => returned.has(m.MessageId!)),
          holds,
        );
    } finally {
      this.inFlight -= 1;
      this.running_.delete(event);
    }
    this.emit('batch', {
      size: messages.length,
      returnedIds: [...returned],
      deleted: done.length,
      returned: returned.size,
      outcome,
      ...(failure ? { error: failure } : {}),
      ...(keepVisibility ? { atVisibilityTimeout: true } : {}),
      ...(heldBack > 0 ? { heldBack } : {}),
      durationMs: Date.now() - started,
    } satisfies BatchReport);
  }

  private async delete(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const response = await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      // A failed delete leaves the message to come back after its visibility timeout: a redelivery,
      // which the pipeline is built to absorb. Say so rather than hide it.
      for (const failed of response.Failed ?? []) this.emit('delete-error', failed);
    }
  }

  /** The local shortcut for returned messages; resolves with how many were held back (`heldUntil`). */
  private async returnSoon(messages: Message[], holds: Map<string, number | undefined>): Promise<number> {
    const delay = this.options.retryVisibilitySeconds;
    if (!delay || messages.length === 0) return 0;
    let heldBack = 0;
    const changes: Array<{ message: Message; seconds: number }> = [];
    for (const message of messages) {
      const receives = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
      const quick = Math.max(0, Math.ceil(delay(receives)));
      const held = holds.get(message.MessageId!);
      const { maxReceiveCount, visibilityTimeoutSeconds: limit, holdMs } = this.options;
      if (held === undefined || maxReceiveCount === undefined || receives + 1 < maxReceiveCount) {
        changes.push({ message, seconds: quick });
        continue;
      }
      // The next delivery is the last: once no holder can have the file (a second's margin).
      heldBack += 1;
      const until = Math.max(held, holdMs === undefined ? held : Date.now() + holdMs);
      const seconds = Math.max(quick, Math.ceil((until - Date.now()) / 1000) + 1);
      // Longer than the queue's own timeout: leave it at that, as Lambda would.
      if (Number.isFinite(seconds) && (limit === undefined || seconds < limit))
        changes.push({ message, seconds });
    }
    for (let i = 0; i < changes.length; i += 10) {
      const chunk = changes.slice(i, i + 10).map(({ message }) => message);
      const seconds = changes.slice(i, i + 10).map((change) => change.seconds);
      chunk.forEach((m, n) => {
        this.returning.set(m.MessageId!, Date.now() + seconds[n]! * 1000);
      });
      const response = await this.options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((m, n) => ({
            Id: String(n),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: seconds[n]!,
          })),
        }),
      );
      // Not changed: it comes back at the queue's visibility timeout, as on Lambda.
      for (const failed of response.Failed ?? []) {
        const message = chunk[Number(failed.Id)];
        if (message) this.returning.delete(message.MessageId!);
        this.emit('visibility-error', failed);
      }
    }
    return heldBack;
  }

  private record(message: Message): SqsEventRecord {
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.Attributes ?? {})) {
      if (value !== undefined) attributes[name] = value;
    }
    const messageAttributes: Record<string, SqsRecordAttribute> = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      messageAttributes[name] = {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined
          ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
          : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
        dataType: value.DataType ?? 'String',
      };
    }
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes,
      messageAttributes,
      ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: this.options.region,
    };
  }
}

/**
 * The message ids a partial batch response returns to the queue, or 'invalid' when Lambda would fail
 * the whole batch: an itemIdentifier that is empty, unknown or under another key name.
 */
export function partialFailures(response: unknown, ids: ReadonlySet<string>): Set<string> | 'invalid' {
  if (response === null || response === undefined) return new Set();
  if (typeof response !== 'object' || Array.isArray(response)) return 'invalid';
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return new Set();
  if (!Array.isArray(failures)) return 'invalid';
  const out = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return 'invalid';
    out.add(id);
  }
  return out;
}
