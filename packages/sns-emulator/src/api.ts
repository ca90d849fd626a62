import type { BatchEntryInput, RequestContext, SnsBackend, SubscriptionSummary } from './backend.ts';
import { SNS_ACTIONS } from './constants.ts';
import { invalidAction, missingAction } from './errors.ts';
import type { QueryParams } from './query.ts';
import type { Tag } from './store.ts';
import { entries, members, type XmlNode } from './xml.ts';

/**
 * The Query protocol layer: reads an action's parameters (section 4 of the wire-format reference),
 * calls the backend and returns the children of `<{Action}Result>` (undefined for actions without
 * output, whose response has no Result element).
 */

export type ActionResult = ReadonlyArray<XmlNode | undefined> | undefined;
type Handler = (
  backend: SnsBackend,
  params: QueryParams,
  context: RequestContext,
) => Promise<ActionResult> | ActionResult;

const nextToken = (token: string | undefined): XmlNode | undefined =>
  token ? ['NextToken', token] : undefined;

const subscriptionMembers = (subscriptions: SubscriptionSummary[]): XmlNode =>
  members(
    'Subscriptions',
    subscriptions.map((s) => [
      ['SubscriptionArn', s.SubscriptionArn],
      ['Owner', s.Owner],
      ['Protocol', s.Protocol],
      ['Endpoint', s.Endpoint],
      ['TopicArn', s.TopicArn],
    ]),
  );

const tagsOf = (params: QueryParams): Tag[] =>
  params.members('Tags').map((tag) => ({ Key: tag.get('Key') ?? '', Value: tag.get('Value') ?? '' }));

const batchEntry = (entry: QueryParams): BatchEntryInput => {
  const out: BatchEntryInput = {};
  const id = entry.get('Id');
  if (id !== undefined) out.id = id;
  const message = entry.get('Message');
  if (message !== undefined) out.message = message;
  const subject = entry.get('Subject');
  if (subject !== undefined) out.subject = subject;
  const structure = entry.get('MessageStructure');
  if (structure !== undefined) out.messageStructure = structure;
  const attributes = entry.messageAttributes();
  if (attributes) out.messageAttributes = attributes;
  const group = entry.get('MessageGroupId');
  if (group !== undefined) out.messageGroupId = group;
  const dedup = entry.get('MessageDeduplicationId');
  if (dedup !== undefined) out.messageDeduplicationId = dedup;
  return out;
};

const HANDLERS: Record<string, Handler> = {
  async CreateTopic(backend, params, context) {
    const arn = await backend.createTopic(
      context,
      params.get('Name'),
      params.map('Attributes'),
      tagsOf(params),
    );
    return [['TopicArn', arn]];
  },
  async DeleteTopic(backend, params) {
    await backend.deleteTopic(params.get('TopicArn'));
    return undefined;
  },
  ListTopics(backend, params, context) {
    const result = backend.listTopics(context, params.get('NextToken'));
    return [
      members(
        'Topics',
        result.arns.map((arn) => [['TopicArn', arn]]),
      ),
      nextToken(result.nextToken),
    ];
  },
  GetTopicAttributes(backend, params) {
    return [entries('Attributes', backend.getTopicAttributes(params.get('TopicArn')))];
  },
  async SetTopicAttributes(backend, params) {
    await backend.setTopicAttributes(
      params.get('TopicArn'),
      params.get('AttributeName'),
      params.get('AttributeValue'),
    );
    return undefined;
  },
  async Subscribe(backend, params) {
    const result = await backend.subscribe({
      topicArn: params.get('TopicArn'),
      protocol: params.get('Protocol'),
      endpoint: params.get('Endpoint'),
      attributes: params.map('Attributes'),
      returnSubscriptionArn: params.bool('ReturnSubscriptionArn') === true,
    });
    return [['SubscriptionArn', result.subscriptionArn]];
  },
  async ConfirmSubscription(backend, params, context) {
    const arn = await backend.confirmSubscription(
      context,
      params.get('TopicArn'),
      params.get('Token'),
      params.bool('AuthenticateOnUnsubscribe'),
    );
    return [['SubscriptionArn', arn]];
  },
  async Unsubscribe(backend, params, context) {
    await backend.unsubscribe(context, params.get('SubscriptionArn'));
    return undefined;
  },
  ListSubscriptions(backend, params, context) {
    const result = backend.listSubscriptions(context, params.get('NextToken'));
    return [subscriptionMembers(result.subscriptions), nextToken(result.nextToken)];
  },
  ListSubscriptionsByTopic(backend, params) {
    const result = backend.listSubscriptionsByTopic(params.get('TopicArn'), params.get('NextToken'));
    return [subscriptionMembers(result.subscriptions), nextToken(result.nextToken)];
  },
  GetSubscriptionAttributes(backend, params) {
    return [entries('Attributes', backend.getSubscriptionAttributes(params.get('SubscriptionArn')))];
  },
  async SetSubscriptionAttributes(backend, params) {
    await backend.setSubscriptionAttributes(
      params.get('SubscriptionArn'),
      params.get('AttributeName'),
      params.get('AttributeValue'),
    );
    return undefined;
  },
  async Publish(backend, params) {
    const input = batchEntry(params);
    const topicArn = params.get('TopicArn');
    const targetArn = params.get('TargetArn');
    const phoneNumber = params.get('PhoneNumber');
    const result = await backend.publish({
      ...input,
      ...(topicArn === undefined ? {} : { topicArn }),
      ...(targetArn === undefined ? {} : { targetArn }),
      ...(phoneNumber === undefined ? {} : { phoneNumber }),
    });
    return [
      ['MessageId', result.messageId],
      result.sequenceNumber ? ['SequenceNumber', result.sequenceNumber] : undefined,
    ];
  },
  async PublishBatch(backend, params) {
    const input = params.members('PublishBatchRequestEntries').map(batchEntry);
    const results = await backend.publishBatch(params.get('TopicArn'), input);
    return [
      members(
        'Successful',
        results.map((result, index) => [
          ['Id', input[index]?.id ?? ''],
          ['MessageId', result.messageId],
          result.sequenceNumber ? ['SequenceNumber', result.sequenceNumber] : undefined,
        ]),
      ),
      ['Failed', []],
    ];
  },
  ListTagsForResource(backend, params) {
    const tags = backend.listTags(params.get('ResourceArn'));
    return [
      members(
        'Tags',
        tags.map((tag) => [
          ['Key', tag.Key],
          ['Value', tag.Value],
        ]),
      ),
    ];
  },
  async TagResource(backend, params) {
    await backend.tagResource(params.get('ResourceArn'), tagsOf(params));
    return [];
  },
  async UntagResource(backend, params) {
    const keys = params.indices('TagKeys.member').map((n) => params.get(`TagKeys.member.${n}`) ?? '');
    await backend.untagResource(params.get('ResourceArn'), keys);
    return [];
  },
};

export const SUPPORTED_ACTIONS: readonly string[] = Object.keys(HANDLERS);

/** Runs one action; unknown and unsupported actions are InvalidAction (400), never a silent success. */
export async function runAction(
  backend: SnsBackend,
  action: string | undefined,
  params: QueryParams,
  context: RequestContext,
): Promise<ActionResult> {
  if (!action) throw missingAction('The request must contain the parameter Action.');
  const handler = Object.hasOwn(HANDLERS, action) ? HANDLERS[action] : undefined;
  if (!handler) {
    const reason = SNS_ACTIONS.has(action)
      ? `The action ${action} is not supported by the local SNS service (supported: ${SUPPORTED_ACTIONS.join(', ')}).`
      : `The action or operation requested is invalid. Verify that the action is typed correctly. (${action})`;
    throw invalidAction(reason);
  }
  return handler(backend, params, context);
}
