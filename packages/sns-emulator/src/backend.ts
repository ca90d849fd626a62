import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import {
  DEDUPLICATION_WINDOW_MS,
  DEFAULT_ACCOUNT_ID,
  KNOWN_UNSUPPORTED_PROTOCOLS,
  MAX_BATCH_ENTRIES,
  MAX_MESSAGE_BYTES,
  SUBSCRIPTION_ATTRIBUTE_NAMES,
  SUPPORTED_PROTOCOLS,
  TOKEN_TTL_MS,
  TOPIC_ATTRIBUTE_NAMES,
} from './constants.ts';
import type { DeliveryDispatcher, DeliveryProgress } from './delivery/dispatcher.ts';
import type { EmailSender } from './delivery/email.ts';
import type { HttpPoster } from './delivery/http.ts';
import {
  confirmationHttp,
  confirmationMail,
  notificationHttp,
  notificationMail,
} from './delivery/payloads.ts';
import { subscribeUrl, subscriptionConfirmationText, unsubscribeConfirmationText } from './envelope.ts';
import { batchError, invalidParameter, notFound, SnsApiError, topicNotFound } from './errors.ts';
import { type FilterScope, matchesFilterPolicy, parseFilterPolicy } from './filter-policy.ts';
import type { NotificationLog } from './notification-log.ts';
import { page } from './pagination.ts';
import type { Signer } from './signing.ts';
import type { SnsStore, SubscriptionRecord, Tag, TopicRecord } from './store.ts';
import type {
  DeliveryStatus,
  Logger,
  MessageAttributes,
  NotificationQuery,
  Protocol,
  PublishedMessage,
} from './types.ts';
import {
  parseMessageStructure,
  parseTopicArn,
  publishSize,
  validateBatchEntryId,
  validateBooleanAttribute,
  validateJsonAttribute,
  validateMessage,
  validateMessageAttributes,
  validateMessageStructure,
  validatePublishSize,
  validateSubject,
  validateTopicName,
} from './validation.ts';

/**
 * The SNS operations on the service's state, free of HTTP and XML: the Query layer (api.ts) maps
 * parameters in and results out. Every change is saved before the operation answers.
 */

export interface RequestContext {
  region: string;
  /** The request carried a SigV4 signature (SubscribeURL / UnsubscribeURL links do not). */
  signed: boolean;
}

export interface PublishInput {
  topicArn?: string;
  targetArn?: string;
  phoneNumber?: string;
  message?: string;
  subject?: string;
  messageStructure?: string;
  messageAttributes?: MessageAttributes;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

export interface BatchEntryInput extends Omit<PublishInput, 'topicArn' | 'targetArn' | 'phoneNumber'> {
  id?: string;
}

export interface PublishResult {
  messageId: string;
  sequenceNumber?: string;
}

export interface SubscriptionSummary {
  SubscriptionArn: string;
  Owner: string;
  Protocol: string;
  Endpoint: string;
  TopicArn: string;
}

export interface BackendDeps {
  region: string;
  accountId?: string;
  store: SnsStore;
  log: NotificationLog;
  dispatcher: DeliveryDispatcher;
  signer: Signer;
  http: HttpPoster;
  email: EmailSender | undefined;
  publicUrl: () => string;
  events: EventEmitter;
  logger: Logger;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  console: boolean;
}

interface Prepared {
  message: string;
  subject?: string;
  messageStructure?: 'json';
  structure?: Record<string, string>;
  messageAttributes?: MessageAttributes;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

const PENDING = 'PendingConfirmation';

export class SnsBackend {
  readonly #d: BackendDeps;
  readonly #accountId: string;
  readonly #dedup = new Map<string, { result: PublishResult; expiresAt: number }>();
  #warnedNoSmtp = false;

  constructor(deps: BackendDeps) {
    this.#d = deps;
    this.#accountId = deps.accountId ?? DEFAULT_ACCOUNT_ID;
  }

  get accountId(): string {
    return this.#accountId;
  }

  // ---- topics -------------------------------------------------------------------------------

  async createTopic(
    context: RequestContext,
    name: string | undefined,
    attributes: Record<string, string> = {},
    tags: Tag[] = [],
  ): Promise<string> {
    const fifo = attributes.FifoTopic?.toLowerCase() === 'true';
    validateTopicName(name, fifo);
    const topicName = name as string;
    const checked = this.#checkTopicAttributes(attributes, fifo);
    const arn = `arn:aws:sns:${context.region}:${this.#accountId}:${topicName}`;
    const existing = this.#d.store.topics.get(arn);
    if (existing) {
      for (const [key, value] of Object.entries(checked)) {
        if ((existing.attributes[key] ?? defaultTopicAttribute(key, fifo)) !== value) {
          throw invalidParameter(
            'Invalid parameter: Attributes Reason: Topic already exists with different attributes',
          );
        }
      }
      for (const tag of tags) {
        if (!existing.tags.some((t) => t.Key === tag.Key && t.Value === tag.Value)) {
          throw invalidParameter('Invalid parameter: Tags Reason: Topic already exists with different tags');
        }
      }
      return arn;
    }
    checkTags(tags);
    this.#d.store.topics.set(arn, {
      arn,
      name: topicName,
      region: context.region,
      attributes: fifo ? { ContentBasedDeduplication: 'false', ...checked, FifoTopic: 'true' } : checked,
      tags,
      createdAt: new Date().toISOString(),
      sequence: 0,
    });
    await this.#d.store.save();
    this.#d.logger.debug('SNS topic created', { topicArn: arn });
    return arn;
  }

  #checkTopicAttributes(attributes: Record<string, string>, fifo: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (!TOPIC_ATTRIBUTE_NAMES.has(name)) throw invalidParameter('Invalid parameter: AttributeName');
      out[name] = this.#checkTopicAttribute(name, value, fifo);
    }
    return out;
  }

  #checkTopicAttribute(name: string, value: string, fifo: boolean): string {
    switch (name) {
      case 'FifoTopic':
        return validateBooleanAttribute(name, value);
      case 'ContentBasedDeduplication':
        if (!fifo)
          throw invalidParameter(
            'Invalid parameter: ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics',
          );
        return validateBooleanAttribute(name, value);
      case 'SignatureVersion':
        if (value !== '1' && value !== '2') throw invalidParameter('Invalid parameter: SignatureVersion');
        return value;
      case 'Policy':
      case 'DeliveryPolicy':
      case 'ArchivePolicy':
        validateJsonAttribute(name, value);
        return value;
      case 'TracingConfig':
        if (value !== 'Active' && value !== 'PassThrough')
          throw invalidParameter('Invalid parameter: TracingConfig');
        return value;
      default:
        return value;
    }
  }

  async deleteTopic(topicArn: string | undefined): Promise<void> {
    parseTopicArn(topicArn);
    const arn = topicArn as string;
    if (!this.#d.store.topics.has(arn)) return;
    this.#d.store.deleteTopic(arn);
    await this.#d.store.save();
  }

  #topic(topicArn: string | undefined, parameter = 'TopicArn'): TopicRecord {
    parseTopicArn(topicArn, parameter);
    const topic = this.#d.store.topics.get(topicArn as string);
    if (!topic) throw topicNotFound();
    return topic;
  }

  listTopics(context: RequestContext, nextToken?: string): { arns: string[]; nextToken?: string } {
    const topics = [...this.#d.store.topics.values()].filter((t) => t.region === context.region);
    const result = page(topics, (t) => t.arn, nextToken);
    return {
      arns: result.items.map((t) => t.arn),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  getTopicAttributes(topicArn: string | undefined): Record<string, string> {
    const topic = this.#topic(topicArn);
    const subscriptions = this.#d.store.subscriptionsOf(topic.arn);
    return {
      Policy: topic.attributes.Policy ?? defaultPolicy(topic.arn, this.#accountId),
      Owner: this.#accountId,
      SubscriptionsPending: String(subscriptions.filter((s) => s.pending).length),
      TopicArn: topic.arn,
      EffectiveDeliveryPolicy: this.#effectiveDeliveryPolicy(),
      SubscriptionsConfirmed: String(subscriptions.filter((s) => !s.pending).length),
      DisplayName: topic.attributes.DisplayName ?? '',
      SubscriptionsDeleted: '0',
      ...Object.fromEntries(
        Object.entries(topic.attributes).filter(([key]) => key !== 'Policy' && key !== 'DisplayName'),
      ),
    };
  }

  async setTopicAttributes(
    topicArn: string | undefined,
    name: string | undefined,
    value = '',
  ): Promise<void> {
    const topic = this.#topic(topicArn);
    if (!name || !TOPIC_ATTRIBUTE_NAMES.has(name) || name === 'FifoTopic') {
      throw invalidParameter('Invalid parameter: AttributeName');
    }
    topic.attributes[name] = this.#checkTopicAttribute(name, value, topic.attributes.FifoTopic === 'true');
    await this.#d.store.save();
  }

  #effectiveDeliveryPolicy(): string {
    const delay = Math.round(this.#d.retryDelayMs / 1000);
    return JSON.stringify({
      http: {
        defaultHealthyRetryPolicy: {
          minDelayTarget: delay,
          maxDelayTarget: delay,
          numRetries: this.#d.retries,
          numMaxDelayRetries: 0,
          numNoDelayRetries: 0,
          numMinDelayRetries: 0,
          backoffFunction: 'linear',
        },
        disableSubscriptionOverrides: false,
        defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
      },
    });
  }

  // ---- tags ---------------------------------------------------------------------------------

  #tagged(resourceArn: string | undefined): TopicRecord {
    const topic = resourceArn ? this.#d.store.topics.get(resourceArn) : undefined;
    if (!topic) throw new SnsApiError('ResourceNotFound', 404, 'Resource does not exist');
    return topic;
  }

  listTags(resourceArn: string | undefined): Tag[] {
    return [...this.#tagged(resourceArn).tags];
  }

  async tagResource(resourceArn: string | undefined, tags: Tag[]): Promise<void> {
    const topic = this.#tagged(resourceArn);
    checkTags(tags);
    for (const tag of tags) {
      const index = topic.tags.findIndex((t) => t.Key === tag.Key);
      if (index >= 0) topic.tags[index] = tag;
      else topic.tags.push(tag);
    }
    if (topic.tags.length > 50)
      throw new SnsApiError(
        'TagLimitExceeded',
        400,
        'Could not complete request: tag quota of per resource exceeded',
      );
    await this.#d.store.save();
  }

  async untagResource(resourceArn: string | undefined, keys: string[]): Promise<void> {
    const topic = this.#tagged(resourceArn);
    topic.tags = topic.tags.filter((t) => !keys.includes(t.Key));
    await this.#d.store.save();
  }

  // ---- subscriptions ------------------------------------------------------------------------

  async subscribe(input: {
    topicArn: string | undefined;
    protocol: string | undefined;
    endpoint: string | undefined;
    attributes?: Record<string, string>;
    returnSubscriptionArn?: boolean;
    confirmed?: boolean;
  }): Promise<{ subscriptionArn: string; pending: boolean }> {
    const topic = this.#topic(input.topicArn);
    const protocol = checkProtocol(input.protocol, input.endpoint, topic);
    const endpoint = input.endpoint as string;
    const attributes = this.#checkSubscriptionAttributes(
      input.attributes ?? {},
      protocol,
      'Invalid parameter: Attributes Reason: ',
    );

    const existing = this.#d.store.findSubscription(topic.arn, protocol, endpoint);
    if (existing) {
      for (const [key, value] of Object.entries(attributes)) {
        if ((existing.attributes[key] ?? defaultSubscriptionAttribute(key)) !== value) {
          throw invalidParameter(
            'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
          );
        }
      }
      if (existing.pending && input.confirmed) {
        existing.pending = false;
        await this.#d.store.save();
      } else if (existing.pending) {
        await this.#sendSubscriptionConfirmation(existing, topic);
      }
      return this.#subscribeAnswer(existing, input.returnSubscriptionArn);
    }

    const subscription: SubscriptionRecord = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      owner: this.#accountId,
      attributes,
      pending: !input.confirmed,
      confirmationWasAuthenticated: input.confirmed === true,
      createdAt: new Date().toISOString(),
    };
    this.#d.store.subscriptions.set(subscription.arn, subscription);
    if (subscription.pending) await this.#sendSubscriptionConfirmation(subscription, topic);
    else await this.#d.store.save();
    this.#d.logger.debug('SNS subscription created', {
      subscriptionArn: subscription.arn,
      protocol,
      endpoint,
      pending: subscription.pending,
    });
    return this.#subscribeAnswer(subscription, input.returnSubscriptionArn);
  }

  #subscribeAnswer(
    subscription: SubscriptionRecord,
    returnArn?: boolean,
  ): { subscriptionArn: string; pending: boolean } {
    const shown = subscription.pending && !returnArn ? 'pending confirmation' : subscription.arn;
    return { subscriptionArn: shown, pending: subscription.pending };
  }

  #checkSubscriptionAttributes(
    attributes: Record<string, string>,
    protocol: Protocol,
    prefix: string,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      out[name] = this.#checkSubscriptionAttribute(
        name,
        value,
        protocol,
        prefix,
        attributes.FilterPolicyScope,
      );
    }
    return out;
  }

  #checkSubscriptionAttribute(
    name: string,
    value: string,
    protocol: Protocol,
    prefix: string,
    scope?: string,
  ): string {
    if (!SUBSCRIPTION_ATTRIBUTE_NAMES.has(name)) throw invalidParameter(`${prefix}AttributeName`);
    const http = protocol === 'http' || protocol === 'https';
    switch (name) {
      case 'RawMessageDelivery':
        if (!http)
          throw invalidParameter(
            `${prefix}Delivery protocol [${protocol}] does not support raw message delivery.`,
          );
        return validateBooleanAttribute(name, value, prefix);
      case 'FilterPolicyScope':
        if (value !== 'MessageAttributes' && value !== 'MessageBody') {
          throw invalidParameter(
            `${prefix}FilterPolicyScope: Invalid value [${value}]. Please use either MessageBody or MessageAttributes`,
          );
        }
        return value;
      case 'FilterPolicy':
        parseFilterPolicy(value, scope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes');
        return value;
      case 'DeliveryPolicy':
        if (!http)
          throw invalidParameter(
            `${prefix}DeliveryPolicy: Delivery protocol [${protocol}] does not support delivery policies.`,
          );
        validateJsonAttribute(name, value, prefix);
        return value;
      case 'RedrivePolicy':
        validateJsonAttribute(name, value, prefix);
        return value;
      default:
        return value;
    }
  }

  #newToken(subscription: SubscriptionRecord, restore?: SubscriptionRecord): string {
    const now = Date.now();
    for (const [key, record] of this.#d.store.tokens)
      if (record.expiresAt <= now) this.#d.store.tokens.delete(key);
    const token = randomBytes(64).toString('hex');
    this.#d.store.tokens.set(token, {
      token,
      topicArn: subscription.topicArn,
      subscriptionArn: subscription.arn,
      expiresAt: now + TOKEN_TTL_MS,
      ...(restore ? { restore } : {}),
    });
    return token;
  }

  /** Saves a token, then sends the SubscriptionConfirmation (http/https) or the confirmation mail. */
  async #sendSubscriptionConfirmation(subscription: SubscriptionRecord, topic: TopicRecord): Promise<void> {
    const token = this.#newToken(subscription);
    await this.#d.store.save();
    const messageId = randomUUID();
    const context = {
      type: 'SubscriptionConfirmation' as const,
      messageId,
      token,
      text: subscriptionConfirmationText(topic.arn),
      timestamp: new Date().toISOString(),
      subscription,
      topic,
      signer: this.#d.signer,
      publicUrl: this.#d.publicUrl(),
    };
    if (subscription.protocol === 'email' || subscription.protocol === 'email-json') {
      const email = this.#d.email;
      if (!email) {
        this.#d.logger.warn(
          'SNS email subscription awaits confirmation, but no SMTP server is configured: open the URL to confirm',
          {
            subscriptionArn: subscription.arn,
            endpoint: subscription.endpoint,
            subscribeUrl: subscribeUrl(context.publicUrl, topic.arn, token),
          },
        );
        return;
      }
      const mail = confirmationMail(context);
      this.#enqueue(messageId, 'SubscriptionConfirmation', subscription, async () => {
        await email.send(mail);
        return {};
      });
      return;
    }
    const payload = confirmationHttp(context);
    this.#enqueue(messageId, 'SubscriptionConfirmation', subscription, async () => ({
      statusCode: await this.#d.http.post(
        subscription.endpoint,
        payload.headers,
        payload.body,
        this.#d.timeoutMs,
      ),
    }));
  }

  #enqueue(
    messageId: string,
    messageType: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
    subscription: SubscriptionRecord,
    attempt: () => Promise<{ statusCode?: number }>,
  ): void {
    this.#d.dispatcher.enqueue({
      messageId,
      messageType,
      subscriptionArn: subscription.arn,
      protocol: subscription.protocol,
      endpoint: subscription.endpoint,
      attempt,
      ...(messageType === 'SubscriptionConfirmation'
        ? { stillWanted: () => this.#d.store.subscriptions.get(subscription.arn)?.pending === true }
        : {}),
    });
  }

  async confirmSubscription(
    context: RequestContext,
    topicArn: string | undefined,
    token: string | undefined,
    authenticateOnUnsubscribe?: boolean,
  ): Promise<string> {
    parseTopicArn(topicArn);
    const record = token ? this.#d.store.tokens.get(token) : undefined;
    if (!record || record.expiresAt <= Date.now()) throw invalidParameter('Invalid parameter: Token');
    if (record.topicArn !== topicArn) throw invalidParameter('Invalid parameter: Topic');
    if (!this.#d.store.topics.has(record.topicArn)) throw topicNotFound();

    let subscription = this.#d.store.subscriptions.get(record.subscriptionArn);
    if (!subscription && record.restore) {
      subscription = { ...record.restore, pending: false };
      this.#d.store.subscriptions.set(subscription.arn, subscription);
    }
    if (!subscription) throw invalidParameter('Invalid parameter: Token');
    if (subscription.pending) {
      subscription.pending = false;
      subscription.confirmationWasAuthenticated = context.signed && authenticateOnUnsubscribe === true;
      this.#d.logger.info('SNS subscription confirmed', {
        subscriptionArn: subscription.arn,
        protocol: subscription.protocol,
        endpoint: subscription.endpoint,
      });
    }
    await this.#d.store.save();
    return subscription.arn;
  }

  async unsubscribe(context: RequestContext, subscriptionArn: string | undefined): Promise<void> {
    if (!subscriptionArn) {
      throw invalidParameter('Invalid parameter: SubscriptionArn Reason: no value for required parameter');
    }
    const parts = subscriptionArn.split(':');
    if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'sns') {
      throw invalidParameter(
        `Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not ${parts.length}`,
      );
    }
    if (parts.length === 6) throw invalidParameter('Invalid parameter: SubscriptionId');
    const subscription = this.#d.store.subscriptions.get(subscriptionArn);
    if (!subscription) return;
    if (subscription.confirmationWasAuthenticated && !context.signed) {
      throw new SnsApiError(
        'AuthorizationError',
        403,
        'Not authorized to unsubscribe without a signed request',
      );
    }
    this.#d.store.subscriptions.delete(subscriptionArn);
    for (const [key, token] of this.#d.store.tokens) {
      if (token.subscriptionArn === subscriptionArn && !token.restore) this.#d.store.tokens.delete(key);
    }
    const http = subscription.protocol === 'http' || subscription.protocol === 'https';
    const token = http ? this.#newToken(subscription, subscription) : undefined;
    await this.#d.store.save();
    this.#d.logger.info('SNS subscription deleted', { subscriptionArn, endpoint: subscription.endpoint });
    if (!token) return;
    const messageId = randomUUID();
    const payload = confirmationHttp({
      type: 'UnsubscribeConfirmation',
      messageId,
      token,
      text: unsubscribeConfirmationText(subscriptionArn),
      timestamp: new Date().toISOString(),
      subscription,
      topic: this.#d.store.topics.get(subscription.topicArn),
      signer: this.#d.signer,
      publicUrl: this.#d.publicUrl(),
    });
    this.#enqueue(messageId, 'UnsubscribeConfirmation', subscription, async () => ({
      statusCode: await this.#d.http.post(
        subscription.endpoint,
        payload.headers,
        payload.body,
        this.#d.timeoutMs,
      ),
    }));
  }

  #summary(subscription: SubscriptionRecord): SubscriptionSummary {
    return {
      SubscriptionArn: subscription.pending ? PENDING : subscription.arn,
      Owner: subscription.owner,
      Protocol: subscription.protocol,
      Endpoint: subscription.endpoint,
      TopicArn: subscription.topicArn,
    };
  }

  listSubscriptions(
    context: RequestContext,
    nextToken?: string,
  ): { subscriptions: SubscriptionSummary[]; nextToken?: string } {
    const subscriptions = [...this.#d.store.subscriptions.values()].filter(
      (s) => this.#d.store.topics.get(s.topicArn)?.region === context.region,
    );
    const result = page(subscriptions, (s) => s.arn, nextToken);
    return {
      subscriptions: result.items.map((s) => this.#summary(s)),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  listSubscriptionsByTopic(
    topicArn: string | undefined,
    nextToken?: string,
  ): { subscriptions: SubscriptionSummary[]; nextToken?: string } {
    const topic = this.#topic(topicArn);
    const result = page(this.#d.store.subscriptionsOf(topic.arn), (s) => s.arn, nextToken);
    return {
      subscriptions: result.items.map((s) => this.#summary(s)),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  #subscription(subscriptionArn: string | undefined): SubscriptionRecord {
    const subscription = subscriptionArn ? this.#d.store.subscriptions.get(subscriptionArn) : undefined;
    if (!subscription) throw notFound('Subscription does not exist');
    return subscription;
  }

  getSubscriptionAttributes(subscriptionArn: string | undefined): Record<string, string> {
    const s = this.#subscription(subscriptionArn);
    const http = s.protocol === 'http' || s.protocol === 'https';
    return {
      ConfirmationWasAuthenticated: String(s.confirmationWasAuthenticated),
      PendingConfirmation: String(s.pending),
      Owner: s.owner,
      RawMessageDelivery: s.attributes.RawMessageDelivery ?? 'false',
      TopicArn: s.topicArn,
      Endpoint: s.endpoint,
      Protocol: s.protocol,
      SubscriptionPrincipal: `arn:aws:iam::${this.#accountId}:user/eventline-local`,
      SubscriptionArn: s.arn,
      ...(http ? { EffectiveDeliveryPolicy: this.#effectiveDeliveryPolicy() } : {}),
      ...(s.attributes.FilterPolicy ? { FilterPolicyScope: 'MessageAttributes' } : {}),
      ...s.attributes,
    };
  }

  async setSubscriptionAttributes(
    subscriptionArn: string | undefined,
    name: string | undefined,
    value = '',
  ): Promise<void> {
    const s = this.#subscription(subscriptionArn);
    const checked = this.#checkSubscriptionAttribute(
      name ?? '',
      value,
      s.protocol,
      'Invalid parameter: ',
      name === 'FilterPolicy' ? s.attributes.FilterPolicyScope : undefined,
    );
    if (name === 'FilterPolicyScope' && s.attributes.FilterPolicy) {
      parseFilterPolicy(s.attributes.FilterPolicy, checked as FilterScope);
    }
    s.attributes[name as string] = checked;
    await this.#d.store.save();
  }

  // ---- publish ------------------------------------------------------------------------------

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
    const topic = this.#topic(arn, input.topicArn === undefined ? 'TargetArn' : 'TopicArn');
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
    const topic = this.#topic(topicArn);
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
    for (const delivery of deliveries) this.#deliver(published, prepared.structure, delivery);
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

  /** Starts (or resumes) one delivery of a published message. */
  #deliver(
    message: PublishedMessage,
    structure: Record<string, string> | undefined,
    delivery: DeliveryStatus,
  ): void {
    const subscription = this.#d.store.subscriptions.get(delivery.subscriptionArn);
    const record = async (progress: DeliveryProgress): Promise<void> => {
      const status: DeliveryStatus = {
        ...delivery,
        status: progress.status,
        attempts: progress.attempts,
        ...(progress.statusCode === undefined ? {} : { statusCode: progress.statusCode }),
        ...(progress.error === undefined ? {} : { error: progress.error }),
        updatedAt: new Date().toISOString(),
      };
      try {
        await this.#d.log.delivery(message.messageId, status);
      } catch (error) {
        this.#d.logger.error('SNS delivery outcome not recorded', { messageId: message.messageId, error });
      }
    };
    if (!subscription || subscription.pending) {
      void record({ status: 'failed', attempts: delivery.attempts, error: 'subscription no longer exists' });
      return;
    }
    const topic = this.#d.store.topics.get(message.topicArn);
    const context = {
      message,
      subscription,
      topic,
      signer: this.#d.signer,
      publicUrl: this.#d.publicUrl(),
      ...(structure ? { structure } : {}),
    };
    let attempt: () => Promise<{ statusCode?: number }>;
    if (subscription.protocol === 'http' || subscription.protocol === 'https') {
      const payload = notificationHttp(context);
      attempt = async () => ({
        statusCode: await this.#d.http.post(
          subscription.endpoint,
          payload.headers,
          payload.body,
          this.#d.timeoutMs,
        ),
      });
    } else {
      const email = this.#d.email;
      if (!email) {
        if (!this.#warnedNoSmtp) {
          this.#warnedNoSmtp = true;
          this.#d.logger.warn(
            'SNS email delivery needs an SMTP server (smtp option); email deliveries fail',
            {
              subscriptionArn: subscription.arn,
            },
          );
        }
        void record({ status: 'failed', attempts: delivery.attempts, error: 'no SMTP server configured' });
        return;
      }
      const mail = notificationMail(context);
      attempt = async () => {
        await email.send(mail);
        return {};
      };
    }
    this.#d.dispatcher.enqueue({
      messageId: message.messageId,
      messageType: 'Notification',
      subscriptionArn: subscription.arn,
      protocol: subscription.protocol,
      endpoint: subscription.endpoint,
      attemptsMade: delivery.attempts,
      attempt,
      stillWanted: () => this.#d.store.subscriptions.has(subscription.arn),
      onProgress: record,
    });
  }

  /** Picks up deliveries a previous run left unfinished (data directory only). */
  resumeUnfinished(): number {
    const unfinished = this.#d.log.unfinished();
    for (const { message, delivery } of unfinished) {
      let structure: Record<string, string> | undefined;
      if (message.messageStructure === 'json') {
        try {
          structure = parseMessageStructure(message.message);
        } catch {
          structure = undefined;
        }
      }
      this.#deliver(message, structure, delivery);
    }
    return unfinished.length;
  }

  notifications(query?: NotificationQuery): PublishedMessage[] {
    return this.#d.log.list(query);
  }
}

function checkProtocol(
  protocol: string | undefined,
  endpoint: string | undefined,
  topic: TopicRecord,
): Protocol {
  if (!protocol)
    throw invalidParameter('Invalid parameter: Protocol Reason: no value for required parameter');
  if (!(SUPPORTED_PROTOCOLS as readonly string[]).includes(protocol)) {
    if ((KNOWN_UNSUPPORTED_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw invalidParameter(
        `Invalid parameter: Protocol Reason: the local SNS service delivers to ${SUPPORTED_PROTOCOLS.join(', ')} only, not ${protocol}`,
      );
    }
    throw invalidParameter(
      `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`,
    );
  }
  const checked = protocol as Protocol;
  if (topic.attributes.FifoTopic === 'true') {
    throw invalidParameter(
      `Invalid parameter: Protocol Reason: FIFO topics deliver to sqs only, not ${checked}`,
    );
  }
  if (!endpoint)
    throw invalidParameter('Invalid parameter: Endpoint Reason: no value for required parameter');
  if (checked === 'http' || checked === 'https') {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== `${checked}:` || !endpoint.startsWith(`${checked}://`)) {
      throw invalidParameter('Invalid parameter: Endpoint must match the specified protocol');
    }
  } else if (!/^[^@\s]+@[^@\s]+$/.test(endpoint)) {
    throw invalidParameter('Invalid parameter: Email address');
  }
  return checked;
}

function checkTags(tags: Tag[]): void {
  const keys = new Set(tags.map((t) => t.Key));
  if (keys.size !== tags.length)
    throw invalidParameter('Invalid parameter: Duplicated keys are not allowed.');
  for (const tag of tags) {
    if (tag.Key.length === 0 || tag.Key.length > 128 || tag.Value.length > 256) {
      throw invalidParameter('Invalid parameter: Tags');
    }
  }
}

function defaultTopicAttribute(name: string, fifo: boolean): string | undefined {
  if (name === 'FifoTopic') return fifo ? 'true' : 'false';
  if (name === 'ContentBasedDeduplication') return 'false';
  if (name === 'DisplayName') return '';
  return undefined;
}

function defaultSubscriptionAttribute(name: string): string | undefined {
  if (name === 'RawMessageDelivery') return 'false';
  if (name === 'FilterPolicyScope') return 'MessageAttributes';
  return undefined;
}

function defaultPolicy(topicArn: string, accountId: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });
}
