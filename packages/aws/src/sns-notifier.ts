import type { Notification, Notifier } from '@eventline/core';
import type { SnsApi } from './apis.ts';
import { translate } from './errors.ts';

/** At most one SMS part (160 characters): what happened, to which file, and why it failed (or a digest's counts). */
export function smsText(notification: Notification): string {
  const { status, key, route, error, message } = notification.json as {
    status?: string;
    key?: string;
    route?: string;
    error?: { message?: string };
    message?: string;
  };
  const head = `eventline ${route ?? ''}: ${status ?? ''} ${key ?? ''}`.replace(/\s+/g, ' ').trim();
  // A digest's first line says it all: the route, the files by status, the records.
  const text =
    status === 'DIGEST' && message
      ? `eventline ${message}`
      : error?.message
        ? `${head}: ${error.message}`
        : head;
  return text.length <= 160 ? text : `${text.slice(0, 159)}…`;
}

/**
 * Publishes one notification per file. `MessageStructure: json` gives people text (email, the
 * default), phones one short line (sms) and machines JSON (http/https, SQS, Lambda subscribers,
 * email-json).
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SnsApi,
    private readonly topicArn: string,
    /** The setting that named the topic (`topic.name`, `TOPIC_ARN`), for errors. */
    private readonly topicSetting = 'topic.name',
  ) {}

  async publish(notification: Notification): Promise<{ messageId: string }> {
    const json = JSON.stringify(notification.json);
    const message = JSON.stringify({
      default: notification.text,
      email: notification.text,
      'email-json': json,
      http: json,
      https: json,
      sqs: json,
      lambda: json,
      sms: smsText(notification),
    });
    try {
      const response = await this.sns.publish({
        TopicArn: this.topicArn,
        Subject: notification.subject,
        Message: message,
        MessageStructure: 'json',
        MessageAttributes: Object.fromEntries(
          Object.entries(notification.attributes).map(([name, { type, value }]) => [
            name,
            { DataType: type, StringValue: value },
          ]),
        ),
      });
      return { messageId: response.MessageId ?? '' };
    } catch (error) {
      throw translate(error, `Publish ${this.topicArn}`, {
        kind: 'topic',
        name: this.topicArn,
        setting: this.topicSetting,
      });
    }
  }
}
