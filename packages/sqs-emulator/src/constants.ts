/**
 * Limits, defaults and names of Amazon SQS, as documented in the API model (botocore
 * `sqs/2012-11-05`) and summarised in `shared/reference/sqs-and-event-source-mapping.md`.
 */

export const API_VERSION = '2012-11-05';
export const XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
export const TARGET_PREFIX = 'AmazonSQS.';
export const JSON_ERROR_PREFIX = 'com.amazonaws.sqs#';

export const MAX_BATCH_ENTRIES = 10;
export const MAX_MESSAGE_ATTRIBUTES = 10;
export const MAX_RECEIVE_MESSAGES = 10;
export const MAX_WAIT_SECONDS = 20;
export const MAX_VISIBILITY_SECONDS = 43_200;
export const MAX_DELAY_SECONDS = 900;
export const MAX_PAYLOAD_BYTES = 1_048_576;
export const MAX_QUEUE_NAME = 80;
export const MAX_BATCH_ID = 80;
export const MAX_LIST_RESULTS = 1000;
export const MAX_MOVE_RATE = 500;
export const MAX_MOVE_TASKS_LISTED = 10;
export const PURGE_INTERVAL_MS = 60_000;

/** Queue attributes a client may set, with their range and default (all strings on the wire). */
export const SETTABLE_ATTRIBUTES = {
  DelaySeconds: { min: 0, max: MAX_DELAY_SECONDS, default: '0' },
  MaximumMessageSize: { min: 1024, max: MAX_PAYLOAD_BYTES, default: String(MAX_PAYLOAD_BYTES) },
  MessageRetentionPeriod: { min: 60, max: 1_209_600, default: '345600' },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: MAX_WAIT_SECONDS, default: '0' },
  VisibilityTimeout: { min: 0, max: MAX_VISIBILITY_SECONDS, default: '30' },
} as const;

export type NumericAttribute = keyof typeof SETTABLE_ATTRIBUTES;

/** Attributes stored as given (validated where the emulator gives them meaning). */
export const STORED_ATTRIBUTES = [
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
] as const;

/** Attributes computed by the service; readable, never settable. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/** FIFO-only attributes, with their allowed values and defaults on a FIFO queue. */
export const FIFO_ATTRIBUTES = {
  FifoQueue: { values: ['true', 'false'], default: 'true' },
  ContentBasedDeduplication: { values: ['true', 'false'], default: 'false' },
  DeduplicationScope: { values: ['messageGroup', 'queue'], default: 'queue' },
  FifoThroughputLimit: { values: ['perQueue', 'perMessageGroupId'], default: 'perQueue' },
} as const;

/** How long a FIFO queue remembers a deduplication id. */
export const FIFO_DEDUPLICATION_MS = 5 * 60_000;
/** MessageGroupId / MessageDeduplicationId: up to 128 alphanumeric or punctuation characters. */
export const FIFO_ID_PATTERN = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

export const MESSAGE_SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
  'MessageGroupId',
  'MessageDeduplicationId',
  'SequenceNumber',
] as const;

/** Every action the emulator answers. */
export const SQS_ACTIONS = [
  'CreateQueue',
  'GetQueueUrl',
  'DeleteQueue',
  'ListQueues',
  'GetQueueAttributes',
  'SetQueueAttributes',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'PurgeQueue',
  'ListDeadLetterSourceQueues',
  'StartMessageMoveTask',
  'ListMessageMoveTasks',
  'CancelMessageMoveTask',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
] as const;

export type SqsAction = (typeof SQS_ACTIONS)[number];

/** The sender id reported for every message (no IAM locally). */
export const LOCAL_SENDER_ID = 'AIDAEVENTLINELOCAL0000';
