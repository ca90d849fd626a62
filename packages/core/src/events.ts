/**
 * Event normalisation: every way an "object created" fact reaches the handler (a direct S3
 * notification, one wrapped in SQS, possibly inside an SNS envelope, or an EventBridge
 * "Object Created" event) becomes one `ObjectEvent`. Shapes follow
 * shared/reference/aws-wire-formats.md sections 1-3; unknown keys are ignored, minor versions accepted.
 */
import { digestCloseOf, type WindowRef } from './digest-close.ts';

export type EventOrigin = 's3' | 'sqs' | 'eventbridge' | 'replay' | 'backfill';

export interface ObjectEvent {
  bucket: string;
  /** The decoded object key. */
  key: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  sequencer?: string;
  eventTime: string;
  eventName: string;
  region?: string;
  origin: EventOrigin;
}

/** One unit of work as the event source counts it: an SQS message, or one record of a direct event. */
export interface InboundMessage {
  /** SQS messageId (the `itemIdentifier` of a partial batch failure), or `record-<i>`. */
  id: string;
  kind: 'objects' | 'test' | 'invalid' | 'digest-close';
  /** The digest window a `digest-close` message closes. */
  close?: WindowRef;
  objects: ObjectEvent[];
  /** Objects events that are not creations (removals, restores...): logged and skipped. */
  skipped: Array<{ eventName: string; key: string }>;
  /** Why the message could not be read (kind `invalid`). */
  reason?: string;
  /** The message as received, kept for the dead-letter queue. */
  raw: unknown;
}

/**
 * Shape checks for the event envelopes, written out by hand: they run on every event and cost
 * nothing at cold start (no schema objects to build). A rule returns what is wrong with one value,
 * or nothing; `check` walks a shape and names each problem by its path, as the dead-letter reason.
 */
type Rule = (value: unknown) => string | undefined;

const received = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

const str =
  (
    options: {
      min?: number;
      pattern?: RegExp;
      describe?: string;
      optional?: boolean;
      nullable?: boolean;
    } = {},
  ): Rule =>
  (value) => {
    if (value === undefined && options.optional) return undefined;
    if (value === null && options.nullable) return undefined;
    if (typeof value !== 'string') return `expected string, received ${received(value)}`;
    if (options.min !== undefined && value.length < options.min) {
      return `expected a string of at least ${options.min} character(s)`;
    }
    if (options.pattern && !options.pattern.test(value))
      return `expected ${options.describe ?? options.pattern}, received ${JSON.stringify(value)}`;
    return undefined;
  };

const literal =
  (expected: string): Rule =>
  (value) =>
    value === expected
      ? undefined
      : `expected "${expected}", received ${JSON.stringify(value) ?? 'undefined'}`;

const size: Rule = (value) => {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') return `expected number, received ${received(value)}`;
  return Number.isInteger(value) && value >= 0 ? undefined : 'expected a non-negative integer';
};

interface Shape {
  [field: string]: Rule | Shape;
}

/** The first `max` problems of `value` against `shape`, each as `path: message`. */
function check(
  value: unknown,
  shape: Shape,
  max = 3,
  path: string[] = [],
  problems: string[] = [],
): string[] {
  if (!isRecord(value)) {
    problems.push(`${path.join('.') || '(root)'}: expected object, received ${received(value)}`);
    return problems;
  }
  for (const [field, rule] of Object.entries(shape)) {
    if (problems.length >= max) break;
    const at = [...path, field];
    if (typeof rule === 'function') {
      const problem = rule(value[field]);
      if (problem) problems.push(`${at.join('.')}: ${problem}`);
    } else {
      check(value[field], rule, max, at, problems);
    }
  }
  return problems;
}

const s3RecordShape: Shape = {
  eventVersion: str({ pattern: /^2\.\d+$/, describe: 'a 2.x eventVersion' }),
  eventSource: literal('aws:s3'),
  awsRegion: str({ optional: true }),
  eventTime: str(),
  eventName: str(),
  s3: {
    bucket: { name: str({ min: 1 }) },
    object: {
      key: str({ min: 1 }),
      size,
      eTag: str({ optional: true }),
      versionId: str({ optional: true, nullable: true }),
      sequencer: str({ optional: true }),
    },
  },
};

interface S3Record {
  awsRegion?: string;
  eventTime: string;
  eventName: string;
  s3: {
    bucket: { name: string };
    configurationId?: string;
    object: { key: string; size?: number; eTag?: string; versionId?: string | null; sequencer?: string };
  };
}

const eventBridgeShape: Shape = {
  'detail-type': str(),
  source: literal('aws.s3'),
  time: str(),
  region: str({ optional: true }),
  detail: {
    bucket: { name: str({ min: 1 }) },
    object: {
      key: str({ min: 1 }),
      size,
      etag: str({ optional: true }),
      'version-id': str({ optional: true }),
      sequencer: str({ optional: true }),
    },
    reason: str({ optional: true }),
  },
};

interface EventBridgeEvent {
  'detail-type': string;
  time: string;
  region?: string;
  detail: {
    bucket: { name: string };
    object: { key: string; size?: number; etag?: string; 'version-id'?: string; sequencer?: string };
    reason?: string;
  };
}

const sqsRecordShape: Shape = {
  messageId: str({ min: 1 }),
  body: str(),
  eventSource: literal('aws:sqs'),
};

/** S3 URL-encodes keys form-style: `+` is a space, `%2B` a plus, UTF-8 bytes percent-encoded. */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** The inverse, as S3 produces it (used by the local stack to emit real-shaped events). */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2A/g, '*');
}

/**
 * Sequencers order events of the same key: right-pad the shorter with `0`, compare as strings
 * (hex, compared case-insensitively). Returns a string that sorts the same way in DynamoDB.
 */
export function sequencerSortKey(sequencer: string | undefined): string {
  return (sequencer ?? '').toUpperCase().padEnd(48, '0');
}

export function compareSequencers(a: string | undefined, b: string | undefined): number {
  const x = sequencerSortKey(a);
  const y = sequencerSortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const isCreation = (eventName: string) => /^(s3:)?ObjectCreated:/.test(eventName);

function fromS3Record(record: S3Record): ObjectEvent {
  const object = record.s3.object;
  const event: ObjectEvent = {
    bucket: record.s3.bucket.name,
    key: decodeS3Key(object.key),
    eventTime: record.eventTime,
    eventName: record.eventName.replace(/^s3:/, ''),
    // Events the operator sends name themselves (see redrive.ts): a replay re-processes a FAILED file.
    origin:
      record.s3.configurationId === 'eventline-replay'
        ? 'replay'
        : record.s3.configurationId === 'eventline-backfill'
          ? 'backfill'
          : 's3',
  };
  if (object.size !== undefined) event.size = object.size;
  if (object.eTag) event.eTag = object.eTag.replace(/"/g, '');
  if (object.versionId) event.versionId = object.versionId;
  if (object.sequencer) event.sequencer = object.sequencer;
  if (record.awsRegion) event.region = record.awsRegion;
  return event;
}

/** Reads an S3 notification body (`{Records:[...]}` or the test event) into a message. */
function fromS3Notification(id: string, body: unknown, raw: unknown): InboundMessage {
  const message: InboundMessage = { id, kind: 'objects', objects: [], skipped: [], raw };
  if (isRecord(body) && body.Event === 's3:TestEvent') return { ...message, kind: 'test' };
  if (!isRecord(body) || !Array.isArray(body.Records)) {
    return { ...message, kind: 'invalid', reason: 'not an S3 event notification: no "Records" array' };
  }
  for (const [i, candidate] of body.Records.entries()) {
    const problems = check(candidate, s3RecordShape);
    if (problems.length > 0) {
      return { ...message, kind: 'invalid', reason: `Records[${i}]: ${problems.join('; ')}` };
    }
    let event: ObjectEvent;
    try {
      event = fromS3Record(candidate as S3Record);
    } catch {
      return {
        ...message,
        kind: 'invalid',
        reason: `Records[${i}].s3.object.key: not a valid URL-encoded key`,
      };
    }
    if (isCreation(event.eventName)) message.objects.push(event);
    else message.skipped.push({ eventName: event.eventName, key: event.key });
  }
  return message;
}

function fromEventBridge(raw: unknown): InboundMessage {
  const problems = check(raw, eventBridgeShape);
  const message: InboundMessage = { id: 'record-0', kind: 'objects', objects: [], skipped: [], raw };
  if (problems.length > 0) return { ...message, kind: 'invalid', reason: problems.join('; ') };
  const data = raw as EventBridgeEvent;
  const { detail } = data;
  if (data['detail-type'] !== 'Object Created') {
    message.skipped.push({ eventName: data['detail-type'], key: detail.object.key });
    return message;
  }
  // EventBridge carries the raw key (not URL-encoded), see the reference, section 3.
  const event: ObjectEvent = {
    bucket: detail.bucket.name,
    key: detail.object.key,
    eventTime: data.time,
    eventName: `ObjectCreated:${(detail.reason ?? 'PutObject').replace(/Object$/, '')}`,
    origin: 'eventbridge',
  };
  if (detail.object.size !== undefined) event.size = detail.object.size;
  if (detail.object.etag) event.eTag = detail.object.etag;
  if (detail.object['version-id']) event.versionId = detail.object['version-id'];
  if (detail.object.sequencer) event.sequencer = detail.object.sequencer;
  if (data.region) event.region = data.region;
  message.objects.push(event);
  return message;
}

function fromSqsRecord(raw: unknown, index: number): InboundMessage {
  const problems = check(raw, sqsRecordShape);
  if (problems.length > 0) {
    return {
      id: `record-${index}`,
      kind: 'invalid',
      objects: [],
      skipped: [],
      reason: `Records[${index}]: ${problems.join('; ')}`,
      raw,
    };
  }
  const { messageId, body } = raw as { messageId: string; body: string };
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (error) {
    return {
      id: messageId,
      kind: 'invalid',
      objects: [],
      skipped: [],
      reason: `SQS message ${messageId}: body is not JSON (${(error as Error).message})`,
      raw,
    };
  }
  // S3 -> SNS -> SQS without raw delivery: the S3 event is the SNS envelope's Message.
  if (isRecord(payload) && payload.Type === 'Notification' && typeof payload.Message === 'string') {
    try {
      payload = JSON.parse(payload.Message);
    } catch {
      return {
        id: messageId,
        kind: 'invalid',
        objects: [],
        skipped: [],
        reason: `SQS message ${messageId}: SNS Message is not JSON`,
        raw,
      };
    }
  }
  const close = digestCloseOf(payload);
  if (close) return { id: messageId, kind: 'digest-close', close, objects: [], skipped: [], raw };
  if (isRecord(payload) && payload.source === 'aws.s3' && 'detail' in payload) {
    const message = { ...fromEventBridge(payload), id: messageId, raw };
    if (message.kind === 'invalid') message.reason = `SQS message ${messageId}: ${message.reason}`;
    return message;
  }
  const message = fromS3Notification(messageId, payload, raw);
  if (message.kind === 'invalid') message.reason = `SQS message ${messageId}: ${message.reason}`;
  return message;
}

/**
 * Splits any supported event into its messages. An event that is none of the known shapes yields
 * one `invalid` message (dead-lettered by the caller), never an exception.
 */
export function normaliseEvent(event: unknown): InboundMessage[] {
  if (isRecord(event) && event.source === 'aws.s3' && 'detail' in event) return [fromEventBridge(event)];
  if (isRecord(event) && event.Event === 's3:TestEvent') {
    return [{ id: 'record-0', kind: 'test', objects: [], skipped: [], raw: event }];
  }
  if (isRecord(event) && Array.isArray(event.Records)) {
    const records = event.Records as unknown[];
    if (records.some((r) => isRecord(r) && r.eventSource === 'aws:sqs')) {
      return records.map((r, i) => fromSqsRecord(r, i));
    }
    return records.map((r, i) => {
      const message = fromS3Notification(`record-${i}`, { Records: [r] }, r);
      if (message.kind === 'invalid') message.reason = message.reason?.replace('Records[0]', `Records[${i}]`);
      return message;
    });
  }
  return [
    {
      id: 'record-0',
      kind: 'invalid',
      objects: [],
      skipped: [],
      reason: 'unrecognised event: not an S3 notification, an SQS batch or an EventBridge S3 event',
      raw: event,
    },
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
