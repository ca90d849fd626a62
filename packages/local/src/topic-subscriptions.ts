import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { translate } from '@eventline/aws';
import type { AwsClients } from '@eventline/aws/sdk';
import { ConfigError, type EventlineConfig, type TopicSubscription } from '@eventline/config';
import { SnsApiError, type SnsService } from '@eventline/sns-emulator';

/**
 * The topic's subscriptions from the config, made on the local SNS as the CDK app makes them on AWS:
 * an sqs subscription's `queue` is created first, the filter policy and raw delivery become the
 * subscription's attributes, and a subscription the service refuses (a filter policy SNS would
 * refuse) stops the start with the setting that holds it.
 */
export async function subscribeAll(
  config: EventlineConfig,
  clients: Pick<AwsClients, 'sqs'>,
  sns: Pick<SnsService, 'subscribe'>,
  topicArn: string,
  accountId: string,
): Promise<void> {
  for (const [index, subscription] of config.topic.subscriptions.entries()) {
    const setting = `topic.subscriptions[${index}]`;
    let endpoint = subscription.endpoint;
    if (subscription.queue !== undefined) {
      await clients.sqs
        .send(new CreateQueueCommand({ QueueName: subscription.queue }))
        .catch((error: unknown) => {
          throw translate(error, `CreateQueue ${subscription.queue}`);
        });
      endpoint = `arn:aws:sqs:${config.local.region}:${accountId}:${subscription.queue}`;
    }
    try {
      await sns.subscribe(topicArn, subscription.protocol, endpoint ?? '', {
        confirmed: true,
        attributes: subscriptionAttributes(subscription),
      });
    } catch (error) {
      if (!(error instanceof SnsApiError)) throw error;
      const field = /FilterPolicy/i.test(error.message) ? `${setting}.filterPolicy` : setting;
      throw new ConfigError(`${field}: SNS refuses this subscription: ${error.message}`, {
        problems: [{ setting: field, message: error.message }],
        cause: error,
      });
    }
  }
}

/** The SNS subscription attributes a configured subscription carries (CloudFormation's names too). */
export function subscriptionAttributes(subscription: TopicSubscription): Record<string, string> {
  return {
    ...(subscription.filterPolicy ? { FilterPolicy: JSON.stringify(subscription.filterPolicy) } : {}),
    ...(subscription.filterPolicyScope ? { FilterPolicyScope: subscription.filterPolicyScope } : {}),
    ...(subscription.rawMessageDelivery === undefined
      ? {}
      : { RawMessageDelivery: String(subscription.rawMessageDelivery) }),
  };
}
