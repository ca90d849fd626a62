import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { errorMessage } from '@eventline/core';
import type { Queue, Target } from './resources.ts';

/** SQS calls of the CLI, each error naming the queue and where its URL came from. */

/**
 * Why an SQS call failed, in one line. An answer the SDK could not parse means the endpoint does not
 * speak this SQS action (moto_server answers StartMessageMoveTask with an HTML error page): said so,
 * with the raw parse error.
 */
export function sqsFailure(action: string, error: unknown, hint = ''): string {
  const message = errorMessage(error);
  if (/NonExistentQueue|does not exist/i.test(`${(error as { name?: string }).name} ${message}`))
    return 'the queue does not exist';
  const unparsed =
    /Deserialization error/i.test(message) || (error as { name?: string }).name === 'SyntaxError';
  if (!unparsed) return message;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `the endpoint answered${status ? ` HTTP ${status}` : ''} with something that is not an SQS response: it does not implement ${action}${hint} (raw parse error: ${message.split('\n')[0]?.trim()})`;
}

function failed(queue: Queue, action: string, error: unknown, hint = ''): Error {
  return new Error(
    `${action} on the ${queue.label} queue ${queue.url} (${queue.source}) failed: ${sqsFailure(action, error, hint)}`,
  );
}

export interface Depth {
  visible: string;
  inFlight: string;
  delayed: string;
}

export async function depthOf(target: Target, queue: Queue): Promise<Depth> {
  try {
    const { Attributes = {} } = await target.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Attributes.ApproximateNumberOfMessages ?? '0',
      inFlight: Attributes.ApproximateNumberOfMessagesNotVisible ?? '0',
      delayed: Attributes.ApproximateNumberOfMessagesDelayed ?? '0',
    };
  } catch (error) {
    throw failed(queue, 'GetQueueAttributes', error);
  }
}

/**
 * How long after a message first becomes visible the queue may still deliver it: every receive its
 * redrive policy allows (maxReceiveCount), each after at most its visibility timeout. From the queue's
 * own attributes, so that it is what the deployed (or local) queue does; undefined without a policy.
 */
export async function deliverySpanMs(target: Target, queue: Queue): Promise<number | undefined> {
  let attributes: Record<string, string>;
  try {
    const answer = await target.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
      }),
    );
    attributes = answer.Attributes ?? {};
  } catch (error) {
    throw failed(queue, 'GetQueueAttributes', error);
  }
  const visibility = Number(attributes.VisibilityTimeout);
  let receives = Number.NaN;
  try {
    receives = Number(
      (JSON.parse(attributes.RedrivePolicy ?? '{}') as { maxReceiveCount?: unknown }).maxReceiveCount,
    );
  } catch {
    // not a policy: no span
  }
  return Number.isFinite(visibility) && Number.isFinite(receives) && receives > 0
    ? receives * visibility * 1000
    : undefined;
}

/** How long `peek` hides the messages it reads, so that one pass sees each message once. */
const PEEK_HOLD_SECONDS = 30;
const MAX_PEEK_ROUNDS = 200;
/** At most this many letters per pass; the rest wait for the next one (and are said to). */
export const MAX_LETTERS = 1000;

/**
 * Reads every visible message of a dead-letter queue (at most `max`) without consuming it: each is
 * hidden while the pass runs, then made visible again by `release` (or deleted by the caller).
 * Only for dead-letter queues: a receive counts towards a queue's maxReceiveCount.
 */
export async function peek(
  target: Target,
  queue: Queue,
  options: { max?: number; holdSeconds?: number; progress?: (line: string) => void } = {},
): Promise<Message[]> {
  const max = options.max ?? MAX_LETTERS;
  const messages: Message[] = [];
  for (let round = 0; round < MAX_PEEK_ROUNDS && messages.length < max; round++) {
    let page: Message[];
    try {
      ({ Messages: page = [] } = await target.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: options.holdSeconds ?? PEEK_HOLD_SECONDS,
          // Long polling asks every SQS server: a short poll may answer empty while letters wait.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
          MessageAttributeNames: ['All'],
        }),
      ));
    } catch (error) {
      throw failed(queue, 'ReceiveMessage', error);
    }
    if (page.length === 0) break;
    messages.push(...page);
  }
  if (messages.length >= max) {
    options.progress?.(
      `${queue.label} queue: the first ${messages.length} letters only (at most ${max} at a time)`,
    );
  }
  return messages;
}

/** Makes peeked messages visible again. */
export async function release(target: Target, queue: Queue, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    try {
      await target.clients.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: chunk.map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch (error) {
      throw failed(queue, 'ChangeMessageVisibilityBatch', error);
    }
  }
}

export async function remove(target: Target, queue: Queue, message: Message): Promise<void> {
  try {
    await target.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    throw failed(queue, 'DeleteMessage', error);
  }
}

/** Sends message bodies (at most 10) in one batch; throws naming the first refused entry. */
export async function sendBatch(target: Target, queue: Queue, bodies: string[]): Promise<void> {
  let result: { Failed?: Array<{ Id?: string; Message?: string; Code?: string }> };
  try {
    result = await target.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })),
      }),
    );
  } catch (error) {
    throw failed(queue, 'SendMessageBatch', error);
  }
  const refused = result.Failed?.[0];
  if (refused) {
    throw failed(
      queue,
      'SendMessageBatch',
      new Error(`entry ${refused.Id}: ${refused.Code} ${refused.Message ?? ''}`),
    );
  }
}

/** SQS's own redrive: moves every message of `source` back to `destination`. */
export async function startMove(
  target: Target,
  source: Queue,
  destination: Queue,
): Promise<string | undefined> {
  try {
    const { TaskHandle } = await target.clients.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: source.arn, DestinationArn: destination.arn }),
    );
    return TaskHandle;
  } catch (error) {
    throw failed(
      source,
      'StartMessageMoveTask',
      error,
      '; replay the letters one by one instead: eventline dlq replay ID --queue events (ids: eventline dlq list --queue events)',
    );
  }
}
