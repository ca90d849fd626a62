import { type BatchFailure, checkBatch, failureOf } from './batch.ts';
import { MAX_VISIBILITY_SECONDS } from './constants.ts';
import { invalidValue, missingParameter, receiptHandleIsInvalid, SqsApiError } from './errors.ts';
import type { LogRecord } from './log.ts';
import type { Queue } from './queue.ts';
import type { Output, SqsState } from './state.ts';
import type { StoredMessage } from './types.ts';
import { entries, type Input, optionalInteger, requiredString } from './validation.ts';

/**
 * Receipt handles, and the actions that take one: DeleteMessage(Batch) and
 * ChangeMessageVisibility(Batch).
 */

const RECEIPT_PREFIX = 'eventline-sqs:';

interface Receipt {
  queue: string;
  id: string;
  nonce: string;
}

export function receiptOf(queue: Queue, message: StoredMessage): string {
  const raw = `${queue.name}\n${message.id}\n${message.receipt}`;
  return RECEIPT_PREFIX + Buffer.from(raw, 'utf8').toString('base64url');
}

function parseReceipt(queue: Queue, handle: string): Receipt {
  if (!handle.startsWith(RECEIPT_PREFIX)) throw receiptHandleIsInvalid(handle);
  const raw = Buffer.from(handle.slice(RECEIPT_PREFIX.length), 'base64url').toString('utf8');
  const [name, id, nonce, ...rest] = raw.split('\n');
  if (name !== queue.name || !id || !nonce || rest.length > 0) throw receiptHandleIsInvalid(handle);
  return { queue: name, id, nonce };
}

/** Deletes by receipt handle: an outdated handle (the message was received again since) deletes nothing. */
function deleteByReceipt(queue: Queue, handle: string, records: LogRecord[]): number {
  const receipt = parseReceipt(queue, handle);
  const message = queue.messages.get(receipt.id);
  if (!message || message.receipt !== receipt.nonce) return 0;
  checkFifoHandleLive(queue, message, handle);
  queue.remove(receipt.id);
  records.push({ op: 'del', queue: queue.name, id: receipt.id });
  return 1;
}

/** FIFO queues refuse a receipt handle whose visibility timeout has ended (standard queues accept it). */
function checkFifoHandleLive(queue: Queue, message: StoredMessage, handle: string): void {
  if (queue.fifo && message.visibleAt <= Date.now())
    throw new SqsApiError(
      'ReceiptHandleIsInvalid',
      'ReceiptHandleIsInvalid',
      400,
      `The receipt handle "${handle}" has expired.`,
    );
}

export async function deleteMessage(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const records: LogRecord[] = [];
  const count = deleteByReceipt(queue, requiredString(input, 'ReceiptHandle'), records);
  await state.commit(records, { kind: 'deleted', queue: queue.name, count });
  return {};
}

export async function deleteMessageBatch(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const items = entries(input, 'Entries');
  checkBatch('DeleteMessageBatch', items);
  const successful: Output[] = [];
  const failed: BatchFailure[] = [];
  const records: LogRecord[] = [];
  let count = 0;
  for (const item of items) {
    const id = item.Id as string;
    try {
      count += deleteByReceipt(queue, requiredString(item, 'ReceiptHandle'), records);
      successful.push({ Id: id });
    } catch (error) {
      failed.push(failureOf(id, error));
    }
  }
  await state.commit(records, { kind: 'deleted', queue: queue.name, count });
  return { Successful: successful, Failed: failed };
}

function changeVisibility(
  queue: Queue,
  handle: string,
  timeout: number,
  now: number,
  records: LogRecord[],
): void {
  const receipt = parseReceipt(queue, handle);
  const message = queue.messages.get(receipt.id);
  if (!message || message.receipt !== receipt.nonce)
    throw invalidValue(
      handle,
      'ReceiptHandle',
      'Message does not exist or is not available for visibility timeout change.',
    );
  checkFifoHandleLive(queue, message, handle);
  const visibleAt = now + timeout * 1000;
  if (visibleAt > (message.receivedAt ?? now) + MAX_VISIBILITY_SECONDS * 1000)
    throw invalidValue(
      timeout,
      'VisibilityTimeout',
      `Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`,
    );
  message.visibleAt = visibleAt;
  queue.place(message, now);
  records.push({ op: 'vis', queue: queue.name, id: message.id, visibleAt });
}

export async function changeMessageVisibility(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const handle = requiredString(input, 'ReceiptHandle');
  const timeout = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
  if (timeout === undefined) throw missingParameter('VisibilityTimeout');
  const records: LogRecord[] = [];
  changeVisibility(queue, handle, timeout, Date.now(), records);
  await state.commit(records, { kind: 'visibilityChanged', queue: queue.name, count: 1 });
  return {};
}

export async function changeMessageVisibilityBatch(state: SqsState, input: Input): Promise<Output> {
  const queue = state.queueOf(input);
  const items = entries(input, 'Entries');
  checkBatch('ChangeMessageVisibilityBatch', items);
  const now = Date.now();
  const successful: Output[] = [];
  const failed: BatchFailure[] = [];
  const records: LogRecord[] = [];
  for (const item of items) {
    const id = item.Id as string;
    try {
      const handle = requiredString(item, 'ReceiptHandle');
      const timeout = optionalInteger(item, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
      if (timeout === undefined) throw missingParameter('VisibilityTimeout');
      changeVisibility(queue, handle, timeout, now, records);
      successful.push({ Id: id });
    } catch (error) {
      failed.push(failureOf(id, error));
    }
  }
  await state.commit(records, { kind: 'visibilityChanged', queue: queue.name, count: records.length });
  return { Successful: successful, Failed: failed };
}
