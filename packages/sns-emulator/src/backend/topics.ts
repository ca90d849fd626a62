import { TOPIC_ATTRIBUTE_NAMES } from '../constants.ts';
import { invalidParameter, topicNotFound } from '../errors.ts';
import { page } from '../pagination.ts';
import type { SnsStore, Tag, TopicRecord } from '../store.ts';
import {
  parseTopicArn,
  validateBooleanAttribute,
  validateJsonAttribute,
  validateTopicName,
} from '../validation.ts';
import type { Deps, RequestContext } from './context.ts';
import { checkTags } from './tags.ts';

/** CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes. */
export class Topics {
  readonly #d: Deps;

  constructor(deps: Deps) {
    this.#d = deps;
  }

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
    const arn = `arn:aws:sns:${context.region}:${this.#d.accountId}:${topicName}`;
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

  listTopics(context: RequestContext, nextToken?: string): { arns: string[]; nextToken?: string } {
    const topics = [...this.#d.store.topics.values()].filter((t) => t.region === context.region);
    const result = page(topics, (t) => t.arn, nextToken);
    return {
      arns: result.items.map((t) => t.arn),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  getTopicAttributes(topicArn: string | undefined): Record<string, string> {
    const topic = requireTopic(this.#d.store, topicArn);
    const subscriptions = this.#d.store.subscriptionsOf(topic.arn);
    return {
      Policy: topic.attributes.Policy ?? defaultPolicy(topic.arn, this.#d.accountId),
      Owner: this.#d.accountId,
      SubscriptionsPending: String(subscriptions.filter((s) => s.pending).length),
      TopicArn: topic.arn,
      EffectiveDeliveryPolicy: effectiveDeliveryPolicy(this.#d),
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
    const topic = requireTopic(this.#d.store, topicArn);
    if (!name || !TOPIC_ATTRIBUTE_NAMES.has(name) || name === 'FifoTopic') {
      throw invalidParameter('Invalid parameter: AttributeName');
    }
    topic.attributes[name] = this.#checkTopicAttribute(name, value, topic.attributes.FifoTopic === 'true');
    await this.#d.store.save();
  }
}

/** The topic an operation names, or NotFound; a malformed ARN is InvalidParameter on `parameter`. */
export function requireTopic(
  store: SnsStore,
  topicArn: string | undefined,
  parameter = 'TopicArn',
): TopicRecord {
  parseTopicArn(topicArn, parameter);
  const topic = store.topics.get(topicArn as string);
  if (!topic) throw topicNotFound();
  return topic;
}

/** The HTTP delivery policy in force (the service's retry settings), as Get*Attributes show it. */
export function effectiveDeliveryPolicy(deps: Pick<Deps, 'retries' | 'retryDelayMs'>): string {
  const delay = Math.round(deps.retryDelayMs / 1000);
  return JSON.stringify({
    http: {
      defaultHealthyRetryPolicy: {
        minDelayTarget: delay,
        maxDelayTarget: delay,
        numRetries: deps.retries,
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

function defaultTopicAttribute(name: string, fifo: boolean): string | undefined {
  if (name === 'FifoTopic') return fifo ? 'true' : 'false';
  if (name === 'ContentBasedDeduplication') return 'false';
  if (name === 'DisplayName') return '';
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
