import type { PhoneMessage, PublishedMessage, SnsLambdaEvent, SqsDelivery } from '../types.ts';
import { messageFor, type NotificationContext, notificationEnvelopeFor } from './payloads.ts';

/**
 * What sqs, lambda and sms subscriptions receive (docs/reference/aws-wire-formats.md §5 and the
 * SNS developer guide): SQS gets the signed JSON envelope as the body, or with RawMessageDelivery
 * the message alone with the published attributes as SQS message attributes; Lambda gets the
 * `aws:sns` event (its own spelling: `SigningCertUrl`, `UnsubscribeUrl`, `Subject: null`); a phone
 * gets the `sms` key of a `MessageStructure=json` message (else `default`), kept here as text.
 */

export function sqsDeliveryFor(context: NotificationContext): SqsDelivery {
  const { message, subscription } = context;
  const fifo = {
    ...(message.messageGroupId === undefined ? {} : { messageGroupId: message.messageGroupId }),
    ...(message.messageDeduplicationId === undefined
      ? {}
      : { messageDeduplicationId: message.messageDeduplicationId }),
  };
  if (subscription.attributes.RawMessageDelivery === 'true') {
    return {
      body: messageFor(message, 'sqs', context.structure),
      ...(message.messageAttributes ? { attributes: message.messageAttributes } : {}),
      ...fifo,
    };
  }
  return { body: JSON.stringify(notificationEnvelopeFor(context)), ...fifo };
}

export function lambdaEventFor(context: NotificationContext): SnsLambdaEvent {
  const envelope = notificationEnvelopeFor(context);
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: context.subscription.arn,
        Sns: {
          Type: 'Notification',
          MessageId: envelope.MessageId,
          TopicArn: envelope.TopicArn,
          Subject: envelope.Subject ?? null,
          Message: envelope.Message,
          Timestamp: envelope.Timestamp,
          SignatureVersion: envelope.SignatureVersion,
          Signature: envelope.Signature,
          SigningCertUrl: envelope.SigningCertURL,
          UnsubscribeUrl: envelope.UnsubscribeURL,
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}

/** GSM-7's basic set (and its extension, counted as two): anything else sends the text as UCS-2. */
const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

/** How many SMS parts a text takes (a concatenated SMS spends 7 characters of each part on its header). */
export function smsParts(text: string): number {
  if (text.length === 0) return 1;
  if (GSM7.test(text)) {
    const units = [...text].reduce((n, c) => n + ('^{}\\[~]|€'.includes(c) ? 2 : 1), 0);
    return units <= 160 ? 1 : Math.ceil(units / 153);
  }
  const units = [...text].reduce((n, c) => n + ((c.codePointAt(0) ?? 0) > 0xffff ? 2 : 1), 0);
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

export function phoneMessageFor(
  message: PublishedMessage,
  delivery: { subscriptionArn: string; endpoint: string },
  structure: Record<string, string> | undefined,
  displayName: string | undefined,
): PhoneMessage {
  const text = messageFor(message, 'sms', structure);
  return {
    messageId: message.messageId,
    topicArn: message.topicArn,
    subscriptionArn: delivery.subscriptionArn,
    phoneNumber: delivery.endpoint,
    ...(displayName ? { sender: displayName } : {}),
    text,
    parts: smsParts(text),
    timestamp: message.timestamp,
  };
}
