import { DELIVERY_CONTENT_TYPE, DELIVERY_USER_AGENT } from '../constants.ts';
import {
  type ConfirmationEnvelope,
  confirmationEnvelope,
  type NotificationEnvelope,
  notificationEnvelope,
  subscribeUrl,
  unsubscribeUrl,
} from '../envelope.ts';
import type { Signer } from '../signing.ts';
import type { SubscriptionRecord, TopicRecord } from '../store.ts';
import type { PublishedMessage } from '../types.ts';
import type { Mail } from './email.ts';

/**
 * What one delivery sends: the HTTP request (headers and body) or the mail, for a notification or
 * a confirmation, per protocol and subscription attributes (docs/reference/aws-wire-formats.md §5).
 */

export interface HttpPayload {
  headers: Record<string, string>;
  body: string;
}

export const DEFAULT_EMAIL_SUBJECT = 'AWS Notification Message';
export const CONFIRMATION_EMAIL_SUBJECT = 'AWS Notification - Subscription Confirmation';

/** The message text a protocol receives: its key of a `MessageStructure=json` message, else `default`. */
export function messageFor(
  message: PublishedMessage,
  protocol: string,
  structure?: Record<string, string>,
): string {
  if (message.messageStructure !== 'json' || !structure) return message.message;
  return structure[protocol] ?? structure.default ?? message.message;
}

export const signatureVersionOf = (topic: TopicRecord | undefined): string =>
  topic?.attributes.SignatureVersion === '2' ? '2' : '1';

/** `DeliveryPolicy.requestPolicy.headerContentType` of the subscription, else of the topic's `http` policy. */
export function contentTypeFor(subscription: SubscriptionRecord, topic: TopicRecord | undefined): string {
  const fromSubscription = readPath(subscription.attributes.DeliveryPolicy, [
    'requestPolicy',
    'headerContentType',
  ]);
  const fromTopic = readPath(topic?.attributes.DeliveryPolicy, [
    'http',
    'defaultRequestPolicy',
    'headerContentType',
  ]);
  return fromSubscription ?? fromTopic ?? DELIVERY_CONTENT_TYPE;
}

function readPath(json: string | undefined, path: string[]): string | undefined {
  if (!json) return undefined;
  try {
    let node: unknown = JSON.parse(json);
    for (const key of path) node = (node as Record<string, unknown> | null)?.[key];
    return typeof node === 'string' ? node : undefined;
  } catch {
    return undefined;
  }
}

const baseHeaders = (
  type: string,
  messageId: string,
  topicArn: string,
  subscriptionArn: string,
  contentType: string,
): Record<string, string> => ({
  'x-amz-sns-message-type': type,
  'x-amz-sns-message-id': messageId,
  'x-amz-sns-topic-arn': topicArn,
  'x-amz-sns-subscription-arn': subscriptionArn,
  'Content-Type': contentType,
  'User-Agent': DELIVERY_USER_AGENT,
});

export interface NotificationContext {
  message: PublishedMessage;
  /** The parsed `MessageStructure=json` body, when the message has one. */
  structure?: Record<string, string>;
  subscription: SubscriptionRecord;
  topic: TopicRecord | undefined;
  signer: Signer;
  publicUrl: string;
}

export function notificationEnvelopeFor(context: NotificationContext): NotificationEnvelope {
  const { message, subscription } = context;
  return notificationEnvelope(
    {
      messageId: message.messageId,
      topicArn: message.topicArn,
      ...(message.subject === undefined ? {} : { subject: message.subject }),
      message: messageFor(message, subscription.protocol, context.structure),
      timestamp: message.timestamp,
      subscriptionArn: subscription.arn,
      ...(message.messageAttributes ? { messageAttributes: message.messageAttributes } : {}),
      signatureVersion: signatureVersionOf(context.topic),
      publicUrl: context.publicUrl,
    },
    context.signer,
  );
}

export function notificationHttp(context: NotificationContext): HttpPayload {
  const { message, subscription } = context;
  const headers = baseHeaders(
    'Notification',
    message.messageId,
    message.topicArn,
    subscription.arn,
    contentTypeFor(subscription, context.topic),
  );
  if (subscription.attributes.RawMessageDelivery === 'true') {
    headers['x-amz-sns-rawdelivery'] = 'true';
    return { headers, body: messageFor(message, subscription.protocol, context.structure) };
  }
  return { headers, body: JSON.stringify(notificationEnvelopeFor(context)) };
}

export function notificationMail(context: NotificationContext): Mail {
  const { message, subscription } = context;
  const subject = message.subject ?? DEFAULT_EMAIL_SUBJECT;
  const fromName = context.topic?.attributes.DisplayName || 'AWS Notifications';
  if (subscription.protocol === 'email-json') {
    return {
      to: subscription.endpoint,
      subject,
      fromName,
      text: JSON.stringify(notificationEnvelopeFor(context)),
    };
  }
  const text =
    `${messageFor(message, 'email', context.structure)}\n\n--\n` +
    'If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n' +
    `${unsubscribeUrl(context.publicUrl, subscription.arn)}\n`;
  return { to: subscription.endpoint, subject, fromName, text };
}

export interface ConfirmationContext {
  type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  messageId: string;
  token: string;
  text: string;
  timestamp: string;
  subscription: SubscriptionRecord;
  topic: TopicRecord | undefined;
  signer: Signer;
  publicUrl: string;
}

export function confirmationEnvelopeFor(context: ConfirmationContext): ConfirmationEnvelope {
  return confirmationEnvelope(
    {
      type: context.type,
      messageId: context.messageId,
      token: context.token,
      topicArn: context.subscription.topicArn,
      message: context.text,
      timestamp: context.timestamp,
      signatureVersion: signatureVersionOf(context.topic),
      publicUrl: context.publicUrl,
    },
    context.signer,
  );
}

export function confirmationHttp(context: ConfirmationContext): HttpPayload {
  const { subscription } = context;
  const headers = baseHeaders(
    context.type,
    context.messageId,
    subscription.topicArn,
    subscription.arn,
    contentTypeFor(subscription, context.topic),
  );
  return { headers, body: JSON.stringify(confirmationEnvelopeFor(context)) };
}

export function confirmationMail(context: ConfirmationContext): Mail {
  const { subscription } = context;
  const fromName = context.topic?.attributes.DisplayName || 'AWS Notifications';
  if (subscription.protocol === 'email-json') {
    return {
      to: subscription.endpoint,
      subject: CONFIRMATION_EMAIL_SUBJECT,
      fromName,
      text: JSON.stringify(confirmationEnvelopeFor(context)),
    };
  }
  const url = subscribeUrl(context.publicUrl, subscription.topicArn, context.token);
  const text =
    `You have chosen to subscribe to the topic:\n${subscription.topicArn}\n\n` +
    'To confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n' +
    `${url}\n`;
  return { to: subscription.endpoint, subject: CONFIRMATION_EMAIL_SUBJECT, fromName, text };
}
