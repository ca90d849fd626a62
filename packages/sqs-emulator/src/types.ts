import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SqsAction } from './constants.ts';

/** A message attribute as on the wire (JSON shape); `BinaryValue` is base64. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

/** One message as the emulator keeps it (and writes it to its log). Times are epoch ms. */
export interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  attributes?: MessageAttributes;
  md5OfAttributes?: string;
  systemAttributes?: MessageAttributes;
  md5OfSystemAttributes?: string;
  sentAt: number;
  /** Order of arrival across all queues; PurgeQueue removes everything up to a sequence. */
  seq: number;
  /** Delayed or in flight until then. */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Nonce of the latest receipt handle; only that handle deletes the message. */
  receipt?: string;
  /** When the latest receipt was issued (the 12-hour visibility limit counts from it). */
  receivedAt?: number;
  /** Set when SQS redrove the message from a source queue into its dead-letter queue. */
  deadLetterSourceArn?: string;
  /** MessageGroupId (FIFO queues; also kept for standard queues, which accept it). */
  groupId?: string;
  /** FIFO: the deduplication id given or derived from the body. */
  deduplicationId?: string;
  /** FIFO: 20-digit SequenceNumber. */
  sequenceNumber?: string;
}

/** A FIFO queue's memory of a deduplication id (5 minutes). */
export interface DeduplicationEntry {
  key: string;
  messageId: string;
  sequenceNumber: string;
  /** Epoch ms. */
  until: number;
}

export interface QueueRecord {
  name: string;
  /** Attributes set by clients (defaults are not stored). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** Epoch seconds. */
  createdAt: number;
  modifiedAt: number;
  /** Epoch ms of the last PurgeQueue. */
  purgedAt?: number;
}

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

export interface MoveTask {
  handle: string;
  sourceArn: string;
  destinationArn?: string;
  maxPerSecond?: number;
  status: MoveTaskStatus;
  moved: number;
  toMove: number;
  /** Epoch ms. */
  startedAt: number;
  failureReason?: string;
}

/** What the console shows per queue. */
export interface QueueMetrics {
  name: string;
  url: string;
  arn: string;
  /** Messages available for receipt (ApproximateNumberOfMessages). */
  depth: number;
  /** Received and not yet deleted nor visible again (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** Sent with a delay that has not ended (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
  /** Age in seconds of the oldest message in the queue (any state); 0 when empty. */
  oldestAgeSeconds: number;
  /** Messages a running move task (a redrive) has still to move out of this queue; 0 when none runs. */
  moving: number;
  deadLetterTargetArn?: string;
}

export type ChangeKind =
  | 'queueCreated'
  | 'queueUpdated'
  | 'queueDeleted'
  | 'sent'
  | 'received'
  | 'deleted'
  | 'visibilityChanged'
  | 'purged'
  | 'deadLettered'
  | 'moved'
  | 'expired';

export interface ChangeEvent {
  kind: ChangeKind;
  queue: string;
  /** How many messages the change concerned (sent, received, deleted…). */
  count: number;
}

export type ChangeListener = (event: ChangeEvent) => void;

export interface SqsEmulatorOptions {
  /** Where queues and messages are kept; without it everything is in memory only. */
  dataDir?: string;
  region: string;
  accountId: string;
  /** Origin put in QueueUrls (`http://127.0.0.1:4566`); a function when known only later. Default: `listen`'s URL. */
  endpoint?: string | (() => string);
  /** Largest request body accepted when the emulator reads the body itself; default 4 MiB. */
  maxBodyBytes?: number;
  /** When the state log is rewritten from the live state (tests lower it). */
  compaction?: { minRecords: number; factor: number };
  /** Called with problems that are not a request's (a failed log write in a background task, a torn log line). */
  warn?: (message: string, details?: Record<string, unknown>) => void;
}

export interface SqsListener {
  readonly url: string;
  readonly port: number;
  /** Stops listening (the emulator stays open). */
  close(): Promise<void>;
}

export interface SqsEmulator {
  /**
   * Runs one action in process, with the AWS JSON 1.0 input and output shapes (`QueueUrl` may be a
   * bare queue name). Failures throw `SqsApiError`. For the stack's own senders (S3 notifications);
   * consumers should use the HTTP API like any AWS client.
   */
  call(action: SqsAction, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Serves one SQS request. `body` when the caller has read it already (the edge does, to dispatch). */
  handle(req: IncomingMessage, res: ServerResponse, body?: Buffer): Promise<void>;
  /** Whether a request is for SQS (JSON target, Query action with SQS's version, or a queue URL path). */
  isSqsRequest(req: IncomingMessage, body?: Buffer): boolean;
  /** Serves the emulator alone on a loopback port (tests, standalone use). */
  listen(port?: number, host?: string): Promise<SqsListener>;
  /** Per-queue depth, in flight, delayed and oldest age, computed now. */
  metrics(): QueueMetrics[];
  /** Calls `listener` after every change; returns a function that removes it. */
  onChange(listener: ChangeListener): () => void;
  /** Ends long polls, stops move tasks, flushes the log. Safe to call twice. */
  close(): Promise<void>;
}
