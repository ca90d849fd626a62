import { randomBytes } from 'node:crypto';
import {
  LOCAL_SENDER_ID,
  MAX_RECEIVE_MESSAGES,
  MAX_VISIBILITY_SECONDS,
  MAX_WAIT_SECONDS,
  MESSAGE_SYSTEM_ATTRIBUTES,
} from './constants.ts';
import { invalidAttributeName } from './errors.ts';
import type { LogRecord } from './log.ts';
import { md5OfAttributes } from './md5.ts';
import type { Queue } from './queue.ts';
import { receiptOf } from './receipts.ts';
import type { CallContext, Output, SqsState } from './state.ts';
import type { MessageAttributes, StoredMessage } from './types.ts';
import { type Input, optionalInteger, stringList } from './validation.ts';

/** ReceiveMessage: taking messages (with expiry and redrive to the dead-letter queue), long polling, the output. */

/**
 * Takes up to `max` available messages: expired ones are dropped, ones past the redrive
 * policy's maxReceiveCount go to the dead-letter queue, the rest become in flight.
 */
function take(
  state: SqsState,
  queue: Queue,
  max: number,
  visibility: number,
  now: number,
  records: LogRecord[],
): StoredMessage[] {
  queue.promote(now);
  const taken: StoredMessage[] = [];
  const retentionMs = queue.numeric('MessageRetentionPeriod') * 1000;
  const policy = queue.redrivePolicy();
  const deadLetterQueue = policy ? state.queueByArn(policy.deadLetterTargetArn) : undefined;
  let expired = 0;
  let deadLettered = 0;
  // FIFO: in send order, skipping every group that has a message in flight (reference §2.2).
  const blocked = new Set<string>();
  if (queue.fifo)
    for (const message of queue.messages.values())
      if (message.receipt !== undefined && message.visibleAt > now) blocked.add(message.groupId ?? '');
  const candidates = queue.fifo ? queue.messages.keys() : queue.available.values();
  for (const id of candidates) {
    if (taken.length >= max) break;
    if (queue.fifo && !queue.available.has(id)) continue;
    const message = queue.messages.get(id);
    // A message taken with visibility 0 is available again at once, at the end of the set.
    if (message && taken.includes(message)) break;
    if (!message) {
      queue.available.delete(id);
      continue;
    }
    if (queue.fifo && blocked.has(message.groupId ?? '')) continue;
    if (message.sentAt + retentionMs <= now) {
      queue.remove(id);
      records.push({ op: 'del', queue: queue.name, id });
      expired++;
      continue;
    }
    if (policy && deadLetterQueue && message.receiveCount >= policy.maxReceiveCount) {
      queue.remove(id);
      records.push({ op: 'del', queue: queue.name, id });
      const moved: StoredMessage = {
        ...message,
        visibleAt: now,
        deadLetterSourceArn: queue.arn,
        receipt: undefined,
        receivedAt: undefined,
      };
      records.push(state.store(deadLetterQueue, moved, now));
      deadLettered++;
      continue;
    }
    queue.available.delete(id);
    message.receiveCount++;
    message.firstReceiveAt ??= now;
    message.receipt = randomBytes(12).toString('base64url');
    message.receivedAt = now;
    message.visibleAt = now + visibility * 1000;
    queue.place(message, now);
    records.push({
      op: 'recv',
      queue: queue.name,
      id,
      visibleAt: message.visibleAt,
      receiveCount: message.receiveCount,
      firstReceiveAt: message.firstReceiveAt,
      receipt: message.receipt,
      receivedAt: now,
    });
    taken.push(message);
  }
  if (expired > 0) state.emit({ kind: 'expired', queue: queue.name, count: expired });
  if (deadLettered > 0 && deadLetterQueue)
    state.emit({ kind: 'deadLettered', queue: deadLetterQueue.name, count: deadLettered });
  return taken;
}

export async function receiveMessage(state: SqsState, input: Input, context: CallContext): Promise<Output> {
  const queue = state.queueOf(input);
  const max =
    optionalInteger(
      input,
      'MaxNumberOfMessages',
      1,
      MAX_RECEIVE_MESSAGES,
      'Must be between 1 and 10, if provided.',
    ) ?? 1;
  const visibility = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
  const wait =
    optionalInteger(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ??
    queue.numeric('ReceiveMessageWaitTimeSeconds');
  const systemNames = new Set([
    ...stringList(input, 'AttributeNames'),
    ...stringList(input, 'MessageSystemAttributeNames'),
  ]);
  for (const name of systemNames)
    if (name !== 'All' && !(MESSAGE_SYSTEM_ATTRIBUTES as readonly string[]).includes(name))
      throw invalidAttributeName(`Unknown Attribute ${name}.`);
  const attributeNames = stringList(input, 'MessageAttributeNames');
  const deadline = Date.now() + wait * 1000;
  const signals = AbortSignal.any([context.signal, state.closing]);
  for (;;) {
    if (signals.aborted || !state.queues.has(queue.name)) return {};
    const now = Date.now();
    const records: LogRecord[] = [];
    const taken = take(state, queue, max, visibility ?? queue.numeric('VisibilityTimeout'), now, records);
    if (records.length > 0)
      await state.commit(records, { kind: 'received', queue: queue.name, count: taken.length });
    if (taken.length > 0)
      return {
        Messages: taken.map((message) => messageOutput(queue, message, systemNames, attributeNames)),
      };
    if (now >= deadline) return {};
    const next = queue.nextVisibleAt();
    const until = next === undefined ? deadline : Math.min(deadline, Math.max(next, now + 1));
    await queue.waitForChange(until - now, signals);
  }
}

function messageOutput(
  queue: Queue,
  message: StoredMessage,
  systemNames: Set<string>,
  attributeNames: string[],
): Output {
  const out: Output = {
    MessageId: message.id,
    ReceiptHandle: receiptOf(queue, message),
    MD5OfBody: message.md5OfBody,
    Body: message.body,
  };
  const all = systemNames.has('All');
  const system: Record<string, string> = {};
  const want = (name: string) => all || systemNames.has(name);
  if (want('SenderId')) system.SenderId = LOCAL_SENDER_ID;
  if (want('ApproximateFirstReceiveTimestamp') && message.firstReceiveAt !== undefined)
    system.ApproximateFirstReceiveTimestamp = String(message.firstReceiveAt);
  if (want('ApproximateReceiveCount')) system.ApproximateReceiveCount = String(message.receiveCount);
  if (want('SentTimestamp')) system.SentTimestamp = String(message.sentAt);
  const trace = message.systemAttributes?.AWSTraceHeader?.StringValue;
  if (want('AWSTraceHeader') && trace !== undefined) system.AWSTraceHeader = trace;
  if (want('DeadLetterQueueSourceArn') && message.deadLetterSourceArn)
    system.DeadLetterQueueSourceArn = message.deadLetterSourceArn;
  if (want('MessageGroupId') && message.groupId !== undefined) system.MessageGroupId = message.groupId;
  if (want('MessageDeduplicationId') && message.deduplicationId !== undefined)
    system.MessageDeduplicationId = message.deduplicationId;
  if (want('SequenceNumber') && message.sequenceNumber !== undefined)
    system.SequenceNumber = message.sequenceNumber;
  if (Object.keys(system).length > 0) out.Attributes = system;
  if (message.attributes && attributeNames.length > 0) {
    const selected: MessageAttributes = {};
    for (const [name, value] of Object.entries(message.attributes)) {
      const match = attributeNames.some(
        (pattern) =>
          pattern === 'All' ||
          pattern === '.*' ||
          pattern === name ||
          (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
      );
      if (match) selected[name] = { ...value };
    }
    if (Object.keys(selected).length > 0) {
      out.MD5OfMessageAttributes = md5OfAttributes(selected);
      out.MessageAttributes = selected;
    }
  }
  return out;
}
