import { createHash, randomUUID } from 'node:crypto';
import { type BatchFailure, checkBatch, failureOf } from './batch.ts';
import { FIFO_DEDUPLICATION_MS, FIFO_ID_PATTERN, MAX_PAYLOAD_BYTES } from './constants.ts';
import { batchError, invalidParameterValue, invalidValue, missingParameter } from './errors.ts';
import type { LogRecord } from './log.ts';
import { md5OfAttributes, md5OfBody } from './md5.ts';
import type { Queue } from './queue.ts';
import type { Output, SqsState } from './state.ts';
import type { StoredMessage } from './types.ts';
import {
  checkCharacters,
  checkMessageAttributes,
  entries,
  type Input,
  optionalInteger,
  optionalString,
} from './validation.ts';

/** SendMessage and SendMessageBatch: validation, FIFO deduplication, storing. */

/** Validates one message for `queue`; returns it ready to store (not stored yet). */
function newMessage(queue: Queue, input: Input, now: number): StoredMessage {
  const body = input.MessageBody;
  if (body === undefined || body === null || body === '') throw missingParameter('MessageBody');
  if (typeof body !== 'string') throw invalidValue(JSON.stringify(body), 'MessageBody', 'Must be a string.');
  checkCharacters(body);
  const delay = optionalInteger(input, 'DelaySeconds', 0, 900, 'DelaySeconds must be >= 0 and <= 900.');
  const groupId = optionalString(input, 'MessageGroupId');
  let deduplicationId = optionalString(input, 'MessageDeduplicationId');
  if (groupId !== undefined && !FIFO_ID_PATTERN.test(groupId))
    throw invalidValue(
      groupId,
      'MessageGroupId',
      'It can be up to 128 alphanumeric or punctuation characters.',
    );
  if (queue.fifo) {
    if (delay !== undefined && delay !== 0)
      throw invalidValue(
        delay,
        'DelaySeconds',
        'The request include parameter that is not valid for this queue type.',
      );
    if (groupId === undefined) throw missingParameter('MessageGroupId');
    if (deduplicationId === undefined) {
      if (queue.record.attributes.ContentBasedDeduplication !== 'true')
        throw invalidParameterValue(
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      deduplicationId = createHash('sha256').update(body, 'utf8').digest('hex');
    } else if (!FIFO_ID_PATTERN.test(deduplicationId)) {
      throw invalidValue(
        deduplicationId,
        'MessageDeduplicationId',
        'It can be up to 128 alphanumeric or punctuation characters.',
      );
    }
  } else if (deduplicationId !== undefined) {
    throw invalidValue(
      deduplicationId,
      'MessageDeduplicationId',
      'The request includes a parameter that is not valid for this queue type.',
    );
  }
  const user = checkMessageAttributes(input.MessageAttributes, 'user');
  const system = checkMessageAttributes(input.MessageSystemAttributes, 'system');
  const maxSize = queue.numeric('MaximumMessageSize');
  const size = Buffer.byteLength(body) + user.bytes;
  if (size > maxSize)
    throw invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
    );
  const delayMs = (delay ?? queue.numeric('DelaySeconds')) * 1000;
  const message: StoredMessage = {
    id: randomUUID(),
    body,
    md5OfBody: md5OfBody(body),
    sentAt: now,
    seq: 0,
    visibleAt: now + delayMs,
    receiveCount: 0,
    ...(groupId !== undefined ? { groupId } : {}),
    ...(deduplicationId !== undefined ? { deduplicationId } : {}),
  };
  if (user.attributes) {
    message.attributes = user.attributes;
    message.md5OfAttributes = md5OfAttributes(user.attributes);
  }
  if (system.attributes) {
    message.systemAttributes = system.attributes;
    message.md5OfSystemAttributes = md5OfAttributes(system.attributes);
  }
  return message;
}

function sendResult(message: StoredMessage): Output {
  return {
    MessageId: message.id,
    MD5OfMessageBody: message.md5OfBody,
    ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
    ...(message.md5OfSystemAttributes ? { MD5OfMessageSystemAttributes: message.md5OfSystemAttributes } : {}),
    ...(message.sequenceNumber ? { SequenceNumber: message.sequenceNumber } : {}),
  };
}

/**
 * Stores a new message; on a FIFO queue a deduplication id seen in the last five minutes stores
 * nothing and answers with the first message's id and sequence number, as SQS does.
 */
function enqueue(
  state: SqsState,
  queue: Queue,
  message: StoredMessage,
  now: number,
  records: LogRecord[],
): StoredMessage {
  if (!queue.fifo || message.deduplicationId === undefined) {
    records.push(state.store(queue, message, now));
    return message;
  }
  for (const [key, entry] of queue.deduplication) if (entry.until <= now) queue.deduplication.delete(key);
  const scope = state.effectiveAttribute(queue, 'DeduplicationScope');
  const key =
    scope === 'messageGroup' ? `${message.groupId}\n${message.deduplicationId}` : message.deduplicationId;
  const seen = queue.deduplication.get(key);
  if (seen) return { ...message, id: seen.messageId, sequenceNumber: seen.sequenceNumber };
  records.push(state.store(queue, message, now));
  const entry = {
    key,
    messageId: message.id,
    sequenceNumber: message.sequenceNumber as string,
    until: now + FIFO_DEDUPLICATION_MS,
  };
  queue.deduplication.set(key, entry);
  records.push({ op: 'dedup', queue: queue.name, entry });
  return message;
}

export async function sendMessage(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const now = Date.now();
  const records: LogRecord[] = [];
  const message = enqueue(state, queue, newMessage(queue, input, now), now, records);
  await state.commit(records, { kind: 'sent', queue: queue.name, count: records.length > 0 ? 1 : 0 });
  return sendResult(message);
}

export async function sendMessageBatch(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const items = entries(input, 'Entries');
  checkBatch('SendMessageBatch', items);
  let total = 0;
  for (const item of items) {
    if (typeof item.MessageBody === 'string') total += Buffer.byteLength(item.MessageBody);
    const attributes = item.MessageAttributes;
    if (attributes && typeof attributes === 'object') total += Buffer.byteLength(JSON.stringify(attributes));
  }
  if (total > MAX_PAYLOAD_BYTES)
    throw batchError(
      'BatchRequestTooLong',
      `Batch requests cannot be longer than ${MAX_PAYLOAD_BYTES} bytes. You have sent ${total} bytes.`,
    );
  const now = Date.now();
  const successful: Output[] = [];
  const failed: BatchFailure[] = [];
  const records: LogRecord[] = [];
  for (const item of items) {
    const id = item.Id as string;
    try {
      const message = enqueue(state, queue, newMessage(queue, item, now), now, records);
      successful.push({ Id: id, ...sendResult(message) });
    } catch (error) {
      failed.push(failureOf(id, error));
    }
  }
  const stored = records.filter((record) => record.op === 'put').length;
  await state.commit(records, { kind: 'sent', queue: queue.name, count: stored });
  return { Successful: successful, Failed: failed };
}
