import type { WindowRef } from './digest-close.ts';
import type { Position } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import type { AttributeMap } from './values.ts';

/**
 * The core's ports: as small as their use. Adapters (src/aws) implement them with the AWS SDK;
 * tests and the local stack use the same adapters against emulators.
 */

export interface OpenedObject {
  body: AsyncIterable<Uint8Array>;
  contentLength?: number;
  /** The whole object's size when the GET was ranged (its Content-Range). */
  size?: number;
  contentEncoding?: string;
  contentType?: string;
  eTag?: string;
  versionId?: string;
  /** User metadata (`x-amz-meta-*`). */
  metadata?: Record<string, string>;
  tagCount?: number;
}

export interface ObjectSource {
  /**
   * Opens the object version the event names (versionId when known, else the current object if its
   * ETag still matches), from byte `fromByte` when given (a ranged GET, to resume) up to byte `toByte`
   * (inclusive; a Parquet file is read by ranges). Throws PermanentError `object-missing` when it no
   * longer exists and `SupersededError` when a newer write replaced it.
   */
  open(event: ObjectEvent, options?: { fromByte?: number; toByte?: number }): Promise<OpenedObject>;
  /**
   * The object's current version (HeadObject): its ETag, versionId and Last-Modified (ISO 8601),
   * undefined when there is none (deleted). Orders an event that carries no sequencer against the
   * ledger's version: only the current version may take an object over from another
   * (docs/protocol.md, I1).
   */
  current?(
    bucket: string,
    key: string,
  ): Promise<{ eTag?: string; versionId?: string; lastModified?: string } | undefined>;
  /** Writes eventline's own objects (oversized payloads, rejects) under the internal prefix. */
  putInternal(bucket: string, key: string, body: string | Uint8Array, contentType: string): Promise<void>;
}

export type FileStatus = 'PROCESSING' | 'PROCESSED' | 'FAILED';
export type StepStatus = 'PENDING' | 'SENT' | 'NOT_NEEDED';

/**
 * What one file gave. `read` = records seen (readable or not) = `written` + `rejected` +
 * `duplicates` whenever a repeated key falls in the same batch of 25 (the later record wins and
 * is counted once); a key repeated further apart is written twice, the later write winning.
 */
export interface FileCounts {
  read: number;
  written: number;
  rejected: number;
  duplicates: number;
  bytes: number;
}

export interface RejectedRecord {
  position: Position;
  code: string;
  reason: string;
}

/**
 * Where a multi-record file stopped when its invocation ran out of time: the next invocation
 * resumes there, at the byte `offset` of the decompressed file where the next record starts (a
 * ranged GET; a gzip object is inflated again from its start and the bytes before are dropped).
 * A checkpoint without `offset` (written before byte checkpoints) re-reads and skips `records`.
 */
export interface Checkpoint {
  /** Byte offset in the (decompressed) object where the next record starts. */
  offset?: number;
  /** True when `offset` counts inflated bytes of a gzip object: no ranged GET, inflate and drop. */
  inflated?: boolean;
  /** CSV: the header's columns (the resumed read starts after the header). */
  columns?: string[];
  /** Physical lines before `offset` (1-based numbering continues after it). */
  line: number;
  /** Records handled (read, whatever their fate). */
  records: number;
  /** Records decoded (the 0-based `index` of the next one). */
  values: number;
  counts: FileCounts;
  /** Rejects objects written so far (one per segment of the file). */
  rejectParts: number;
  /** How many invocations the file has taken so far. */
  segments: number;
}

/** The outcome of a superseded version that still owed its notification or dead letter. */
export interface OwedOutcome {
  route: string;
  versionId?: string;
  eTag?: string;
  sequencer?: string;
  status: FileStatus;
  attempts: number;
  counts: FileCounts;
  rejectsKey?: string;
  contentType?: string;
  error?: { code: string; message: string };
  notification: StepStatus;
  deadLetter: StepStatus;
  finishedAt?: string;
  durationMs?: number;
}

/** The ledger's outcome for one object (one item per bucket/key, the latest version wins). */
export interface FileState {
  bucket: string;
  key: string;
  route: string;
  versionId?: string;
  eTag?: string;
  size?: number;
  sequencer?: string;
  /** sequencerSortKey(sequencer): compares as a string in DynamoDB. */
  seq: string;
  eventTime: string;
  status: FileStatus;
  /** Optimistic-concurrency revision, incremented by every write. */
  rev: number;
  leaseUntil: number;
  attempts: number;
  counts: FileCounts;
  rejects: RejectedRecord[];
  rejectsKey?: string;
  /** An `object` route's file: the content type detected from its bytes (a notification attribute). */
  contentType?: string;
  error?: { code: string; message: string; position?: Position };
  /** The whole error when it was too long for the item (an object under the internal prefix). */
  errorKey?: string;
  /** The last transient failure, kept so that a file ending FAILED after N attempts says why. */
  lastError?: string;
  checkpoint?: Checkpoint;
  /** True while the file waits for its continuation (a handoff, not a crash: not an attempt). */
  handoff?: boolean;
  /** Superseded versions' outcomes still owing steps: delivered by whoever holds the item. */
  owed?: OwedOutcome[];
  notification: { status: StepStatus; messageId?: string; at?: string; error?: string };
  /** The digest window this outcome counts in (`windowId`), on a route with a digest policy. */
  digest?: string;
  deadLetter: { status: StepStatus; at?: string };
  /** The operator's `dlq drop` of this failure (decisions.ts): reconcile and replay leave it alone. */
  dropped?: DropDecision;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  updatedAt: string;
}

/**
 * An operator's `dlq drop` recorded on the outcome (decisions.ts): who, when, why, which letter, and
 * `failedAt`, the `finishedAt` of the FAILED outcome it was about.
 */
export interface DropDecision {
  by: string;
  at: string;
  reason: string;
  letter?: string;
  failedAt?: string;
}

export type ClaimResult =
  | { claimed: true; state: FileState }
  | { claimed: false; current: FileState | undefined };

export interface Ledger {
  getFile(bucket: string, key: string): Promise<FileState | undefined>;
  /**
   * Claims a file in one conditional write of `state` (PROCESSING, its `rev` ignored): written when
   * the ledger holds nothing for the object or, when `state.sequencer` is set, an older version of it
   * that is neither leased at `now` nor owing steps. Otherwise nothing is written and the result
   * carries what the ledger holds (returned by the refused write itself where the store can).
   */
  claim(state: FileState, now: number): Promise<ClaimResult>;
  /**
   * Writes the file state if the stored revision is `expectedRev` (undefined: no item yet).
   * Returns false when another writer got there first.
   */
  putFile(state: FileState, expectedRev: number | undefined): Promise<boolean>;
  /**
   * As `putFile`, and in the same atomic write the outcome joins its digest window (counts added,
   * the window created if new): `written`, or `stale` (the file's revision moved: nothing written),
   * `closed` (the window was closed: nothing written) or `full` (it holds `maxFiles` files).
   * The digest methods are optional: a ledger without them serves no route with a digest policy.
   */
  putFileJoining?(
    state: FileState,
    expectedRev: number,
    join: DigestJoin,
  ): Promise<'written' | 'stale' | 'closed' | 'full'>;
  /**
   * Marks a window closed (created closed and empty if nobody joined it), so no outcome joins it
   * after, and takes the right to publish its digest until `until` (clock ms): `claimed` with the
   * window, `sent` when its digest was published already, `busy` while another close holds it.
   */
  closeWindow?(
    ref: WindowRef,
    at: string,
    now: number,
    until: number,
  ): Promise<{ state: 'claimed' | 'sent' | 'busy'; window: DigestWindow }>;
  /**
   * Gives up the right to publish a window that `closeWindow` gave until `until` (its Publish failed),
   * so the close's next delivery can publish instead of finding its own hold.
   */
  releaseWindow?(ref: WindowRef, until: number): Promise<void>;
  /** Records a closed window's digest as published (`messageId` empty: nothing to publish). */
  markWindowSent?(ref: WindowRef, messageId: string, at: string): Promise<void>;
  /**
   * Records that `ref` is owed a close (its due item, in the `attention` index until the window is
   * sent), before the window's first join; a no-op once the window was sent (digest-due.ts, T14).
   */
  markWindowDue?(ref: WindowRef, endsAt: number): Promise<void>;
  /** The window was sent: its due item leaves the index, and a late `markWindowDue` is refused. */
  clearWindowDue?(ref: WindowRef, at: string): Promise<void>;
  /**
   * One record, conditionally: written unless the stored item comes from the same object with a
   * later sequencer. Returns `superseded` when a newer version already holds the key.
   */
  putRecord(
    item: AttributeMap,
    guard: { bucket: string; key: string; seq: string },
  ): Promise<'written' | 'superseded'>;
  /** Many records, batched (BatchWriteItem, 25 at a time), UnprocessedItems retried until the deadline. */
  putRecords(items: AttributeMap[], options: { deadline: number; signal?: AbortSignal }): Promise<void>;
  /** A writer of one file's records, batched and written in parallel as the store does best. */
  recordWriter(options: RecordWriterOptions): RecordWriter;
}

export interface RecordWriterOptions {
  parallelism: number;
  /** How long one batch may be retried (UnprocessedItems, throttling). */
  deadlineMs: number;
  /**
   * Called before every batch: resolves with the time (clock ms) until which the batch may still be
   * written (the writer's lease), or throws when the writer must stop (its claim is gone).
   */
  fence?: () => Promise<number>;
}

/** Writes one file's records; the first failure fails the file. */
export interface RecordWriter {
  /** Queues one record (a later record of a key queued in the same batch replaces it: a duplicate). */
  add(item: AttributeMap): Promise<void>;
  /** Writes what is queued and waits for every write; resolves with what was written. */
  finish(): Promise<{ written: number; duplicates: number }>;
  /**
   * Waits for the writes in flight, whatever their result (after a failure); resolves with what was
   * written, so a FAILED outcome counts the records it left in the ledger (hole 4).
   */
  settle(): Promise<{ written: number; duplicates: number }>;
}

export interface Notification {
  subject: string;
  /** Text for people (email, console): starts "New file processed: <key>" as in the seed. */
  text: string;
  /** JSON document for machines (http/https/sqs/lambda subscribers). */
  json: Record<string, unknown>;
  attributes: Record<string, { type: 'String' | 'Number'; value: string }>;
}

export interface Notifier {
  publish(notification: Notification): Promise<{ messageId: string }>;
}

/** A message the pipeline could not process, with why: what the dead-letter queue holds. */
export interface DeadLetter {
  reason: string;
  code: string;
  /** The object, when known. */
  object?: { bucket: string; key: string; versionId?: string; eTag?: string; sequencer?: string };
  /** The original event or message, for replay. */
  event: unknown;
  failedAt: string;
  attempts?: number;
  /**
   * The same for every letter of one failed object version, whoever sends it (the notification's
   * idempotency key of the FAILED outcome): a letter sent again after a crash between SendMessage
   * and recording it can be told apart (invariant I10 of docs/protocol.md).
   */
  dedupeKey?: string;
}

export interface DeadLetterQueue {
  send(letter: DeadLetter): Promise<void>;
}

/**
 * Sends an event to the function again, to continue a file that did not fit in one invocation:
 * queue mode puts a message on the ingest queue, direct mode invokes the function asynchronously.
 */
export interface Continuations {
  /**
   * Sends `event` to the function again; `delaySeconds` (at most 900) holds it back that long where
   * the transport can (`delays`: queue mode's SQS message), else it is sent at once.
   */
  schedule(event: Record<string, unknown>, delaySeconds?: number): Promise<void>;
  /** Whether `schedule` can delay (queue mode); direct mode's asynchronous invocation cannot. */
  readonly delays?: boolean;
}

/** What one file's outcome adds to its window. */
export interface DigestEntry {
  status: 'PROCESSED' | 'FAILED';
  written: number;
  rejected: number;
  /** A failed file's key and reason (kept while the window holds fewer than MAX_DIGEST_FAILURES). */
  failure?: { key: string; code: string; reason: string };
}

/** A file's outcome joining a window, as the ledger writes it with the outcome. */
export interface DigestJoin {
  window: WindowRef;
  /** When the window's time slot ends (clock ms): its close message is due then. */
  endsAt: number;
  maxFiles: number;
  entry: DigestEntry;
}

/** A window as the ledger holds it. */
export interface DigestWindow extends WindowRef {
  endsAt: number;
  files: number;
  processed: number;
  failed: number;
  written: number;
  rejected: number;
  failures: Array<{ key: string; code: string; reason: string }>;
  firstAt?: string;
  lastAt?: string;
  closedAt?: string;
  sentAt?: string;
  messageId?: string;
  /** Until when (ms) a close holds the right to publish it. */
  publishing?: number;
}

/** Sends the delayed message that closes a digest window (a message on the ingest queue). */
export interface DigestScheduler {
  schedule(window: WindowRef, delaySeconds: number): Promise<void>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Structured logging, as Powertools' Logger offers it (and the local stack's console logger). */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Metrics, as Powertools' Metrics (EMF) offers them. */
export interface Metrics {
  count(name: string, value?: number): void;
  milliseconds(name: string, value: number): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
export const noMetrics: Metrics = { count() {}, milliseconds() {} };
