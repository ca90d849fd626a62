import type { EventEmitter } from 'node:events';
import type { DeliveryDispatcher } from '../delivery/dispatcher.ts';
import type { EmailSender } from '../delivery/email.ts';
import type { HttpPoster } from '../delivery/http.ts';
import type { NotificationLog } from '../notification-log.ts';
import type { Signer } from '../signing.ts';
import type { SnsStore } from '../store.ts';
import type { DeliveryTargets, Logger, MessageAttributes } from '../types.ts';

/** The shapes the backend's parts share: what a request brings, what an operation answers, what they all use. */

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
  /** Where sqs and lambda subscriptions deliver. */
  targets?: DeliveryTargets;
  publicUrl: () => string;
  events: EventEmitter;
  logger: Logger;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  console: boolean;
}

/** The dependencies with the account id resolved (every part reads it). */
export type Deps = BackendDeps & { accountId: string };
