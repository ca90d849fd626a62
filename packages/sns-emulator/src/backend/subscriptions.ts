/**
 * Subscriptions for the SNS emulator: subscribe, confirm, unsubscribe, list, attributes (below).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CONFIRMED_BY_ENDPOINT, TOKEN_TTL_MS } from '../constants.ts';
import { confirmationHttp, confirmationMail } from '../delivery/payloads.ts';
import { subscribeUrl, subscriptionConfirmationText, unsubscribeConfirmationText } from '../envelope.ts';
import { authorizationError, invalidParameter, notFound, topicNotFound } from '../errors.ts';
import { type FilterScope, parseFilterPolicy } from '../filter-policy.ts';
import { page } from '../pagination.ts';
import type { SubscriptionRecord, TopicRecord } from '../store.ts';
import { parseTopicArn } from '../validation.ts';
import type { Deps, RequestContext, SubscriptionSummary } from './context.ts';
import type { Deliveries } from './deliveries.ts';
import {
  checkProtocol,
  checkSubscriptionAttribute,
  checkSubscriptionAttributes,
  defaultSubscriptionAttribute,
} from './subscription-attributes.ts';
import { effectiveDeliveryPolicy, requireTopic } from './topics.ts';

const PENDING = 'PendingConfirmation';

/**
 * Subscribe (with the confirmation handshake: tokens, SubscriptionConfirmation), ConfirmSubscription,
 * Unsubscribe (with the UnsubscribeConfirmation whose token restores), the listings and
 * Get/SetSubscriptionAttributes.
 */
export class Subscriptions {
  readonly #d: Deps;
  readonly #deliveries: Deliveries;

  constructor(deps: Deps, deliveries: Deliveries) {
    this.#d = deps;
    this.#deliveries = deliveries;
  }

  async subscribe(input: {
    topicArn: string | undefined;
    protocol: string | undefined;
    endpoint: string | undefined;
    attributes?: Record<string, string>;
    returnSubscriptionArn?: boolean;
    confirmed?: boolean;
  }): Promise<{ subscriptionArn: string; pending: boolean }> {
    const topic = requireTopic(this.#d.store, input.topicArn);
    const protocol = checkProtocol(input.protocol, input.endpoint, topic);
    const endpoint = input.endpoint as string;
    const attributes = checkSubscriptionAttributes(
      input.attributes ?? {},
      protocol,
      'Invalid parameter: Attributes Reason: ',
    );

    const existing = this.#d.store.findSubscription(topic.arn, protocol, endpoint);
    if (existing && input.confirmed) {
      // A subscription the embedding program declares (the project's config): its attributes are the config's.
      existing.attributes = attributes;
      existing.pending = false;
      await this.#d.store.save();
      return this.#subscribeAnswer(existing, input.returnSubscriptionArn);
    }
    if (existing) {
      for (const [key, value] of Object.entries(attributes)) {
        if ((existing.attributes[key] ?? defaultSubscriptionAttribute(key)) !== value) {
          throw invalidParameter(
            'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
          );
        }
      }
      if (existing.pending) {
        await this.#sendSubscriptionConfirmation(existing, topic);
      }
      return this.#subscribeAnswer(existing, input.returnSubscriptionArn);
    }

    // sqs, lambda and sms subscriptions need no handshake (same account); the others wait for the endpoint.
    const confirmed = input.confirmed === true || !CONFIRMED_BY_ENDPOINT.has(protocol);
    const subscription: SubscriptionRecord = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      owner: this.#d.accountId,
      attributes,
      pending: !confirmed,
      confirmationWasAuthenticated: confirmed,
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
      this.#deliveries.enqueueConfirmation(messageId, 'SubscriptionConfirmation', subscription, async () => {
        await email.send(mail);
        return {};
      });
      return;
    }
    const payload = confirmationHttp(context);
    this.#deliveries.enqueueConfirmation(messageId, 'SubscriptionConfirmation', subscription, async () => ({
      statusCode: await this.#d.http.post(
        subscription.endpoint,
        payload.headers,
        payload.body,
        this.#d.timeoutMs,
      ),
    }));
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
      throw authorizationError('Not authorized to unsubscribe without a signed request');
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
    this.#deliveries.enqueueConfirmation(messageId, 'UnsubscribeConfirmation', subscription, async () => ({
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
    const topic = requireTopic(this.#d.store, topicArn);
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
      SubscriptionPrincipal: `arn:aws:iam::${this.#d.accountId}:user/eventline-local`,
      SubscriptionArn: s.arn,
      ...(http ? { EffectiveDeliveryPolicy: effectiveDeliveryPolicy(this.#d) } : {}),
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
    const checked = checkSubscriptionAttribute(
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
}
