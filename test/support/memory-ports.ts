import type {
  AttributeMap,
  ClaimResult,
  Clock,
  Continuations,
  DeadLetter,
  DeadLetterQueue,
  FileState,
  Ledger,
  Notification,
  Notifier,
  ObjectEvent,
  ObjectSource,
  OpenedObject,
  RecordWriter,
  RecordWriterOptions,
} from '@eventline/core';
import { PermanentError, SupersededError, sequencerSortKey, TransientError } from '@eventline/core';

/**
 * In-memory fakes of the core's ports, for the fast tier: the use case's state machine runs against
 * them with no network. They keep the semantics the contract tests pin on the real adapters
 * (conditional writes by revision, the one-write claim, record guards by sequencer) and count calls,
 * so that tests can assert how many requests a path costs.
 */

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryLedger implements Ledger {
  readonly files = new Map<string, FileState>();
  readonly records = new Map<string, AttributeMap>();
  /** How many times each record key was written (exactly-once checks). */
  readonly writesPerKey = new Map<string, number>();
  readonly calls: string[] = [];

  private id(bucket: string, key: string) {
    return `${bucket}/${key}`;
  }

  async getFile(bucket: string, key: string): Promise<FileState | undefined> {
    this.calls.push('getFile');
    const state = this.files.get(this.id(bucket, key));
    return state ? clone(state) : undefined;
  }

  async claim(state: FileState, now: number): Promise<ClaimResult> {
    this.calls.push('claim');
    const current = this.files.get(this.id(state.bucket, state.key));
    const owes =
      current &&
      (current.notification.status === 'PENDING' ||
        current.deadLetter.status === 'PENDING' ||
        (current.owed?.length ?? 0) > 0);
    const ok =
      !current ||
      (state.sequencer !== undefined &&
        current.sequencer !== undefined &&
        current.seq < state.seq &&
        !owes &&
        (current.status !== 'PROCESSING' || current.leaseUntil < now));
    if (!ok) return { claimed: false, current: clone(current) };
    const written = { ...clone(state), rev: (current?.rev ?? 0) + 1 };
    this.files.set(this.id(state.bucket, state.key), written);
    return { claimed: true, state: clone(written) };
  }

  async putFile(state: FileState, expectedRev: number | undefined): Promise<boolean> {
    this.calls.push(`putFile:${state.status}:${state.notification.status}`);
    const current = this.files.get(this.id(state.bucket, state.key));
    if (expectedRev === undefined ? current !== undefined : current?.rev !== expectedRev) return false;
    this.files.set(this.id(state.bucket, state.key), clone(state));
    return true;
  }

  private write(item: AttributeMap) {
    const pk = (item.pk as { S: string }).S;
    this.records.set(pk, item);
    this.writesPerKey.set(pk, (this.writesPerKey.get(pk) ?? 0) + 1);
  }

  async putRecord(item: AttributeMap, guard: { bucket: string; key: string; seq: string }) {
    this.calls.push('putRecord');
    const pk = (item.pk as { S: string }).S;
    const existing = this.records.get(pk);
    const origin = (existing?.origin as { S: string } | undefined)?.S;
    const seq = (existing?.seq as { S: string } | undefined)?.S ?? '';
    if (existing && origin === `${guard.bucket}/${guard.key}` && seq > guard.seq)
      return 'superseded' as const;
    this.write(item);
    return 'written' as const;
  }

  async putRecords(items: AttributeMap[]): Promise<void> {
    this.calls.push('putRecords');
    for (const item of items) this.write(item);
  }

  recordWriter(options: RecordWriterOptions): RecordWriter {
    let chunk = new Map<string, AttributeMap>();
    let written = 0;
    let duplicates = 0;
    const flush = async () => {
      if (chunk.size === 0) return;
      if (options.fence) await options.fence();
      const items = [...chunk.values()];
      chunk = new Map();
      await this.putRecords(items);
      written += items.length;
    };
    return {
      add: async (item) => {
        const pk = (item.pk as { S: string }).S;
        if (chunk.has(pk)) duplicates += 1;
        chunk.set(pk, item);
        if (chunk.size === 25) await flush();
      },
      finish: async () => {
        await flush();
        return { written, duplicates };
      },
      settle: async () => ({ written, duplicates }),
    };
  }
}

export interface MemoryObject {
  body: Uint8Array;
  eTag: string;
  /** The version S3 serves (a versioned bucket); none when unset. */
  versionId?: string;
  /** Called before each chunk of `chunkBytes` is handed out (a slow or stalling stream). */
  beforeChunk?: (index: number) => Promise<void>;
}

export class MemorySource implements ObjectSource {
  readonly objects = new Map<string, MemoryObject>();
  readonly internal = new Map<string, string>();
  readonly opens: Array<{ key: string; fromByte?: number }> = [];
  /** Thrown by every open (a transient outage, a bug). */
  failure: Error | undefined;

  constructor(private readonly chunkBytes = 64 * 1024) {}

  put(key: string, body: string, options: Partial<MemoryObject> = {}): void {
    this.objects.set(key, {
      body: new TextEncoder().encode(body),
      eTag: `etag-${key}-${body.length}`,
      ...options,
    });
  }

  async open(
    event: ObjectEvent,
    options: { fromByte?: number; toByte?: number } = {},
  ): Promise<OpenedObject> {
    this.opens.push({ key: event.key, ...(options.fromByte ? { fromByte: options.fromByte } : {}) });
    if (this.failure) throw this.failure;
    const object = this.objects.get(event.key);
    if (!object) throw new PermanentError('object-missing', `${event.key}: the object no longer exists`);
    if (event.eTag && event.eTag !== object.eTag) throw new SupersededError(`${event.key}: replaced`);
    const body = object.body.subarray(
      options.fromByte ?? 0,
      options.toByte === undefined ? undefined : options.toByte + 1,
    );
    const size = this.chunkBytes;
    const beforeChunk = object.beforeChunk;
    async function* chunks() {
      for (let i = 0, n = 0; i < body.length; i += size, n++) {
        if (beforeChunk) await beforeChunk(n);
        yield body.subarray(i, i + size);
      }
    }
    return {
      body: chunks(),
      contentLength: body.length,
      eTag: object.eTag,
      ...(object.versionId ? { versionId: object.versionId } : {}),
    };
  }

  async current(_bucket: string, key: string): Promise<{ eTag?: string } | undefined> {
    const object = this.objects.get(key);
    return object ? { eTag: object.eTag } : undefined;
  }

  async putInternal(_bucket: string, key: string, body: string | Uint8Array): Promise<void> {
    this.internal.set(key, typeof body === 'string' ? body : new TextDecoder().decode(body));
  }
}

export class MemoryNotifier implements Notifier {
  readonly sent: Notification[] = [];
  down = false;

  async publish(notification: Notification): Promise<{ messageId: string }> {
    if (this.down) throw new TransientError('aws-unavailable', 'Publish: SNS is down');
    this.sent.push(notification);
    return { messageId: `m-${this.sent.length}` };
  }
}

export class MemoryDeadLetters implements DeadLetterQueue {
  readonly letters: DeadLetter[] = [];

  async send(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
  }
}

export class MemoryContinuations implements Continuations {
  readonly scheduled: Array<Record<string, unknown>> = [];

  async schedule(event: Record<string, unknown>): Promise<void> {
    this.scheduled.push(event);
  }
}

export class ManualClock implements Clock {
  constructor(public time = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

let sequence = 0x100;

export function objectEvent(
  source: MemorySource,
  key: string,
  extra: Partial<ObjectEvent> = {},
): ObjectEvent {
  sequence += 1;
  const object = source.objects.get(key);
  return {
    bucket: 'b',
    key,
    ...(object ? { eTag: object.eTag, size: object.body.length } : {}),
    sequencer: sequence.toString(16).toUpperCase().padStart(18, '0'),
    eventTime: '2026-01-01T00:00:00.000Z',
    eventName: 'ObjectCreated:Put',
    origin: 's3',
    ...extra,
  };
}

export const seqOf = (event: ObjectEvent) => sequencerSortKey(event.sequencer);
