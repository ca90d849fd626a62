import type { DeliveryProgress } from '../delivery/dispatcher.ts';
import { notificationHttp, notificationMail } from '../delivery/payloads.ts';
import { lambdaEventFor, phoneMessageFor, sqsDeliveryFor } from '../delivery/targets.ts';
import type { SubscriptionRecord } from '../store.ts';
import type { DeliveryStatus, NotificationQuery, PhoneMessage, PublishedMessage } from '../types.ts';
import { parseMessageStructure } from '../validation.ts';
import type { Deps } from './context.ts';

/**
 * Delivery bookkeeping: every delivery of a published message is handed to the dispatcher and its
 * progress recorded in the notification log, so that a restart resumes what was unfinished.
 * Confirmation messages go through the same dispatcher but are not recorded.
 */
export class Deliveries {
  readonly #d: Deps;
  #warnedNoSmtp = false;

  constructor(deps: Deps) {
    this.#d = deps;
  }

  /** Queues a SubscriptionConfirmation or UnsubscribeConfirmation (not recorded in the notification log). */
  enqueueConfirmation(
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

  /** Starts (or resumes) one delivery of a published message. */
  deliver(
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
    const targets = this.#d.targets ?? {};
    if (subscription.protocol === 'sqs' || subscription.protocol === 'lambda') {
      const protocol = subscription.protocol;
      const send = protocol === 'sqs' ? targets.sqs : targets.lambda;
      if (!send) {
        void record({
          status: 'failed',
          attempts: delivery.attempts,
          error: `no local ${protocol === 'sqs' ? 'SQS' : 'Lambda'} to deliver to (the targets.${protocol} option)`,
        });
        return;
      }
      attempt = async () => {
        if (protocol === 'sqs') await targets.sqs?.(subscription.endpoint, sqsDeliveryFor(context));
        else await targets.lambda?.(subscription.endpoint, lambdaEventFor(context));
        return {};
      };
    } else if (subscription.protocol === 'sms') {
      // Nothing leaves the machine: the log's delivered entry is the SMS (see phoneMessages).
      const phone = phoneMessageFor(message, delivery, structure, topic?.attributes.DisplayName);
      attempt = async () => {
        this.#d.logger.info(`SMS to ${phone.phoneNumber}: ${phone.text}`, {
          messageId: message.messageId,
          parts: phone.parts,
        });
        return {};
      };
    } else if (subscription.protocol === 'http' || subscription.protocol === 'https') {
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
      this.deliver(message, structure, delivery);
    }
    return unfinished.length;
  }

  notifications(query?: NotificationQuery): PublishedMessage[] {
    return this.#d.log.list(query);
  }

  /** The SMS delivered to sms subscriptions, from the recent published messages, oldest first. */
  phoneMessages(query?: NotificationQuery): PhoneMessage[] {
    const out: PhoneMessage[] = [];
    for (const message of this.#d.log.list(query)) {
      const sms = message.deliveries.filter((d) => d.protocol === 'sms' && d.status === 'delivered');
      if (sms.length === 0) continue;
      let structure: Record<string, string> | undefined;
      if (message.messageStructure === 'json') {
        try {
          structure = parseMessageStructure(message.message);
        } catch {
          structure = undefined;
        }
      }
      const displayName = this.#d.store.topics.get(message.topicArn)?.attributes.DisplayName;
      for (const delivery of sms) out.push(phoneMessageFor(message, delivery, structure, displayName));
    }
    return out;
  }
}
