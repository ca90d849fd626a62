import {
  COMPUTED_ATTRIBUTES,
  FIFO_ATTRIBUTES,
  MAX_LIST_RESULTS,
  PURGE_INTERVAL_MS,
  SETTABLE_ATTRIBUTES,
  STORED_ATTRIBUTES,
} from './constants.ts';
import {
  invalidAttributeName,
  invalidAttributeValue,
  invalidValue,
  missingParameter,
  purgeInProgress,
  queueDoesNotExist,
  queueNameExists,
} from './errors.ts';
import { Queue } from './queue.ts';
import type { Output, SqsState } from './state.ts';
import type { QueueRecord } from './types.ts';
import {
  checkQueueAttributes,
  checkQueueName,
  type Input,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
  stringMap,
} from './validation.ts';

/**
 * The queue-management actions: create, look up, delete and list queues, their attributes and
 * tags, purge, and the dead-letter sources of a queue.
 */

/** Checks a RedrivePolicy's target exists and allows this source. */
function checkRedriveTarget(state: SqsState, sourceName: string, policy: string): void {
  if (!policy) return;
  const { deadLetterTargetArn } = JSON.parse(policy) as { deadLetterTargetArn: string };
  const target = state.queueByArn(deadLetterTargetArn);
  if (!target)
    throw invalidValue(policy, 'RedrivePolicy', `Dead-letter target does not exist: ${deadLetterTargetArn}.`);
  const sourceFifo = state.queues.get(sourceName)?.fifo ?? sourceName.endsWith('.fifo');
  if (target.fifo !== sourceFifo)
    throw invalidValue(
      policy,
      'RedrivePolicy',
      'Dead-letter queue must be same type of queue as the source.',
    );
  const allow = target.record.attributes.RedriveAllowPolicy;
  if (!allow) return;
  const parsed = JSON.parse(allow) as { redrivePermission: string; sourceQueueArns?: string[] };
  const sourceArn = state.arnOf(sourceName);
  if (
    parsed.redrivePermission === 'denyAll' ||
    (parsed.redrivePermission === 'byQueue' && !parsed.sourceQueueArns?.includes(sourceArn))
  )
    throw invalidValue(
      policy,
      'RedrivePolicy',
      `The dead-letter queue's RedriveAllowPolicy does not allow ${sourceArn} as a source.`,
    );
}

export async function createQueue(state: SqsState, input: Input): Promise<Output> {
  const name = requiredString(input, 'QueueName');
  const attributes = checkQueueAttributes(stringMap(input, 'Attributes'));
  const fifo = attributes.FifoQueue === 'true';
  checkQueueName(name, fifo);
  if (!fifo) {
    delete attributes.FifoQueue;
    for (const attribute of Object.keys(FIFO_ATTRIBUTES))
      if (attribute in attributes) throw invalidAttributeName(`Unknown Attribute ${attribute}.`);
  }
  checkFifoThroughput(attributes);
  const tags = stringMap(input, 'tags');
  const existing = state.queues.get(name);
  if (existing) {
    for (const [attribute, value] of Object.entries(attributes)) {
      if ((state.effectiveAttribute(existing, attribute) ?? '') !== value) throw queueNameExists(attribute);
    }
    return { QueueUrl: state.urlOf(name) };
  }
  for (const [attribute, value] of Object.entries(attributes)) if (value === '') delete attributes[attribute];
  if (attributes.RedrivePolicy) checkRedriveTarget(state, name, attributes.RedrivePolicy);
  const now = Math.floor(Date.now() / 1000);
  const record: QueueRecord = { name, attributes, tags, createdAt: now, modifiedAt: now };
  state.queues.set(name, new Queue(record, state.arnOf(name)));
  await state.commit([{ op: 'queue', queue: record }], { kind: 'queueCreated', queue: name, count: 1 });
  return { QueueUrl: state.urlOf(name) };
}

/** perMessageGroupId throughput needs deduplication per message group. */
function checkFifoThroughput(attributes: Record<string, string>): void {
  if (
    attributes.FifoThroughputLimit === 'perMessageGroupId' &&
    attributes.DeduplicationScope !== 'messageGroup'
  )
    throw invalidAttributeValue(
      'Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.',
    );
}

export async function getQueueUrl(state: SqsState, input: Input): Promise<Output> {
  const name = requiredString(input, 'QueueName');
  const owner = optionalString(input, 'QueueOwnerAWSAccountId');
  if ((owner !== undefined && owner !== state.options.accountId) || !state.queues.has(name))
    throw queueDoesNotExist();
  return { QueueUrl: state.urlOf(name) };
}

export async function deleteQueue(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  state.queues.delete(queue.name);
  queue.clearMessages();
  queue.wake();
  await state.commit([{ op: 'dropQueue', name: queue.name }], {
    kind: 'queueDeleted',
    queue: queue.name,
    count: 1,
  });
  return {};
}

function paginate(input: Input, names: string[]): { names: string[]; next?: string } {
  const max = optionalInteger(
    input,
    'MaxResults',
    1,
    MAX_LIST_RESULTS,
    'MaxResults must be an integer between 1 and 1000.',
  );
  const token = optionalString(input, 'NextToken');
  let start = 0;
  if (token) {
    const after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after.startsWith('after:')) throw invalidValue(token, 'NextToken', 'Invalid or expired next token.');
    const last = after.slice('after:'.length);
    start = names.findIndex((name) => name > last);
    if (start < 0) start = names.length;
  }
  const limit = max ?? MAX_LIST_RESULTS;
  const page = names.slice(start, start + limit);
  const more = max !== undefined && start + limit < names.length;
  return {
    names: page,
    ...(more ? { next: Buffer.from(`after:${page.at(-1)}`).toString('base64url') } : {}),
  };
}

export async function listQueues(state: SqsState, input: Input): Promise<Output> {
  const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
  const names = [...state.queues.keys()].filter((name) => name.startsWith(prefix)).sort();
  const { names: page, next } = paginate(input, names);
  const out: Output = {};
  if (page.length > 0) out.QueueUrls = page.map((name) => state.urlOf(name));
  if (next) out.NextToken = next;
  return out;
}

export async function listDeadLetterSourceQueues(state: SqsState, input: Input): Promise<Output> {
  const target = state.queueOf(input);
  const names = [...state.queues.values()]
    .filter((queue) => queue.redrivePolicy()?.deadLetterTargetArn === target.arn)
    .map((queue) => queue.name)
    .sort();
  const { names: page, next } = paginate(input, names);
  return { queueUrls: page.map((name) => state.urlOf(name)), ...(next ? { NextToken: next } : {}) };
}

export async function getQueueAttributes(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const requested = stringList(input, 'AttributeNames');
  if (requested.length === 0) return {};
  const all = requested.includes('All');
  const known = new Set<string>([
    ...Object.keys(SETTABLE_ATTRIBUTES),
    ...STORED_ATTRIBUTES,
    ...COMPUTED_ATTRIBUTES,
    ...Object.keys(FIFO_ATTRIBUTES),
  ]);
  for (const name of requested)
    if (name !== 'All' && !known.has(name)) throw invalidAttributeName(`Unknown Attribute ${name}.`);
  const names = all ? [...known] : requested;
  const counts = queue.counts(Date.now());
  const computed: Record<string, string> = {
    ApproximateNumberOfMessages: String(counts.available),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(queue.record.createdAt),
    LastModifiedTimestamp: String(queue.record.modifiedAt),
    QueueArn: queue.arn,
  };
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = computed[name] ?? state.effectiveAttribute(queue, name);
    if (value !== undefined) attributes[name] = value;
  }
  return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
}

export async function setQueueAttributes(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  if (input.Attributes === undefined) throw missingParameter('Attributes');
  const attributes = checkQueueAttributes(stringMap(input, 'Attributes'));
  if (attributes.FifoQueue !== undefined && attributes.FifoQueue !== String(queue.fifo))
    throw invalidAttributeValue(
      'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
    );
  if (!queue.fifo) {
    delete attributes.FifoQueue;
    for (const attribute of Object.keys(FIFO_ATTRIBUTES))
      if (attribute in attributes) throw invalidAttributeName(`Unknown Attribute ${attribute}.`);
  }
  if (attributes.RedrivePolicy) checkRedriveTarget(state, queue.name, attributes.RedrivePolicy);
  const next = { ...queue.record.attributes };
  for (const [name, value] of Object.entries(attributes)) {
    if (value === '') delete next[name];
    else next[name] = value;
  }
  if (queue.fifo)
    checkFifoThroughput({ DeduplicationScope: FIFO_ATTRIBUTES.DeduplicationScope.default, ...next });
  queue.record = { ...queue.record, attributes: next, modifiedAt: Math.floor(Date.now() / 1000) };
  await state.commit([{ op: 'queue', queue: queue.record }], {
    kind: 'queueUpdated',
    queue: queue.name,
    count: 1,
  });
  return {};
}

export async function tagQueue(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  if (input.Tags === undefined) throw missingParameter('Tags');
  const tags = stringMap(input, 'Tags');
  queue.record = { ...queue.record, tags: { ...queue.record.tags, ...tags } };
  await state.commit([{ op: 'queue', queue: queue.record }]);
  return {};
}

export async function untagQueue(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  if (input.TagKeys === undefined) throw missingParameter('TagKeys');
  const keys = stringList(input, 'TagKeys');
  const tags = { ...queue.record.tags };
  for (const key of keys) delete tags[key];
  queue.record = { ...queue.record, tags };
  await state.commit([{ op: 'queue', queue: queue.record }]);
  return {};
}

export async function listQueueTags(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  return Object.keys(queue.record.tags).length > 0 ? { Tags: { ...queue.record.tags } } : {};
}

export async function purgeQueue(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const now = Date.now();
  if (queue.record.purgedAt !== undefined && now - queue.record.purgedAt < PURGE_INTERVAL_MS)
    throw purgeInProgress(queue.name);
  const upToSeq = state.lastSeq;
  let count = 0;
  for (const message of [...queue.messages.values()]) {
    if (message.seq <= upToSeq) {
      queue.remove(message.id);
      count++;
    }
  }
  queue.record = { ...queue.record, purgedAt: now };
  await state.commit(
    [
      { op: 'queue', queue: queue.record },
      { op: 'purge', queue: queue.name, upToSeq },
    ],
    { kind: 'purged', queue: queue.name, count: Math.max(count, 1) },
  );
  return {};
}
