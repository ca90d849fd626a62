import type {
  BackendDeps,
  BatchEntryInput,
  Deps,
  PublishInput,
  PublishResult,
  RequestContext,
  SubscriptionSummary,
} from './backend/context.ts';
import { Deliveries } from './backend/deliveries.ts';
import { Publisher } from './backend/publish.ts';
import { Subscriptions } from './backend/subscriptions.ts';
import { Tags } from './backend/tags.ts';
import { Topics } from './backend/topics.ts';
import { DEFAULT_ACCOUNT_ID } from './constants.ts';
import type { Tag } from './store.ts';
import type { NotificationQuery, PhoneMessage, PublishedMessage } from './types.ts';

export type {
  BackendDeps,
  BatchEntryInput,
  PublishInput,
  PublishResult,
  RequestContext,
  SubscriptionSummary,
} from './backend/context.ts';

/**
 * The SNS operations on the service's state, free of HTTP and XML: the Query layer (api.ts) maps
 * parameters in and results out. Every change is saved before the operation answers. One object
 * over the parts in backend/: topics, tags, subscriptions (with the confirmation handshake),
 * publish (with FIFO) and the delivery bookkeeping.
 */
export class SnsBackend {
  readonly #deps: Deps;
  readonly #topics: Topics;
  readonly #tags: Tags;
  readonly #subscriptions: Subscriptions;
  readonly #publisher: Publisher;
  readonly #deliveries: Deliveries;

  constructor(deps: BackendDeps) {
    this.#deps = { ...deps, accountId: deps.accountId ?? DEFAULT_ACCOUNT_ID };
    this.#deliveries = new Deliveries(this.#deps);
    this.#topics = new Topics(this.#deps);
    this.#tags = new Tags(this.#deps);
    this.#subscriptions = new Subscriptions(this.#deps, this.#deliveries);
    this.#publisher = new Publisher(this.#deps, this.#deliveries);
  }

  get accountId(): string {
    return this.#deps.accountId;
  }

  // ---- topics -------------------------------------------------------------------------------

  createTopic(
    context: RequestContext,
    name: string | undefined,
    attributes: Record<string, string> = {},
    tags: Tag[] = [],
  ): Promise<string> {
    return this.#topics.createTopic(context, name, attributes, tags);
  }

  deleteTopic(topicArn: string | undefined): Promise<void> {
    return this.#topics.deleteTopic(topicArn);
  }

  listTopics(context: RequestContext, nextToken?: string): { arns: string[]; nextToken?: string } {
    return this.#topics.listTopics(context, nextToken);
  }

  getTopicAttributes(topicArn: string | undefined): Record<string, string> {
    return this.#topics.getTopicAttributes(topicArn);
  }

  setTopicAttributes(topicArn: string | undefined, name: string | undefined, value = ''): Promise<void> {
    return this.#topics.setTopicAttributes(topicArn, name, value);
  }

  // ---- tags ---------------------------------------------------------------------------------

  listTags(resourceArn: string | undefined): Tag[] {
    return this.#tags.listTags(resourceArn);
  }

  tagResource(resourceArn: string | undefined, tags: Tag[]): Promise<void> {
    return this.#tags.tagResource(resourceArn, tags);
  }

  untagResource(resourceArn: string | undefined, keys: string[]): Promise<void> {
    return this.#tags.untagResource(resourceArn, keys);
  }

  // ---- subscriptions ------------------------------------------------------------------------

  subscribe(
    input: Parameters<Subscriptions['subscribe']>[0],
  ): Promise<{ subscriptionArn: string; pending: boolean }> {
    return this.#subscriptions.subscribe(input);
  }

  confirmSubscription(
    context: RequestContext,
    topicArn: string | undefined,
    token: string | undefined,
    authenticateOnUnsubscribe?: boolean,
  ): Promise<string> {
    return this.#subscriptions.confirmSubscription(context, topicArn, token, authenticateOnUnsubscribe);
  }

  unsubscribe(context: RequestContext, subscriptionArn: string | undefined): Promise<void> {
    return this.#subscriptions.unsubscribe(context, subscriptionArn);
  }

  listSubscriptions(
    context: RequestContext,
    nextToken?: string,
  ): { subscriptions: SubscriptionSummary[]; nextToken?: string } {
    return this.#subscriptions.listSubscriptions(context, nextToken);
  }

  listSubscriptionsByTopic(
    topicArn: string | undefined,
    nextToken?: string,
  ): { subscriptions: SubscriptionSummary[]; nextToken?: string } {
    return this.#subscriptions.listSubscriptionsByTopic(topicArn, nextToken);
  }

  getSubscriptionAttributes(subscriptionArn: string | undefined): Record<string, string> {
    return this.#subscriptions.getSubscriptionAttributes(subscriptionArn);
  }

  setSubscriptionAttributes(
    subscriptionArn: string | undefined,
    name: string | undefined,
    value = '',
  ): Promise<void> {
    return this.#subscriptions.setSubscriptionAttributes(subscriptionArn, name, value);
  }

  // ---- publish and deliveries ---------------------------------------------------------------

  publish(input: PublishInput): Promise<PublishResult> {
    return this.#publisher.publish(input);
  }

  publishBatch(topicArn: string | undefined, entries: BatchEntryInput[]): Promise<PublishResult[]> {
    return this.#publisher.publishBatch(topicArn, entries);
  }

  /** Picks up deliveries a previous run left unfinished (data directory only). */
  resumeUnfinished(): number {
    return this.#deliveries.resumeUnfinished();
  }

  phoneMessages(query?: NotificationQuery): PhoneMessage[] {
    return this.#deliveries.phoneMessages(query);
  }

  notifications(query?: NotificationQuery): PublishedMessage[] {
    return this.#deliveries.notifications(query);
  }
}
