import { CERT_PATH } from './constants.ts';
import type { Signer } from './signing.ts';
import type { MessageAttributes } from './types.ts';

/**
 * The JSON documents SNS POSTs to http/https endpoints and mails to email-json endpoints
 * (docs/reference/aws-wire-formats.md §5), with their signature over the documented string to sign.
 */

export type MessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

const base = (publicUrl: string): string => publicUrl.replace(/\/+$/, '');

export const subscribeUrl = (publicUrl: string, topicArn: string, token: string): string =>
  `${base(publicUrl)}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${encodeURIComponent(token)}`;

export const unsubscribeUrl = (publicUrl: string, subscriptionArn: string): string =>
  `${base(publicUrl)}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`;

export const signingCertUrl = (publicUrl: string): string => `${base(publicUrl)}${CERT_PATH}`;

/** `name\nvalue\n` for each present field, in the order given. */
export function stringToSign(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  return fields
    .filter((field): field is readonly [string, string] => field[1] !== undefined)
    .map(([name, value]) => `${name}\n${value}\n`)
    .join('');
}

export type EnvelopeAttributes = Record<string, { Type: string; Value: string }>;

/** `{"name":{"Type":"String","Value":"…"}}`; Binary values stay base64. */
export function envelopeAttributes(
  attributes: MessageAttributes | undefined,
): EnvelopeAttributes | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  const out: EnvelopeAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = { Type: value.DataType, Value: value.BinaryValue ?? value.StringValue ?? '' };
  }
  return out;
}

export interface NotificationFields {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  timestamp: string;
  subscriptionArn: string;
  messageAttributes?: MessageAttributes;
  signatureVersion: string;
  publicUrl: string;
}

export interface NotificationEnvelope {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: EnvelopeAttributes;
}

export function notificationEnvelope(fields: NotificationFields, signer: Signer): NotificationEnvelope {
  const signature = signer.sign(
    stringToSign([
      ['Message', fields.message],
      ['MessageId', fields.messageId],
      ['Subject', fields.subject],
      ['Timestamp', fields.timestamp],
      ['TopicArn', fields.topicArn],
      ['Type', 'Notification'],
    ]),
    fields.signatureVersion,
  );
  const envelope: NotificationEnvelope = {
    Type: 'Notification',
    MessageId: fields.messageId,
    TopicArn: fields.topicArn,
    ...(fields.subject === undefined ? {} : { Subject: fields.subject }),
    Message: fields.message,
    Timestamp: fields.timestamp,
    SignatureVersion: fields.signatureVersion,
    Signature: signature,
    SigningCertURL: signingCertUrl(fields.publicUrl),
    UnsubscribeURL: unsubscribeUrl(fields.publicUrl, fields.subscriptionArn),
  };
  const attributes = envelopeAttributes(fields.messageAttributes);
  if (attributes) envelope.MessageAttributes = attributes;
  return envelope;
}

export interface ConfirmationFields {
  type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  messageId: string;
  token: string;
  topicArn: string;
  message: string;
  timestamp: string;
  signatureVersion: string;
  publicUrl: string;
}

export interface ConfirmationEnvelope {
  Type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  Token: string;
  TopicArn: string;
  Message: string;
  SubscribeURL: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
}

export function confirmationEnvelope(fields: ConfirmationFields, signer: Signer): ConfirmationEnvelope {
  const url = subscribeUrl(fields.publicUrl, fields.topicArn, fields.token);
  const signature = signer.sign(
    stringToSign([
      ['Message', fields.message],
      ['MessageId', fields.messageId],
      ['SubscribeURL', url],
      ['Timestamp', fields.timestamp],
      ['Token', fields.token],
      ['TopicArn', fields.topicArn],
      ['Type', fields.type],
    ]),
    fields.signatureVersion,
  );
  return {
    Type: fields.type,
    MessageId: fields.messageId,
    Token: fields.token,
    TopicArn: fields.topicArn,
    Message: fields.message,
    SubscribeURL: url,
    Timestamp: fields.timestamp,
    SignatureVersion: fields.signatureVersion,
    Signature: signature,
    SigningCertURL: signingCertUrl(fields.publicUrl),
  };
}

export const subscriptionConfirmationText = (topicArn: string): string =>
  `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`;

export const unsubscribeConfirmationText = (subscriptionArn: string): string =>
  `You have chosen to deactivate subscription ${subscriptionArn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`;
