import { Annotations, Duration } from 'aws-cdk-lib';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import {
  FilterOrPolicy,
  type ITopicSubscription,
  SubscriptionFilter,
  SubscriptionProtocol,
} from 'aws-cdk-lib/aws-sns';
import {
  EmailSubscription,
  LambdaSubscription,
  SqsSubscription,
  UrlSubscription,
} from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * One configured subscriber as a CDK subscription, each with least privilege: an SQS queue the
 * stack creates gets a queue policy that lets only this topic send (`aws:SourceArn`), a Lambda
 * function a permission that lets only this topic invoke it. A queue named by ARN is someone
 * else's: its policy is theirs to write (a stack that wrote it would replace theirs), and synth
 * says what it needs. Deliveries that fail after SNS's retries go to `deadLetterQueue`.
 */

/** What the config holds for one subscriber (@eventline/config's TopicSubscription). */
export interface TopicSubscriptionSpec {
  readonly protocol: 'email' | 'email-json' | 'http' | 'https' | 'sqs' | 'lambda' | 'sms';
  readonly endpoint?: string | undefined;
  readonly queue?: string | undefined;
  readonly filterPolicy?: Record<string, unknown> | undefined;
  readonly filterPolicyScope?: 'MessageAttributes' | 'MessageBody' | undefined;
  readonly rawMessageDelivery?: boolean | undefined;
}

/** How many receives a subscriber queue's consumer gets before a message moves to the dead-letter queue. */
const SUBSCRIBER_MAX_RECEIVES = 5;

export function subscriptionFor(
  scope: Construct,
  id: string,
  spec: TopicSubscriptionSpec,
  deadLetterQueue: IQueue,
): ITopicSubscription {
  const common = { deadLetterQueue, ...filterOf(spec) };
  const endpoint = spec.endpoint ?? '';
  switch (spec.protocol) {
    case 'email':
      return new EmailSubscription(endpoint, common);
    case 'email-json':
      return new EmailSubscription(endpoint, { ...common, json: true });
    case 'http':
    case 'https':
      return new UrlSubscription(endpoint, {
        ...common,
        protocol: spec.protocol === 'http' ? SubscriptionProtocol.HTTP : SubscriptionProtocol.HTTPS,
        ...(spec.rawMessageDelivery === undefined ? {} : { rawMessageDelivery: spec.rawMessageDelivery }),
      });
    case 'sqs':
      return new SqsSubscription(queueOf(scope, id, spec, deadLetterQueue), {
        ...common,
        ...(spec.rawMessageDelivery === undefined ? {} : { rawMessageDelivery: spec.rawMessageDelivery }),
      });
    case 'lambda':
      // Same account as the stack (the permission is created on the function); see docs/design.md.
      return new LambdaSubscription(
        LambdaFunction.fromFunctionAttributes(scope, id, { functionArn: endpoint, sameEnvironment: true }),
        common,
      );
    case 'sms':
      // CDK's SmsSubscription drops the dead-letter queue; SNS keeps one for SMS as for any protocol.
      return {
        bind: () => ({ subscriberId: endpoint, endpoint, protocol: SubscriptionProtocol.SMS, ...common }),
      };
  }
}

function queueOf(scope: Construct, id: string, spec: TopicSubscriptionSpec, deadLetterQueue: IQueue): IQueue {
  if (spec.queue !== undefined) {
    // Named after the queue, not the position in the list: reordering the config keeps the queue.
    return new Queue(scope, `Queue-${spec.queue}`, {
      queueName: spec.queue,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: SUBSCRIBER_MAX_RECEIVES },
    });
  }
  const queue = Queue.fromQueueArn(scope, id, spec.endpoint ?? '');
  Annotations.of(scope).addWarningV2(
    `eventline:subscriberQueuePolicy:${id}`,
    `${spec.endpoint}: SNS can deliver to this queue only if its queue policy allows sqs:SendMessage to the principal sns.amazonaws.com with the condition aws:SourceArn = this stack's notification topic ARN (and, for a queue encrypted with a customer managed key, kms:GenerateDataKey and kms:Decrypt to SNS in the key policy). The stack does not write that policy: it would replace the queue owner's.`,
  );
  return queue;
}

/** A config filter policy as CDK's: SubscriptionFilter leaves, FilterOrPolicy nesting for the body scope. */
function filterOf(spec: TopicSubscriptionSpec): {
  filterPolicy?: Record<string, SubscriptionFilter>;
  filterPolicyWithMessageBody?: Record<string, FilterOrPolicy>;
} {
  const policy = spec.filterPolicy;
  if (!policy) return {};
  if (spec.filterPolicyScope === 'MessageBody') return { filterPolicyWithMessageBody: bodyPolicy(policy) };
  return {
    filterPolicy: Object.fromEntries(
      Object.entries(policy).map(([name, conditions]) => [
        name,
        new SubscriptionFilter(Array.isArray(conditions) ? conditions : [conditions]),
      ]),
    ),
  };
}

function bodyPolicy(policy: Record<string, unknown>): Record<string, FilterOrPolicy> {
  return Object.fromEntries(
    Object.entries(policy).map(([name, value]) => [
      name,
      Array.isArray(value)
        ? FilterOrPolicy.filter(new SubscriptionFilter(value))
        : FilterOrPolicy.policy(bodyPolicy(value as Record<string, unknown>)),
    ]),
  );
}
