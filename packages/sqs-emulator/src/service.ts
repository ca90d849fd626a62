import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  COMPUTED_ATTRIBUTES,
  FIFO_ATTRIBUTES,
  FIFO_DEDUPLICATION_MS,
  FIFO_ID_PATTERN,
  LOCAL_SENDER_ID,
  MAX_BATCH_ENTRIES,
  MAX_LIST_RESULTS,
  MAX_MOVE_RATE,
  MAX_MOVE_TASKS_LISTED,
  MAX_PAYLOAD_BYTES,
  MAX_RECEIVE_MESSAGES,
  MAX_VISIBILITY_SECONDS,
  MAX_WAIT_SECONDS,
  MESSAGE_SYSTEM_ATTRIBUTES,
  PURGE_INTERVAL_MS,
  SETTABLE_ATTRIBUTES,
  type SqsAction,
  STORED_ATTRIBUTES,
} from './constants.ts';
import {
  batchError,
  invalidAction,
  invalidAttributeName,
  invalidAttributeValue,
  invalidParameterValue,
  invalidValue,
  missingParameter,
  purgeInProgress,
  queueDoesNotExist,
  queueNameExists,
  receiptHandleIsInvalid,
  resourceNotFound,
  SqsApiError,
} from './errors.ts';
import type { LogRecord, StateLog } from './log.ts';
import { md5OfAttributes, md5OfBody } from './md5.ts';
import { Queue } from './queue.ts';
import type {
  ChangeEvent,
  MessageAttributes,
  MoveTask,
  QueueMetrics,
  QueueRecord,
  StoredMessage,
} from './types.ts';
import {
  checkCharacters,
  checkMessageAttributes,
  checkQueueAttributes,
  checkQueueName,
  entries,
  type Input,
  isValidBatchId,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
  stringMap,
} from './validation.ts';

/**
 * The SQS operations over the in-memory state. Every operation validates its input, changes the
 * state, and resolves only once the records of the change are on disk (see `log.ts`). Inputs and
 * outputs have the AWS JSON 1.0 shapes; the Query protocol is converted to and from them.
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

type Output = Record<string, unknown>;

interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

const failureOf = (id: string, error: unknown): BatchFailure => {
  if (error instanceof SqsApiError)
    return { Id: id, SenderFault: error.type === 'Sender', Code: error.queryCode, Message: error.message };
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: (error as Error).message };
};

const RECEIPT_PREFIX = 'eventline-sqs:';
const TASK_TICK_MS = 100;
const DEFAULT_MOVE_RATE = MAX_MOVE_RATE;
const RETENTION_SWEEP_MS = 30_000;

interface Receipt {
  queue: string;
  id: string;
  nonce: string;
}

export class SqsService {
  readonly queues = new Map<string, Queue>();
  readonly tasks = new Map<string, MoveTask>();
  readonly #options: ServiceOptions;
  #seq = 0;
  #closed = false;
  readonly #closing = new AbortController();
  readonly #taskTimers = new Map<string, NodeJS.Timeout>();
  readonly #sweep: NodeJS.Timeout;

  constructor(options: ServiceOptions) {
    this.#options = options;
    this.#sweep = setInterval(() => this.#sweepRetention(), RETENTION_SWEEP_MS);
    this.#sweep.unref();
  }

  // ---------- state: load, snapshot ----------

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

  /** Resumes move tasks that were running when the emulator stopped. */
  resumeTasks(): void {
    for (const task of this.tasks.values()) if (task.status === 'RUNNING') this.#scheduleTask(task);
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
    return `arn:aws:sqs:${this.#options.region}:${this.#options.accountId}:${name}`;
  }

  urlOf(name: string): string {
    return `${this.#options.endpoint().replace(/\/+$/, '')}/${this.#options.accountId}/${name}`;
  }

  /** The queue a QueueUrl names (a URL with `/<account>/<name>`, or a bare name). */
  #queueFromUrl(url: string): Queue {
    let name = url;
    if (url.includes('/')) {
      let path = url;
      try {
        path = new URL(url).pathname;
      } catch {
        // a path without a scheme and host
      }
      const parts = path.split('/').filter((part) => part !== '');
      if (parts.length !== 2 || parts[0] !== this.#options.accountId) throw queueDoesNotExist();
      name = parts[1] as string;
    }
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  #queue(input: Input): Queue {
    return this.#queueFromUrl(requiredString(input, 'QueueUrl'));
  }

  #queueByArn(arn: string): Queue | undefined {
    const parts = arn.split(':');
    if (
      parts.length !== 6 ||
      parts[0] !== 'arn' ||
      parts[2] !== 'sqs' ||
      parts[3] !== this.#options.region ||
      parts[4] !== this.#options.accountId
    )
      return undefined;
    return this.queues.get(parts[5] as string);
  }

  // ---------- dispatch ----------

  async call(action: string, input: Input, context: CallContext): Promise<Output> {
    if (this.#closed)
      throw new SqsApiError('ServiceUnavailable', 'ServiceUnavailable', 503, 'The emulator is closing.');
    switch (action as SqsAction) {
      case 'CreateQueue':
        return this.createQueue(input);
      case 'GetQueueUrl':
        return this.getQueueUrl(input);
      case 'DeleteQueue':
        return this.deleteQueue(input);
      case 'ListQueues':
        return this.listQueues(input);
      case 'GetQueueAttributes':
        return this.getQueueAttributes(input);
      case 'SetQueueAttributes':
        return this.setQueueAttributes(input);
      case 'SendMessage':
        return this.sendMessage(input);
      case 'SendMessageBatch':
        return this.sendMessageBatch(input);
      case 'ReceiveMessage':
        return this.receiveMessage(input, context);
      case 'DeleteMessage':
        return this.deleteMessage(input);
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input);
      case 'ChangeMessageVisibility':
        return this.changeMessageVisibility(input);
      case 'ChangeMessageVisibilityBatch':
        return this.changeMessageVisibilityBatch(input);
      case 'PurgeQueue':
        return this.purgeQueue(input);
      case 'ListDeadLetterSourceQueues':
        return this.listDeadLetterSourceQueues(input);
      case 'StartMessageMoveTask':
        return this.startMessageMoveTask(input);
      case 'ListMessageMoveTasks':
        return this.listMessageMoveTasks(input);
      case 'CancelMessageMoveTask':
        return this.cancelMessageMoveTask(input);
      case 'TagQueue':
        return this.tagQueue(input);
      case 'UntagQueue':
        return this.untagQueue(input);
      case 'ListQueueTags':
        return this.listQueueTags(input);
      default:
        throw invalidAction(action);
    }
  }

  async #commit(records: LogRecord[], event?: ChangeEvent): Promise<void> {
    await this.#options.log.append(records);
    if (event && event.count > 0) this.#emit(event);
  }

  #emit(event: ChangeEvent): void {
    try {
      this.#options.emit(event);
    } catch (error) {
      this.#options.warn('sqs: a change listener threw', { error: (error as Error).message });
    }
  }

  // ---------- queues ----------

  /** Checks a RedrivePolicy's target exists and allows this source. */
  #checkRedriveTarget(sourceName: string, policy: string): void {
    if (!policy) return;
    const { deadLetterTargetArn } = JSON.parse(policy) as { deadLetterTargetArn: string };
    const target = this.#queueByArn(deadLetterTargetArn);
    if (!target)
      throw invalidValue(
        policy,
        'RedrivePolicy',
        `Dead-letter target does not exist: ${deadLetterTargetArn}.`,
      );
    const sourceFifo = this.queues.get(sourceName)?.fifo ?? sourceName.endsWith('.fifo');
    if (target.fifo !== sourceFifo)
      throw invalidValue(
        policy,
        'RedrivePolicy',
        'Dead-letter queue must be same type of queue as the source.',
      );
    const allow = target.record.attributes.RedriveAllowPolicy;
    if (!allow) return;
    const parsed = JSON.parse(allow) as { redrivePermission: string; sourceQueueArns?: string[] };
    const sourceArn = this.arnOf(sourceName);
    if (
      parsed.redrivePermission === 'denyAll' ||
      (parsed.redrivePermission === 'byQueue' && !parsed.sourceQueueArns?.includes(sourceArn))
    )
      throw invalidValue(
        policy,
        'RedrivePolicy',
        `The dead-letter queue's RedriveAllowPolicy does not allow ${sourceArn} as a source.`,
      );
  }

  #effectiveAttribute(queue: Queue, name: string): string | undefined {
    const stored = queue.record.attributes[name];
    if (stored !== undefined) return stored;
    if (name in SETTABLE_ATTRIBUTES)
      return SETTABLE_ATTRIBUTES[name as keyof typeof SETTABLE_ATTRIBUTES].default;
    if (name === 'SqsManagedSseEnabled') return 'true';
    if (queue.fifo && name in FIFO_ATTRIBUTES)
      return FIFO_ATTRIBUTES[name as keyof typeof FIFO_ATTRIBUTES].default;
    return undefined;
  }

  async createQueue(input: Input): Promise<Output> {
    const name = requiredString(input, 'QueueName');
    const attributes = checkQueueAttributes(stringMap(input, 'Attributes'));
    const fifo = attributes.FifoQueue === 'true';
    checkQueueName(name, fifo);
    if (!fifo) {
      delete attributes.FifoQueue;
      for (const attribute of Object.keys(FIFO_ATTRIBUTES))
        if (attribute in attributes) throw invalidAttributeName(`Unknown Attribute ${attribute}.`);
    }
    this.#checkFifoThroughput(attributes);
    const tags = stringMap(input, 'tags');
    const existing = this.queues.get(name);
    if (existing) {
      for (const [attribute, value] of Object.entries(attributes)) {
        if ((this.#effectiveAttribute(existing, attribute) ?? '') !== value) throw queueNameExists(attribute);
      }
      return { QueueUrl: this.urlOf(name) };
    }
    for (const [attribute, value] of Object.entries(attributes))
      if (value === '') delete attributes[attribute];
    if (attributes.RedrivePolicy) this.#checkRedriveTarget(name, attributes.RedrivePolicy);
    const now = Math.floor(Date.now() / 1000);
    const record: QueueRecord = { name, attributes, tags, createdAt: now, modifiedAt: now };
    this.queues.set(name, new Queue(record, this.arnOf(name)));
    await this.#commit([{ op: 'queue', queue: record }], { kind: 'queueCreated', queue: name, count: 1 });
    return { QueueUrl: this.urlOf(name) };
  }

  /** perMessageGroupId throughput needs deduplication per message group. */
  #checkFifoThroughput(attributes: Record<string, string>): void {
    if (
      attributes.FifoThroughputLimit === 'perMessageGroupId' &&
      attributes.DeduplicationScope !== 'messageGroup'
    )
      throw invalidAttributeValue(
        'Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.',
      );
  }

  async getQueueUrl(input: Input): Promise<Output> {
    const name = requiredString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId');
    if ((owner !== undefined && owner !== this.#options.accountId) || !this.queues.has(name))
      throw queueDoesNotExist();
    return { QueueUrl: this.urlOf(name) };
  }

  async deleteQueue(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    this.queues.delete(queue.name);
    queue.clearMessages();
    queue.wake();
    await this.#commit([{ op: 'dropQueue', name: queue.name }], {
      kind: 'queueDeleted',
      queue: queue.name,
      count: 1,
    });
    return {};
  }

  #page(input: Input, names: string[]): { names: string[]; next?: string } {
    const max = optionalInteger(
      input,
      'MaxResults',
      1,
      MAX_LIST_RESULTS,
      'MaxResults must be an integer between 1 and 1000.',
    );
    const token = optionalString(input, 'NextToken');
    let start = 0;
    if (token) {
      const after = Buffer.from(token, 'base64url').toString('utf8');
      if (!after.startsWith('after:'))
        throw invalidValue(token, 'NextToken', 'Invalid or expired next token.');
      const last = after.slice('after:'.length);
      start = names.findIndex((name) => name > last);
      if (start < 0) start = names.length;
    }
    const limit = max ?? MAX_LIST_RESULTS;
    const page = names.slice(start, start + limit);
    const more = max !== undefined && start + limit < names.length;
    return {
      names: page,
      ...(more ? { next: Buffer.from(`after:${page.at(-1)}`).toString('base64url') } : {}),
    };
  }

  async listQueues(input: Input): Promise<Output> {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const names = [...this.queues.keys()].filter((name) => name.startsWith(prefix)).sort();
    const { names: page, next } = this.#page(input, names);
    const out: Output = {};
    if (page.length > 0) out.QueueUrls = page.map((name) => this.urlOf(name));
    if (next) out.NextToken = next;
    return out;
  }

  async listDeadLetterSourceQueues(input: Input): Promise<Output> {
    const target = this.#queue(input);
    const names = [...this.queues.values()]
      .filter((queue) => queue.redrivePolicy()?.deadLetterTargetArn === target.arn)
      .map((queue) => queue.name)
      .sort();
    const { names: page, next } = this.#page(input, names);
    return { queueUrls: page.map((name) => this.urlOf(name)), ...(next ? { NextToken: next } : {}) };
  }

  async getQueueAttributes(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const requested = stringList(input, 'AttributeNames');
    if (requested.length === 0) return {};
    const all = requested.includes('All');
    const known = new Set<string>([
      ...Object.keys(SETTABLE_ATTRIBUTES),
      ...STORED_ATTRIBUTES,
      ...COMPUTED_ATTRIBUTES,
      ...Object.keys(FIFO_ATTRIBUTES),
    ]);
    for (const name of requested)
      if (name !== 'All' && !known.has(name)) throw invalidAttributeName(`Unknown Attribute ${name}.`);
    const names = all ? [...known] : requested;
    const counts = queue.counts(Date.now());
    const computed: Record<string, string> = {
      ApproximateNumberOfMessages: String(counts.available),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(queue.record.createdAt),
      LastModifiedTimestamp: String(queue.record.modifiedAt),
      QueueArn: queue.arn,
    };
    const attributes: Record<string, string> = {};
    for (const name of names) {
      const value = computed[name] ?? this.#effectiveAttribute(queue, name);
      if (value !== undefined) attributes[name] = value;
    }
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }

  async setQueueAttributes(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    if (input.Attributes === undefined) throw missingParameter('Attributes');
    const attributes = checkQueueAttributes(stringMap(input, 'Attributes'));
    if (attributes.FifoQueue !== undefined && attributes.FifoQueue !== String(queue.fifo))
      throw invalidAttributeValue(
        'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
      );
    if (!queue.fifo) {
      delete attributes.FifoQueue;
      for (const attribute of Object.keys(FIFO_ATTRIBUTES))
        if (attribute in attributes) throw invalidAttributeName(`Unknown Attribute ${attribute}.`);
    }
    if (attributes.RedrivePolicy) this.#checkRedriveTarget(queue.name, attributes.RedrivePolicy);
    const next = { ...queue.record.attributes };
    for (const [name, value] of Object.entries(attributes)) {
      if (value === '') delete next[name];
      else next[name] = value;
    }
    if (queue.fifo)
      this.#checkFifoThroughput({ DeduplicationScope: FIFO_ATTRIBUTES.DeduplicationScope.default, ...next });
    queue.record = { ...queue.record, attributes: next, modifiedAt: Math.floor(Date.now() / 1000) };
    await this.#commit([{ op: 'queue', queue: queue.record }], {
      kind: 'queueUpdated',
      queue: queue.name,
      count: 1,
    });
    return {};
  }

  async tagQueue(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    if (input.Tags === undefined) throw missingParameter('Tags');
    const tags = stringMap(input, 'Tags');
    queue.record = { ...queue.record, tags: { ...queue.record.tags, ...tags } };
    await this.#commit([{ op: 'queue', queue: queue.record }]);
    return {};
  }

  async untagQueue(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    if (input.TagKeys === undefined) throw missingParameter('TagKeys');
    const keys = stringList(input, 'TagKeys');
    const tags = { ...queue.record.tags };
    for (const key of keys) delete tags[key];
    queue.record = { ...queue.record, tags };
    await this.#commit([{ op: 'queue', queue: queue.record }]);
    return {};
  }

  async listQueueTags(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    return Object.keys(queue.record.tags).length > 0 ? { Tags: { ...queue.record.tags } } : {};
  }

  async purgeQueue(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const now = Date.now();
    if (queue.record.purgedAt !== undefined && now - queue.record.purgedAt < PURGE_INTERVAL_MS)
      throw purgeInProgress(queue.name);
    const upToSeq = this.#seq;
    let count = 0;
    for (const message of [...queue.messages.values()]) {
      if (message.seq <= upToSeq) {
        queue.remove(message.id);
        count++;
      }
    }
    queue.record = { ...queue.record, purgedAt: now };
    await this.#commit(
      [
        { op: 'queue', queue: queue.record },
        { op: 'purge', queue: queue.name, upToSeq },
      ],
      { kind: 'purged', queue: queue.name, count: Math.max(count, 1) },
    );
    return {};
  }

  // ---------- sending ----------

  /** Validates one message for `queue`; returns it ready to store (not stored yet). */
  #newMessage(queue: Queue, input: Input, now: number): StoredMessage {
    const body = input.MessageBody;
    if (body === undefined || body === null || body === '') throw missingParameter('MessageBody');
    if (typeof body !== 'string')
      throw invalidValue(JSON.stringify(body), 'MessageBody', 'Must be a string.');
    checkCharacters(body);
    const delay = optionalInteger(input, 'DelaySeconds', 0, 900, 'DelaySeconds must be >= 0 and <= 900.');
    const groupId = optionalString(input, 'MessageGroupId');
    let deduplicationId = optionalString(input, 'MessageDeduplicationId');
    if (groupId !== undefined && !FIFO_ID_PATTERN.test(groupId))
      throw invalidValue(
        groupId,
        'MessageGroupId',
        'It can be up to 128 alphanumeric or punctuation characters.',
      );
    if (queue.fifo) {
      if (delay !== undefined && delay !== 0)
        throw invalidValue(
          delay,
          'DelaySeconds',
          'The request include parameter that is not valid for this queue type.',
        );
      if (groupId === undefined) throw missingParameter('MessageGroupId');
      if (deduplicationId === undefined) {
        if (queue.record.attributes.ContentBasedDeduplication !== 'true')
          throw invalidParameterValue(
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        deduplicationId = createHash('sha256').update(body, 'utf8').digest('hex');
      } else if (!FIFO_ID_PATTERN.test(deduplicationId)) {
        throw invalidValue(
          deduplicationId,
          'MessageDeduplicationId',
          'It can be up to 128 alphanumeric or punctuation characters.',
        );
      }
    } else if (deduplicationId !== undefined) {
      throw invalidValue(
        deduplicationId,
        'MessageDeduplicationId',
        'The request includes a parameter that is not valid for this queue type.',
      );
    }
    const user = checkMessageAttributes(input.MessageAttributes, 'user');
    const system = checkMessageAttributes(input.MessageSystemAttributes, 'system');
    const maxSize = queue.numeric('MaximumMessageSize');
    const size = Buffer.byteLength(body) + user.bytes;
    if (size > maxSize)
      throw invalidParameterValue(
        `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
      );
    const delayMs = (delay ?? queue.numeric('DelaySeconds')) * 1000;
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5OfBody: md5OfBody(body),
      sentAt: now,
      seq: 0,
      visibleAt: now + delayMs,
      receiveCount: 0,
      ...(groupId !== undefined ? { groupId } : {}),
      ...(deduplicationId !== undefined ? { deduplicationId } : {}),
    };
    if (user.attributes) {
      message.attributes = user.attributes;
      message.md5OfAttributes = md5OfAttributes(user.attributes);
    }
    if (system.attributes) {
      message.systemAttributes = system.attributes;
      message.md5OfSystemAttributes = md5OfAttributes(system.attributes);
    }
    return message;
  }

  #sendResult(message: StoredMessage): Output {
    return {
      MessageId: message.id,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
      ...(message.md5OfSystemAttributes
        ? { MD5OfMessageSystemAttributes: message.md5OfSystemAttributes }
        : {}),
      ...(message.sequenceNumber ? { SequenceNumber: message.sequenceNumber } : {}),
    };
  }

  #store(queue: Queue, message: StoredMessage, now: number): LogRecord {
    message.seq = ++this.#seq;
    if (queue.fifo) message.sequenceNumber ??= String(message.seq).padStart(20, '0');
    queue.place(message, now);
    return { op: 'put', queue: queue.name, message };
  }

  /**
   * Stores a new message; on a FIFO queue a deduplication id seen in the last five minutes stores
   * nothing and answers with the first message's id and sequence number, as SQS does.
   */
  #enqueue(queue: Queue, message: StoredMessage, now: number, records: LogRecord[]): StoredMessage {
    if (!queue.fifo || message.deduplicationId === undefined) {
      records.push(this.#store(queue, message, now));
      return message;
    }
    for (const [key, entry] of queue.deduplication) if (entry.until <= now) queue.deduplication.delete(key);
    const scope = this.#effectiveAttribute(queue, 'DeduplicationScope');
    const key =
      scope === 'messageGroup' ? `${message.groupId}\n${message.deduplicationId}` : message.deduplicationId;
    const seen = queue.deduplication.get(key);
    if (seen) return { ...message, id: seen.messageId, sequenceNumber: seen.sequenceNumber };
    records.push(this.#store(queue, message, now));
    const entry = {
      key,
      messageId: message.id,
      sequenceNumber: message.sequenceNumber as string,
      until: now + FIFO_DEDUPLICATION_MS,
    };
    queue.deduplication.set(key, entry);
    records.push({ op: 'dedup', queue: queue.name, entry });
    return message;
  }

  async sendMessage(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const now = Date.now();
    const records: LogRecord[] = [];
    const message = this.#enqueue(queue, this.#newMessage(queue, input, now), now, records);
    await this.#commit(records, { kind: 'sent', queue: queue.name, count: records.length > 0 ? 1 : 0 });
    return this.#sendResult(message);
  }

  /** The batch-level checks every *Batch action shares. */
  #checkBatch(action: string, items: Input[]): void {
    if (items.length === 0)
      throw batchError(
        'EmptyBatchRequest',
        `There should be at least one ${action}RequestEntry in the request.`,
      );
    if (items.length > MAX_BATCH_ENTRIES)
      throw batchError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${items.length}.`,
      );
    const seen = new Set<string>();
    for (const item of items) {
      const id = typeof item.Id === 'string' ? item.Id : '';
      if (!isValidBatchId(id))
        throw batchError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      if (seen.has(id)) throw batchError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
      seen.add(id);
    }
  }

  async sendMessageBatch(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const items = entries(input, 'Entries');
    this.#checkBatch('SendMessageBatch', items);
    let total = 0;
    for (const item of items) {
      if (typeof item.MessageBody === 'string') total += Buffer.byteLength(item.MessageBody);
      const attributes = item.MessageAttributes;
      if (attributes && typeof attributes === 'object')
        total += Buffer.byteLength(JSON.stringify(attributes));
    }
    if (total > MAX_PAYLOAD_BYTES)
      throw batchError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_PAYLOAD_BYTES} bytes. You have sent ${total} bytes.`,
      );
    const now = Date.now();
    const successful: Output[] = [];
    const failed: BatchFailure[] = [];
    const records: LogRecord[] = [];
    for (const item of items) {
      const id = item.Id as string;
      try {
        const message = this.#enqueue(queue, this.#newMessage(queue, item, now), now, records);
        successful.push({ Id: id, ...this.#sendResult(message) });
      } catch (error) {
        failed.push(failureOf(id, error));
      }
    }
    const stored = records.filter((record) => record.op === 'put').length;
    await this.#commit(records, { kind: 'sent', queue: queue.name, count: stored });
    return { Successful: successful, Failed: failed };
  }

  // ---------- receiving ----------

  #receiptOf(queue: Queue, message: StoredMessage): string {
    const raw = `${queue.name}\n${message.id}\n${message.receipt}`;
    return RECEIPT_PREFIX + Buffer.from(raw, 'utf8').toString('base64url');
  }

  #parseReceipt(queue: Queue, handle: string): Receipt {
    if (!handle.startsWith(RECEIPT_PREFIX)) throw receiptHandleIsInvalid(handle);
    const raw = Buffer.from(handle.slice(RECEIPT_PREFIX.length), 'base64url').toString('utf8');
    const [name, id, nonce, ...rest] = raw.split('\n');
    if (name !== queue.name || !id || !nonce || rest.length > 0) throw receiptHandleIsInvalid(handle);
    return { queue: name, id, nonce };
  }

  /**
   * Takes up to `max` available messages: expired ones are dropped, ones past the redrive
   * policy's maxReceiveCount go to the dead-letter queue, the rest become in flight.
   */
  #take(queue: Queue, max: number, visibility: number, now: number, records: LogRecord[]): StoredMessage[] {
    queue.promote(now);
    const taken: StoredMessage[] = [];
    const retentionMs = queue.numeric('MessageRetentionPeriod') * 1000;
    const policy = queue.redrivePolicy();
    const deadLetterQueue = policy ? this.#queueByArn(policy.deadLetterTargetArn) : undefined;
    let expired = 0;
    let deadLettered = 0;
    // FIFO: in send order, skipping every group that has a message in flight (reference §2.2).
    const blocked = new Set<string>();
    if (queue.fifo)
      for (const message of queue.messages.values())
        if (message.receipt !== undefined && message.visibleAt > now) blocked.add(message.groupId ?? '');
    const candidates = queue.fifo ? queue.messages.keys() : queue.available.values();
    for (const id of candidates) {
      if (taken.length >= max) break;
      if (queue.fifo && !queue.available.has(id)) continue;
      const message = queue.messages.get(id);
      // A message taken with visibility 0 is available again at once, at the end of the set.
      if (message && taken.includes(message)) break;
      if (!message) {
        queue.available.delete(id);
        continue;
      }
      if (queue.fifo && blocked.has(message.groupId ?? '')) continue;
      if (message.sentAt + retentionMs <= now) {
        queue.remove(id);
        records.push({ op: 'del', queue: queue.name, id });
        expired++;
        continue;
      }
      if (policy && deadLetterQueue && message.receiveCount >= policy.maxReceiveCount) {
        queue.remove(id);
        records.push({ op: 'del', queue: queue.name, id });
        const moved: StoredMessage = {
          ...message,
          visibleAt: now,
          deadLetterSourceArn: queue.arn,
          receipt: undefined,
          receivedAt: undefined,
        };
        records.push(this.#store(deadLetterQueue, moved, now));
        deadLettered++;
        continue;
      }
      queue.available.delete(id);
      message.receiveCount++;
      message.firstReceiveAt ??= now;
      message.receipt = randomBytes(12).toString('base64url');
      message.receivedAt = now;
      message.visibleAt = now + visibility * 1000;
      queue.place(message, now);
      records.push({
        op: 'recv',
        queue: queue.name,
        id,
        visibleAt: message.visibleAt,
        receiveCount: message.receiveCount,
        firstReceiveAt: message.firstReceiveAt,
        receipt: message.receipt,
        receivedAt: now,
      });
      taken.push(message);
    }
    if (expired > 0) this.#emit({ kind: 'expired', queue: queue.name, count: expired });
    if (deadLettered > 0 && deadLetterQueue)
      this.#emit({ kind: 'deadLettered', queue: deadLetterQueue.name, count: deadLettered });
    return taken;
  }

  async receiveMessage(input: Input, context: CallContext): Promise<Output> {
    const queue = this.#queue(input);
    const max =
      optionalInteger(
        input,
        'MaxNumberOfMessages',
        1,
        MAX_RECEIVE_MESSAGES,
        'Must be between 1 and 10, if provided.',
      ) ?? 1;
    const visibility = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
    const wait =
      optionalInteger(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ??
      queue.numeric('ReceiveMessageWaitTimeSeconds');
    const systemNames = new Set([
      ...stringList(input, 'AttributeNames'),
      ...stringList(input, 'MessageSystemAttributeNames'),
    ]);
    for (const name of systemNames)
      if (name !== 'All' && !(MESSAGE_SYSTEM_ATTRIBUTES as readonly string[]).includes(name))
        throw invalidAttributeName(`Unknown Attribute ${name}.`);
    const attributeNames = stringList(input, 'MessageAttributeNames');
    const deadline = Date.now() + wait * 1000;
    const signals = AbortSignal.any([context.signal, this.#closing.signal]);
    for (;;) {
      if (signals.aborted || !this.queues.has(queue.name)) return {};
      const now = Date.now();
      const records: LogRecord[] = [];
      const taken = this.#take(queue, max, visibility ?? queue.numeric('VisibilityTimeout'), now, records);
      if (records.length > 0)
        await this.#commit(records, { kind: 'received', queue: queue.name, count: taken.length });
      if (taken.length > 0)
        return {
          Messages: taken.map((message) => this.#messageOutput(queue, message, systemNames, attributeNames)),
        };
      if (now >= deadline) return {};
      const next = queue.nextVisibleAt();
      const until = next === undefined ? deadline : Math.min(deadline, Math.max(next, now + 1));
      await queue.waitForChange(until - now, signals);
    }
  }

  #messageOutput(
    queue: Queue,
    message: StoredMessage,
    systemNames: Set<string>,
    attributeNames: string[],
  ): Output {
    const out: Output = {
      MessageId: message.id,
      ReceiptHandle: this.#receiptOf(queue, message),
      MD5OfBody: message.md5OfBody,
      Body: message.body,
    };
    const all = systemNames.has('All');
    const system: Record<string, string> = {};
    const want = (name: string) => all || systemNames.has(name);
    if (want('SenderId')) system.SenderId = LOCAL_SENDER_ID;
    if (want('ApproximateFirstReceiveTimestamp') && message.firstReceiveAt !== undefined)
      system.ApproximateFirstReceiveTimestamp = String(message.firstReceiveAt);
    if (want('ApproximateReceiveCount')) system.ApproximateReceiveCount = String(message.receiveCount);
    if (want('SentTimestamp')) system.SentTimestamp = String(message.sentAt);
    const trace = message.systemAttributes?.AWSTraceHeader?.StringValue;
    if (want('AWSTraceHeader') && trace !== undefined) system.AWSTraceHeader = trace;
    if (want('DeadLetterQueueSourceArn') && message.deadLetterSourceArn)
      system.DeadLetterQueueSourceArn = message.deadLetterSourceArn;
    if (want('MessageGroupId') && message.groupId !== undefined) system.MessageGroupId = message.groupId;
    if (want('MessageDeduplicationId') && message.deduplicationId !== undefined)
      system.MessageDeduplicationId = message.deduplicationId;
    if (want('SequenceNumber') && message.sequenceNumber !== undefined)
      system.SequenceNumber = message.sequenceNumber;
    if (Object.keys(system).length > 0) out.Attributes = system;
    if (message.attributes && attributeNames.length > 0) {
      const selected: MessageAttributes = {};
      for (const [name, value] of Object.entries(message.attributes)) {
        const match = attributeNames.some(
          (pattern) =>
            pattern === 'All' ||
            pattern === '.*' ||
            pattern === name ||
            (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
        );
        if (match) selected[name] = { ...value };
      }
      if (Object.keys(selected).length > 0) {
        out.MD5OfMessageAttributes = md5OfAttributes(selected);
        out.MessageAttributes = selected;
      }
    }
    return out;
  }

  // ---------- deleting, visibility ----------

  /** Deletes by receipt handle: an outdated handle (the message was received again since) deletes nothing. */
  #delete(queue: Queue, handle: string, records: LogRecord[]): number {
    const receipt = this.#parseReceipt(queue, handle);
    const message = queue.messages.get(receipt.id);
    if (!message || message.receipt !== receipt.nonce) return 0;
    this.#checkFifoHandleLive(queue, message, handle);
    queue.remove(receipt.id);
    records.push({ op: 'del', queue: queue.name, id: receipt.id });
    return 1;
  }

  /** FIFO queues refuse a receipt handle whose visibility timeout has ended (standard queues accept it). */
  #checkFifoHandleLive(queue: Queue, message: StoredMessage, handle: string): void {
    if (queue.fifo && message.visibleAt <= Date.now())
      throw new SqsApiError(
        'ReceiptHandleIsInvalid',
        'ReceiptHandleIsInvalid',
        400,
        `The receipt handle "${handle}" has expired.`,
      );
  }

  async deleteMessage(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const records: LogRecord[] = [];
    const count = this.#delete(queue, requiredString(input, 'ReceiptHandle'), records);
    await this.#commit(records, { kind: 'deleted', queue: queue.name, count });
    return {};
  }

  async deleteMessageBatch(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const items = entries(input, 'Entries');
    this.#checkBatch('DeleteMessageBatch', items);
    const successful: Output[] = [];
    const failed: BatchFailure[] = [];
    const records: LogRecord[] = [];
    let count = 0;
    for (const item of items) {
      const id = item.Id as string;
      try {
        count += this.#delete(queue, requiredString(item, 'ReceiptHandle'), records);
        successful.push({ Id: id });
      } catch (error) {
        failed.push(failureOf(id, error));
      }
    }
    await this.#commit(records, { kind: 'deleted', queue: queue.name, count });
    return { Successful: successful, Failed: failed };
  }

  #changeVisibility(queue: Queue, handle: string, timeout: number, now: number, records: LogRecord[]): void {
    const receipt = this.#parseReceipt(queue, handle);
    const message = queue.messages.get(receipt.id);
    if (!message || message.receipt !== receipt.nonce)
      throw invalidValue(
        handle,
        'ReceiptHandle',
        'Message does not exist or is not available for visibility timeout change.',
      );
    this.#checkFifoHandleLive(queue, message, handle);
    const visibleAt = now + timeout * 1000;
    if (visibleAt > (message.receivedAt ?? now) + MAX_VISIBILITY_SECONDS * 1000)
      throw invalidValue(
        timeout,
        'VisibilityTimeout',
        `Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`,
      );
    message.visibleAt = visibleAt;
    queue.place(message, now);
    records.push({ op: 'vis', queue: queue.name, id: message.id, visibleAt });
  }

  async changeMessageVisibility(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const handle = requiredString(input, 'ReceiptHandle');
    const timeout = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
    if (timeout === undefined) throw missingParameter('VisibilityTimeout');
    const records: LogRecord[] = [];
    this.#changeVisibility(queue, handle, timeout, Date.now(), records);
    await this.#commit(records, { kind: 'visibilityChanged', queue: queue.name, count: 1 });
    return {};
  }

  async changeMessageVisibilityBatch(input: Input): Promise<Output> {
    const queue = this.#queue(input);
    const items = entries(input, 'Entries');
    this.#checkBatch('ChangeMessageVisibilityBatch', items);
    const now = Date.now();
    const successful: Output[] = [];
    const failed: BatchFailure[] = [];
    const records: LogRecord[] = [];
    for (const item of items) {
      const id = item.Id as string;
      try {
        const handle = requiredString(item, 'ReceiptHandle');
        const timeout = optionalInteger(item, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
        if (timeout === undefined) throw missingParameter('VisibilityTimeout');
        this.#changeVisibility(queue, handle, timeout, now, records);
        successful.push({ Id: id });
      } catch (error) {
        failed.push(failureOf(id, error));
      }
    }
    await this.#commit(records, { kind: 'visibilityChanged', queue: queue.name, count: records.length });
    return { Successful: successful, Failed: failed };
  }

  // ---------- move tasks (dead-letter queue redrive) ----------

  async startMessageMoveTask(input: Input): Promise<Output> {
    const sourceArn = requiredString(input, 'SourceArn');
    const destinationArn = optionalString(input, 'DestinationArn');
    const rate = optionalInteger(
      input,
      'MaxNumberOfMessagesPerSecond',
      1,
      MAX_MOVE_RATE,
      `Must be between 1 and ${MAX_MOVE_RATE}, if provided.`,
    );
    const source = this.#queueByArn(sourceArn);
    if (!source)
      throw resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    const isDeadLetterQueue = [...this.queues.values()].some(
      (queue) => queue.redrivePolicy()?.deadLetterTargetArn === sourceArn,
    );
    if (!isDeadLetterQueue)
      throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    if (destinationArn !== undefined && !this.#queueByArn(destinationArn))
      throw resourceNotFound(
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
      );
    for (const task of this.tasks.values())
      if (task.sourceArn === sourceArn && task.status === 'RUNNING')
        throw invalidParameterValue(
          'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
        );
    const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64');
    const task: MoveTask = {
      handle,
      sourceArn,
      status: 'RUNNING',
      moved: 0,
      toMove: source.counts(Date.now()).available,
      startedAt: Date.now(),
      ...(destinationArn !== undefined ? { destinationArn } : {}),
      ...(rate !== undefined ? { maxPerSecond: rate } : {}),
    };
    this.tasks.set(handle, task);
    await this.#commit([{ op: 'task', task }]);
    this.#scheduleTask(task);
    return { TaskHandle: handle };
  }

  #scheduleTask(task: MoveTask): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#taskTimers.delete(task.handle);
      this.#runTask(task).catch((error: unknown) => {
        this.#options.warn('sqs: move task failed', { task: task.handle, error: (error as Error).message });
      });
    }, TASK_TICK_MS);
    this.#taskTimers.set(task.handle, timer);
  }

  /** One tick of a move task: moves up to a tick's share of its rate, then reschedules itself. */
  async #runTask(task: MoveTask): Promise<void> {
    if (task.status !== 'RUNNING' || this.#closed) return;
    const records: LogRecord[] = [];
    const source = this.#queueByArn(task.sourceArn);
    const now = Date.now();
    const budget = Math.max(1, Math.floor(((task.maxPerSecond ?? DEFAULT_MOVE_RATE) * TASK_TICK_MS) / 1000));
    let movedNow = 0;
    const moves = new Map<string, number>();
    if (!source) {
      task.status = 'FAILED';
      task.failureReason = 'AWS.SimpleQueueService.NonExistentQueue';
    } else {
      source.promote(now);
      for (const id of [...source.available]) {
        if (movedNow >= budget || task.moved >= task.toMove) break;
        const message = source.messages.get(id);
        if (!message) continue;
        const destination = this.#queueByArn(task.destinationArn ?? message.deadLetterSourceArn ?? '');
        if (!destination) {
          task.status = 'FAILED';
          task.failureReason = task.destinationArn
            ? 'AWS.SimpleQueueService.NonExistentQueue'
            : 'CouldNotDetermineMessageSource';
          break;
        }
        source.remove(id);
        records.push({ op: 'del', queue: source.name, id });
        const moved: StoredMessage = {
          ...message,
          sentAt: now,
          visibleAt: now,
          receiveCount: 0,
          firstReceiveAt: undefined,
          receipt: undefined,
          receivedAt: undefined,
          deadLetterSourceArn: undefined,
        };
        records.push(this.#store(destination, moved, now));
        moves.set(destination.name, (moves.get(destination.name) ?? 0) + 1);
        movedNow++;
        task.moved++;
      }
      if (
        task.status === 'RUNNING' &&
        (task.moved >= task.toMove || source.available.size === 0 || movedNow < budget)
      )
        task.status = 'COMPLETED';
    }
    records.push({ op: 'task', task: { ...task } });
    await this.#commit(records);
    if (movedNow > 0 && source) this.#emit({ kind: 'moved', queue: source.name, count: movedNow });
    for (const [name, count] of moves) this.#emit({ kind: 'sent', queue: name, count });
    if (task.status === 'RUNNING') this.#scheduleTask(task);
  }

  async listMessageMoveTasks(input: Input): Promise<Output> {
    const sourceArn = requiredString(input, 'SourceArn');
    const max = optionalInteger(
      input,
      'MaxResults',
      1,
      MAX_MOVE_TASKS_LISTED,
      `Must be between 1 and ${MAX_MOVE_TASKS_LISTED}, if provided.`,
    );
    if (!this.#queueByArn(sourceArn))
      throw resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    const tasks = [...this.tasks.values()]
      .filter((task) => task.sourceArn === sourceArn)
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, max ?? 1);
    return {
      Results: tasks.map((task) => ({
        ...(task.status === 'RUNNING' ? { TaskHandle: task.handle } : {}),
        Status: task.status,
        SourceArn: task.sourceArn,
        ...(task.destinationArn ? { DestinationArn: task.destinationArn } : {}),
        ...(task.maxPerSecond ? { MaxNumberOfMessagesPerSecond: task.maxPerSecond } : {}),
        ApproximateNumberOfMessagesMoved: task.moved,
        ApproximateNumberOfMessagesToMove: task.toMove,
        ...(task.failureReason ? { FailureReason: task.failureReason } : {}),
        StartedTimestamp: task.startedAt,
      })),
    };
  }

  async cancelMessageMoveTask(input: Input): Promise<Output> {
    const handle = requiredString(input, 'TaskHandle');
    const task = this.tasks.get(handle);
    if (!task) throw resourceNotFound('Task does not exist.');
    if (task.status !== 'RUNNING') throw resourceNotFound('Task does not exist or is not running.');
    task.status = 'CANCELLED';
    clearTimeout(this.#taskTimers.get(handle));
    this.#taskTimers.delete(handle);
    await this.#commit([{ op: 'task', task: { ...task } }]);
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  // ---------- metrics, housekeeping ----------

  metrics(): QueueMetrics[] {
    const now = Date.now();
    return [...this.queues.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((queue) => {
        const counts = queue.counts(now);
        const target = queue.redrivePolicy()?.deadLetterTargetArn;
        return {
          name: queue.name,
          url: this.urlOf(queue.name),
          arn: queue.arn,
          depth: counts.available,
          inFlight: counts.inFlight,
          delayed: counts.delayed,
          oldestAgeSeconds:
            counts.oldestSentAt === undefined
              ? 0
              : Math.max(0, Math.floor((now - counts.oldestSentAt) / 1000)),
          ...(target ? { deadLetterTargetArn: target } : {}),
        };
      });
  }

  /** Drops messages past their queue's retention period. */
  #sweepRetention(): void {
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
      this.#commit(records, { kind: 'expired', queue: queue.name, count: records.length }).catch(
        (error: unknown) => {
          this.#options.warn('sqs: could not record expired messages', { error: (error as Error).message });
        },
      );
    }
  }

  /** Ends long polls and stops move tasks (they resume at the next start). */
  close(): void {
    this.#closed = true;
    this.#closing.abort();
    clearInterval(this.#sweep);
    for (const timer of this.#taskTimers.values()) clearTimeout(timer);
    this.#taskTimers.clear();
    for (const queue of this.queues.values()) queue.wake();
  }
}
