import { createHash } from 'node:crypto';

/**
 * The protocol simulator's S3, SNS and SQS: fakes of the AWS cloud with the semantics the pipeline
 * relies on. S3 keeps every version of a versioned bucket (a delete adds a marker) and only the
 * current object of an unversioned one; GetObject honours VersionId, IfMatch (412) and Range; events
 * carry a per-bucket increasing sequencer. SQS keeps receive counts and visibility timeouts and moves
 * a message to its dead-letter queue past maxReceiveCount, and delays a message by its DelaySeconds.
 * The clock is the simulator's.
 */

export class AwsFault extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(
    public override readonly name: string,
    status: number,
    message = name,
  ) {
    super(message);
    this.$metadata = { httpStatusCode: status };
  }
}

export interface S3Version {
  /** Put number in the run (1-based): S3's true order of writes. */
  put: number;
  versionId?: string;
  body: Uint8Array;
  eTag: string;
  sequencer: string;
  deleteMarker?: boolean;
}

export class FakeS3 {
  /** Every write per key, oldest first (an unversioned bucket still remembers them, for the checks). */
  readonly history = new Map<string, S3Version[]>();
  readonly internal = new Map<string, string>();
  private sequence = 0x1000;
  puts = 0;

  constructor(readonly versioned: boolean) {}

  private nextSequencer(): string {
    this.sequence += 1;
    return this.sequence.toString(16).toUpperCase().padStart(16, '0');
  }

  put(key: string, body: string): S3Version {
    this.puts += 1;
    const bytes = new TextEncoder().encode(body);
    const version: S3Version = {
      put: this.puts,
      body: bytes,
      eTag: createHash('md5').update(bytes).digest('hex'),
      sequencer: this.nextSequencer(),
    };
    if (this.versioned) version.versionId = `v${this.puts}`;
    this.list(key).push(version);
    return version;
  }

  delete(key: string): S3Version | undefined {
    if (!this.current(key)) return undefined;
    this.puts += 1;
    const marker: S3Version = {
      put: this.puts,
      body: new Uint8Array(),
      eTag: '',
      sequencer: this.nextSequencer(),
      deleteMarker: true,
    };
    if (this.versioned) marker.versionId = `v${this.puts}`;
    this.list(key).push(marker);
    return marker;
  }

  private list(key: string): S3Version[] {
    let versions = this.history.get(key);
    if (!versions) {
      versions = [];
      this.history.set(key, versions);
    }
    return versions;
  }

  /** The object a GET without a version returns, if any. */
  current(key: string): S3Version | undefined {
    const last = this.history.get(key)?.at(-1);
    return last && !last.deleteMarker ? last : undefined;
  }

  /** GetObject's semantics, with the body as the caller streams it. */
  getObject(input: { Key: string; VersionId?: string; IfMatch?: string; Range?: string }): {
    version: S3Version;
    from: number;
  } {
    let version: S3Version | undefined;
    if (input.VersionId !== undefined) {
      if (!this.versioned) {
        if (input.VersionId !== 'null') throw new AwsFault('NoSuchVersion', 404);
        version = this.current(input.Key);
      } else {
        version = this.history.get(input.Key)?.find((v) => v.versionId === input.VersionId);
        if (version?.deleteMarker) throw new AwsFault('MethodNotAllowed', 405);
      }
      if (!version) throw new AwsFault(this.versioned ? 'NoSuchVersion' : 'NoSuchKey', 404);
    } else {
      version = this.current(input.Key);
      if (!version) throw new AwsFault('NoSuchKey', 404);
    }
    if (input.IfMatch !== undefined && input.IfMatch.replace(/"/g, '') !== version.eTag) {
      throw new AwsFault('PreconditionFailed', 412);
    }
    const from = input.Range ? Number(/^bytes=(\d+)-$/.exec(input.Range)?.[1] ?? 0) : 0;
    // S3 refuses a range that starts at or past the end of a non-empty object (416 InvalidRange).
    if (input.Range && from >= version.body.length && version.body.length > 0)
      throw new AwsFault('InvalidRange', 416, 'The requested range is not satisfiable');
    return { version, from };
  }

  /** HeadObject's semantics (the version's metadata; 404 for a missing key, version or marker). */
  headObject(input: { Key: string; VersionId?: string }): S3Version {
    return this.getObject(input).version;
  }

  /** ListObjectVersions for one key: newest first, as S3 lists them. */
  listVersions(key: string): S3Version[] {
    return this.versioned ? [...(this.history.get(key) ?? [])].reverse() : [];
  }

  /** Which write an identity names: by versionId, ETag or sequencer (each unique in a run). */
  versionOf(
    key: string,
    id: { versionId?: string; eTag?: string; sequencer?: string },
  ): S3Version | undefined {
    const versions = this.history.get(key) ?? [];
    if (id.versionId) return versions.find((v) => v.versionId === id.versionId);
    if (id.sequencer) return versions.find((v) => v.sequencer === id.sequencer);
    if (id.eTag) return versions.find((v) => v.eTag === id.eTag);
    return undefined;
  }
}

export interface QueueMessage {
  id: string;
  body: string;
  receives: number;
  visibleAt: number;
  /** The receipt of the current delivery: a delete with an older one is ignored. */
  receipt: number;
}

/** One SQS queue (standard): at-least-once, any order among visible messages. */
export class FakeQueue {
  readonly messages: QueueMessage[] = [];
  private ids = 0;
  private receipts = 0;

  constructor(
    readonly name: string,
    private readonly options: { visibilityMs: number; maxReceiveCount?: number; deadLetters?: FakeQueue },
  ) {}

  /** How many messages were ever sent to the queue (a dead-letter queue: how many were dead-lettered). */
  get sent(): number {
    return this.ids;
  }

  /** SendMessage; `delaySeconds` (SQS's DelaySeconds, 0 to 900) keeps the message invisible that long. */
  send(body: string, now: number, delaySeconds = 0): string {
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900)
      throw new AwsFault('InvalidParameterValue', 400, `DelaySeconds ${delaySeconds}: 0 to 900`);
    this.ids += 1;
    const id = `${this.name}-${this.ids}`;
    this.messages.push({ id, body, receives: 0, visibleAt: now + delaySeconds * 1000, receipt: 0 });
    return id;
  }

  visible(now: number): QueueMessage[] {
    return this.messages.filter((m) => m.visibleAt <= now);
  }

  /** Receives the `pick`-th visible message; past maxReceiveCount it moves to the dead-letter queue instead. */
  receive(now: number, pick: number): QueueMessage | undefined {
    const visible = this.visible(now);
    if (visible.length === 0) return undefined;
    const message = visible[pick % visible.length]!;
    message.receives += 1;
    const max = this.options.maxReceiveCount;
    if (max !== undefined && message.receives > max && this.options.deadLetters) {
      this.remove(message.id);
      this.options.deadLetters.send(message.body, now);
      return undefined;
    }
    this.receipts += 1;
    message.receipt = this.receipts;
    message.visibleAt = now + this.options.visibilityMs;
    return { ...message };
  }

  delete(id: string, receipt: number): void {
    const message = this.messages.find((m) => m.id === id);
    if (message && message.receipt === receipt) this.remove(id);
  }

  remove(id: string): void {
    const at = this.messages.findIndex((m) => m.id === id);
    if (at >= 0) this.messages.splice(at, 1);
  }

  /** Takes every message out (a redrive). */
  drain(): QueueMessage[] {
    return this.messages.splice(0, this.messages.length);
  }
}

/** What SNS accepted: the machine-readable notification and its attributes. */
export interface Published {
  json: Record<string, unknown>;
  idempotencyKey: string;
  /** A digest's: whether its window was already marked sent in the ledger when SNS accepted it. */
  windowWasSent?: boolean;
}
