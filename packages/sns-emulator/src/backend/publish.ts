/**
 * Publish and PublishBatch for the SNS emulator (the Publisher below).
 */
import { createHash, randomUUID } from 'node:crypto';
import { DEDUPLICATION_WINDOW_MS, MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES } from '../constants.ts';
import { batchError, invalidParameter } from '../errors.ts';
import { type FilterScope, matchesFilterPolicy, parseFilterPolicy } from '../filter-policy.ts';
import type { SubscriptionRecord, TopicRecord } from '../store.ts';
import type { DeliveryStatus, MessageAttributes, PublishedMessage } from '../types.ts';
import {
  parseMessageStructure,
  parseTopicArn,
  publishSize,
  validateBatchEntryId,
  validateMessage,
  validateMessageAttributes,
  validateMessageStructure,
  validatePublishSize,
  validateSubject,
} from '../validation.ts';
import type { BatchEntryInput, Deps, PublishInput, PublishResult } from './context.ts';
import type { Deliveries } from './deliveries.ts';
import { requireTopic } from './topics.ts';

interface Prepared {
  message: string;
  subject?: string;
  messageStructure?: 'json';
  structure?: Record<string, string>;
  messageAttributes?: MessageAttributes;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

/**
 * Publish and PublishBatch: validation, FIFO ordering (sequence numbers) and deduplication
 * (explicit id or content hash, within the deduplication window), filter policies, the log entry,
 * then one delivery per matching confirmed subscription.
 */
export class Publisher {
  readonly #d: Deps;
  readonly #deliveries: Deliveries;
  readonly #dedup = new Map<string, { result: PublishResult; expiresAt: number }>();

  constructor(deps: Deps, deliveries: Deliveries) {
    this.#d = deps;
    this.#deliveries = deliveries;
  }

  #prepare(
    input: Omit<PublishInput, 'topicArn' | 'targetArn' | 'phoneNumber'>,
    fifo: boolean,
    position?: number,
  ): Prepared {
    validateSubject(input.subject);
    const message = validateMessage(input.message);
    validateMessageAttributes(input.messageAttributes, position);
    validatePublishSize(message, input.messageAttributes);
    if (fifo) {
      if (!input.messageGroupId) {
        throw invalidParameter('Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
      }
    } else if (input.messageDeduplicationId !== undefined) {
      throw invalidParameter(
        'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
      );
    }
    const messageStructure = validateMessageStructure(input.messageStructure);
    const structure = messageStructure === 'json' ? parseMessageStructure(message) : undefined;
    return {
      message,
      ...(input.subject === undefined ? {} : { subject: input.subject }),
      ...(messageStructure ? { messageStructure } : {}),
      ...(structure ? { structure } : {}),
      ...(input.messageAttributes ? { messageAttributes: input.messageAttributes } : {}),
      ...(input.messageGroupId === undefined ? {} : { messageGroupId: input.messageGroupId }),
      ...(input.messageDeduplicationId === undefined
        ? {}
        : { messageDeduplicationId: input.messageDeduplicationId }),
    };
  }

  #publishTarget(input: PublishInput): string {
    if (input.phoneNumber !== undefined && input.topicArn === undefined && input.targetArn === undefined) {
      throw invalidParameter(
        'Invalid parameter: PhoneNumber Reason: SMS is not supported by the local SNS service',
      );
    }
    const arn = input.topicArn ?? input.targetArn;
    if (arn === undefined || arn === '') {
      throw invalidParameter(
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    if (input.targetArn?.includes(':endpoint/')) {
      throw invalidParameter(
        'Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified',
      );
    }
    return arn;
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    const arn = this.#publishTarget(input);
    const fifo = arn.endsWith('.fifo');
    const prepared = this.#prepare(input, fifo);
    const topic = requireTopic(this.#d.store, arn, input.topicArn === undefined ? 'TargetArn' : 'TopicArn');
    const dedupKey = this.#dedupKey(topic, prepared);
    return this.#accept(topic, prepared, dedupKey);
  }

  async publishBatch(topicArn: string | undefined, entries: BatchEntryInput[]): Promise<PublishResult[]> {
    parseTopicArn(topicArn);
    if (entries.length === 0)
      throw batchError('EmptyBatchRequest', 'The batch request does not contain any entries.');
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw batchError(
        'TooManyEntriesInBatchRequest',
        'The batch request contains more entries than permissible.',
      );
    }
    const ids = entries.map((e) => e.id ?? '');
    if (new Set(ids).size !== ids.length) {
      throw batchError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    for (const id of ids) {
      if (id === '')
        throw batchError('InvalidBatchEntryId', 'The Id of a batch entry in the batch request is missing.');
      validateBatchEntryId(id);
    }
    const total = entries.reduce((sum, e) => sum + publishSize(e.message ?? '', e.messageAttributes), 0);
    if (total > MAX_MESSAGE_BYTES) {
      throw batchError(
        'BatchRequestTooLong',
        'The length of all the messages put together is more than the limit.',
      );
    }
    const topic = requireTopic(this.#d.store, topicArn);
    const fifo = topic.attributes.FifoTopic === 'true';
    // AWS rejects the whole batch when one entry is malformed (LocalStack's recordings against AWS
    // found no entry-level validation failure), so every entry is checked before any is accepted.
    const prepared = entries.map((entry, index) => this.#prepare(entry, fifo, index + 1));
    const keys = prepared.map((entry) => this.#dedupKey(topic, entry));
    const results: PublishResult[] = [];
    for (const [index, entry] of prepared.entries())
      results.push(await this.#accept(topic, entry, keys[index]));
    return results;
  }

  /** FIFO topics: the deduplication key (explicit id, or content hash when the topic allows it). */
  #dedupKey(topic: TopicRecord, prepared: Prepared): string | undefined {
    if (topic.attributes.FifoTopic !== 'true') return undefined;
    if (prepared.messageDeduplicationId !== undefined)
      return `${topic.arn}\n${prepared.messageDeduplicationId}`;
    if (topic.attributes.ContentBasedDeduplication !== 'true') {
      throw invalidParameter(
        'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    }
    return `${topic.arn}\n${createHash('sha256').update(prepared.message).digest('hex')}`;
  }

  async #accept(
    topic: TopicRecord,
    prepared: Prepared,
    dedupKey: string | undefined,
  ): Promise<PublishResult> {
    const fifo = dedupKey !== undefined;
    if (dedupKey !== undefined) {
      const now = Date.now();
      for (const [key, entry] of this.#dedup) if (entry.expiresAt <= now) this.#dedup.delete(key);
      const seen = this.#dedup.get(dedupKey);
      if (seen) return seen.result;
    }
    const messageId = randomUUID();
    let sequenceNumber: string | undefined;
    if (fifo) {
      topic.sequence += 1;
      sequenceNumber = (10n ** 19n + BigInt(topic.sequence)).toString();
      await this.#d.store.save();
    }
    const now = new Date().toISOString();
    const deliveries: DeliveryStatus[] = [];
    for (const subscription of this.#d.store.subscriptionsOf(topic.arn)) {
      if (subscription.pending || !this.#passesFilter(subscription, prepared)) continue;
      deliveries.push({
        subscriptionArn: subscription.arn,
        protocol: subscription.protocol,
        endpoint: subscription.endpoint,
        status: 'pending',
        attempts: 0,
        updatedAt: now,
      });
    }
    const published: PublishedMessage = {
      messageId,
      topicArn: topic.arn,
      message: prepared.message,
      ...(prepared.subject === undefined ? {} : { subject: prepared.subject }),
      ...(prepared.messageStructure ? { messageStructure: prepared.messageStructure } : {}),
      ...(prepared.messageAttributes ? { messageAttributes: prepared.messageAttributes } : {}),
      ...(prepared.messageGroupId === undefined ? {} : { messageGroupId: prepared.messageGroupId }),
      ...(prepared.messageDeduplicationId === undefined
        ? {}
        : { messageDeduplicationId: prepared.messageDeduplicationId }),
      ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
      timestamp: now,
      deliveries,
    };
    await this.#d.log.published(published);
    const result: PublishResult = { messageId, ...(sequenceNumber === undefined ? {} : { sequenceNumber }) };
    if (dedupKey) this.#dedup.set(dedupKey, { result, expiresAt: Date.now() + DEDUPLICATION_WINDOW_MS });

    this.#d.events.emit('published', structuredClone(published));
    if (this.#d.console) {
      const firstLine = (prepared.structure?.default ?? prepared.message).split('\n', 1)[0] ?? '';
      this.#d.logger.info(`SNS ${topic.name}: ${prepared.subject ?? firstLine}`, {
        messageId,
        topicArn: topic.arn,
        subject: prepared.subject,
        firstLine,
        deliveries: deliveries.length,
      });
    }
    for (const delivery of deliveries) this.#deliveries.deliver(published, prepared.structure, delivery);
    return result;
  }

  #passesFilter(subscription: SubscriptionRecord, prepared: Prepared): boolean {
    const text = subscription.attributes.FilterPolicy;
    if (!text) return true;
    const scope: FilterScope =
      subscription.attributes.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes';
    const policy = parseFilterPolicy(text, scope);
    const body = prepared.structure
      ? (prepared.structure[subscription.protocol] ?? prepared.structure.default ?? prepared.message)
      : prepared.message;
    return matchesFilterPolicy(policy, scope, { body, attributes: prepared.messageAttributes });
  }
}
