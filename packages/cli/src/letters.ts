import { HeadBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { digestCloseOf, type RedriveObject, windowId } from '@eventline/core';
import type { Queue, Target } from './resources.ts';

/**
 * What a dead-letter message says, whichever queue it sits in: eventline's own letters (`files`:
 * `{eventline: 'dead-letter', code, reason, object, event}`), raw S3 events an SQS redrive moved
 * (`events`, queue mode) or Lambda's on-failure records (`events`, direct mode: `requestPayload`).
 */
export interface Letter {
  id: string;
  queue: Queue['label'];
  key?: string;
  code: string;
  reason: string;
  at?: string;
  receiveCount?: string;
  /** The object version to re-drive (eventline's letters). */
  object?: RedriveObject;
  /** The event as sent to the function (raw events). */
  event?: unknown;
  message: Message;
}

function parseBody(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

const firstKey = (event: unknown): string | undefined => {
  const record = (event as { Records?: Array<{ s3?: { object?: { key?: string } } }> })?.Records?.[0];
  const key = record?.s3?.object?.key;
  return key === undefined ? undefined : decodeURIComponent(key.replace(/\+/g, ' '));
};

export function letterOf(queue: Queue, message: Message): Letter {
  const body = parseBody(message.Body) as Record<string, unknown> | undefined;
  const base = {
    id: message.MessageId ?? '?',
    queue: queue.label,
    message,
    ...(message.Attributes?.ApproximateReceiveCount
      ? { receiveCount: message.Attributes.ApproximateReceiveCount }
      : {}),
  };
  const sent = message.Attributes?.SentTimestamp;
  const sentAt = sent ? new Date(Number(sent)).toISOString() : undefined;
  if (body?.eventline === 'dead-letter') {
    const object = body.object as RedriveObject | undefined;
    const letter: Letter = {
      ...base,
      code: String(body.code ?? '?'),
      reason: String(body.reason ?? ''),
      ...(typeof body.failedAt === 'string' ? { at: body.failedAt } : sentAt ? { at: sentAt } : {}),
      event: body.event,
    };
    if (object?.bucket && object.key) {
      letter.object = object;
      letter.key = object.key;
    } else {
      const key = firstKey(body.event);
      if (key) letter.key = key;
    }
    return letter;
  }
  if (body && 'requestPayload' in body) {
    // Lambda's on-failure destination record (direct mode).
    const context = body.requestContext as
      | { condition?: string; approximateInvokeCount?: number }
      | undefined;
    const response = body.responsePayload as { errorMessage?: string } | undefined;
    const key = firstKey(body.requestPayload);
    return {
      ...base,
      ...(key ? { key } : {}),
      code: context?.condition ?? 'invocation-failed',
      reason:
        response?.errorMessage ??
        `asynchronous invocation failed after ${context?.approximateInvokeCount ?? '?'} attempt(s)`,
      ...(typeof body.timestamp === 'string' ? { at: body.timestamp } : sentAt ? { at: sentAt } : {}),
      event: body.requestPayload,
    };
  }
  const close = digestCloseOf(body);
  if (close) {
    // A digest window's close (docs/protocol.md, T13), not an S3 event: replayed as it is.
    return {
      ...base,
      code: 'digest-close',
      reason: `the close of digest window ${windowId(close)} after trigger.maxReceiveCount deliveries: its digest may be unsent (dlq replay closes it again; it is published once, with the window's key)`,
      ...(sentAt ? { at: sentAt } : {}),
      event: body,
    };
  }
  const key = firstKey(body);
  return {
    ...base,
    ...(key ? { key } : {}),
    code: 'event',
    reason: body ? 'S3 event without an outcome after trigger.maxReceiveCount deliveries' : 'not JSON',
    ...(sentAt ? { at: sentAt } : {}),
    event: body ?? message.Body,
  };
}

/** Why the letter's object cannot be read any more (deleted since), or undefined when it can. */
export async function objectGone(target: Target, object: RedriveObject): Promise<string | undefined> {
  try {
    await target.clients.s3.send(
      new HeadObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        ...(object.versionId ? { VersionId: object.versionId } : {}),
      }),
    );
    return undefined;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) return undefined; // the function will say what is wrong
    // HEAD answers a bare 404 for a missing bucket too: that is not a deleted object.
    const bucketThere = await target.clients.s3.send(new HeadBucketCommand({ Bucket: object.bucket })).then(
      () => true,
      () => false,
    );
    if (!bucketThere) return undefined;
    const version = object.versionId ? ` (version ${object.versionId})` : '';
    return `s3://${object.bucket}/${object.key}${version} no longer exists, so there is nothing to replay`;
  }
}
