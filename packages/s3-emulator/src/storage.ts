import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClassicLevel } from 'classic-level';
import type { BucketConfigName, Grant, TagSet } from './config-docs.ts';
import { S3EmulatorConfigError } from './errors.ts';
import type { VersioningState } from './types.ts';

/**
 * Durable storage: object bodies are files (`blobs/xx/<id>`, written under `tmp/`, fsynced,
 * renamed, directory fsynced) and all metadata lives in LevelDB, keyed by bytes, so that walking a
 * bucket's keys is UTF-8 byte order by construction.
 *
 * Layout of the LevelDB keys:
 * - `b\0<bucket>` → BucketRecord
 * - `o\0<bucket>\0<key bytes>` → ObjectRecord (every version of one key, newest first, and the
 *   sequencer of its last change)
 * - `u\0<uploadId>` → UploadRecord; `p\0<uploadId>\0<part number, 5 digits>` → PartRecord
 * - `c\0<uploadId>` → CompletedUpload (the result of a completed upload)
 * - `d\0<blob id>` → the bytes of a body of up to INLINE_MAX bytes (ids starting with `i`)
 * - `s\0sequencer` → the last sequencer handed out
 */

export interface BucketRecord {
  name: string;
  created: number;
  region: string;
  versioning: VersioningState;
  notification?: string;
  /**
   * Sub-resource configurations as S3 returns them (XML documents, the policy's JSON): absent = S3's
   * default for a new bucket (see DEFAULT_CONFIG), null = deleted.
   */
  config?: Partial<Record<BucketConfigName, string | null>>;
  /** The bucket's ACL grants (default: the owner's FULL_CONTROL). */
  acl?: Grant[];
  /** Object Lock is enabled (at creation, or by PutObjectLockConfiguration). */
  objectLock?: boolean;
  /** `x-amz-transition-default-minimum-object-size` given with the lifecycle configuration. */
  lifecycleMinimumSize?: string;
}

export interface StoredHeaders {
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  websiteRedirectLocation?: string;
  storageClass?: string;
  userMetadata: Record<string, string>;
}

export interface VersionRecord extends Partial<StoredHeaders> {
  versionId: string;
  deleteMarker?: true;
  lastModified: number;
  etag?: string;
  size?: number;
  blob?: string;
  /** Sizes of the parts of a multipart object, for `GET ?partNumber=N`. */
  partSizes?: number[];
  checksum?: { algorithm: string; value: string };
  /** Object tags, in the order given. */
  tags?: TagSet;
  /** Object ACL grants (only where the bucket's ownership allows ACLs). */
  acl?: Grant[];
  retention?: { mode: string; until: string };
  legalHold?: 'ON' | 'OFF';
}

export interface ObjectRecord {
  /** Newest first; empty once every version is deleted (the record stays, see `sequencer`). */
  versions: VersionRecord[];
  /** Sequencer of the last change to the key. */
  sequencer?: string;
}

export interface UploadRecord extends StoredHeaders {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  checksumAlgorithm?: string;
  tags?: TagSet;
  acl?: Grant[];
  retention?: { mode: string; until: string };
  legalHold?: 'ON' | 'OFF';
  /** The key's state when the upload began, for conditional completion (see keyState). */
  keyState?: string;
}

export interface PartRecord {
  partNumber: number;
  etag: string;
  size: number;
  blob: string;
  lastModified: number;
}

export interface WrittenBlob {
  blob: string;
  size: number;
  /**
   * Writes the caller must put in the batch that commits the blob's metadata (a small body's bytes),
   * so that data and metadata become durable in the same synced LevelDB write.
   */
  ops: BatchOp[];
}

type Db = ClassicLevel<Buffer, unknown>;
export type BatchOp =
  | { type: 'put'; key: Buffer; value: unknown; valueEncoding?: 'buffer' }
  | { type: 'del'; key: Buffer };

const enc = (s: string) => Buffer.from(s, 'utf8');
export const bucketKey = (bucket: string) => enc(`b\0${bucket}`);
export const objectPrefix = (bucket: string) => enc(`o\0${bucket}\0`);
export const objectKey = (bucket: string, key: string) => Buffer.concat([objectPrefix(bucket), enc(key)]);
export const uploadKey = (uploadId: string) => enc(`u\0${uploadId}`);
/** A completed upload's result, so that a repeated CompleteMultipartUpload answers it again. */
export const completedKey = (uploadId: string) => enc(`c\0${uploadId}`);

export interface CompletedUpload {
  bucket: string;
  key: string;
  etag: string;
  versionId: string;
  parts: Array<{ partNumber: number; etag: string }>;
}
export const partKey = (uploadId: string, part: number) =>
  enc(`p\0${uploadId}\0${String(part).padStart(5, '0')}`);
const SEQUENCER_KEY = enc('s\0sequencer');
/** Bodies up to this size are kept in LevelDB (one synced write), larger ones in files. */
export const INLINE_MAX = 64 * 1024;
const INLINE_PREFIX = 'i';
const inlineKey = (blob: string) => enc(`d\0${blob}`);
/** A byte no UTF-8 text contains: `prefix + 0xFF` is above every key that starts with `prefix`. */
export const HIGH = Buffer.from([0xff]);

export class Storage {
  readonly db: Db;
  private readonly blobDir: string;
  private readonly tmpDir: string;
  private lastSequencer = 0n;
  private readonly locks = new Map<string, Promise<void>>();

  private constructor(
    readonly dataDir: string,
    private readonly fsync: boolean,
  ) {
    this.db = new ClassicLevel<Buffer, unknown>(join(dataDir, 'metadata'), {
      keyEncoding: 'buffer',
      valueEncoding: 'json',
    });
    this.blobDir = join(dataDir, 'blobs');
    this.tmpDir = join(dataDir, 'tmp');
  }

  static async open(dataDir: string, fsync: boolean): Promise<Storage> {
    const storage = new Storage(dataDir, fsync);
    await mkdir(dataDir, { recursive: true });
    try {
      await storage.db.open();
    } catch (error) {
      throw new S3EmulatorConfigError(
        `S3 emulator: cannot open the metadata store in ${join(dataDir, 'metadata')} (is another emulator using dataDir ${dataDir}?)`,
        { cause: error },
      );
    }
    // Whatever is under tmp/ was never renamed into place: no metadata names it.
    await rm(storage.tmpDir, { recursive: true, force: true });
    await mkdir(storage.tmpDir, { recursive: true });
    await mkdir(storage.blobDir, { recursive: true });
    const last = (await storage.db.get(SEQUENCER_KEY)) as string | undefined;
    if (last) storage.lastSequencer = BigInt(`0x${last}`);
    await storage.sweepOrphans();
    return storage;
  }

  /**
   * Removes bodies no metadata names: written before a crash that came before their metadata
   * batch, or left by a crash between a metadata batch and the removal of the data it replaced.
   * Runs at open, when no request is in flight.
   */
  private async sweepOrphans(): Promise<number> {
    const referenced = new Set<string>();
    for await (const [, record] of this.range<ObjectRecord>(enc('o\0'), enc('o\x01'))) {
      for (const version of record.versions) if (version.blob) referenced.add(version.blob);
    }
    for await (const [, part] of this.range<PartRecord>(enc('p\0'), enc('p\x01'))) referenced.add(part.blob);
    const orphans: string[] = [];
    for await (const key of this.db.keys({ gte: enc('d\0'), lt: enc('d\x01') })) {
      const blob = key.subarray(2).toString('utf8');
      if (!referenced.has(blob)) orphans.push(blob);
    }
    for (const dir of await readdir(this.blobDir)) {
      for (const blob of await readdir(join(this.blobDir, dir)))
        if (!referenced.has(blob)) orphans.push(blob);
    }
    await this.removeBlobs(orphans);
    return orphans.length;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async get<T>(key: Buffer): Promise<T | undefined> {
    return (await this.db.get(key)) as T | undefined;
  }

  /** Writes metadata changes at once (with fsync when durable). */
  async batch(ops: BatchOp[]): Promise<void> {
    await this.db.batch(ops, { sync: this.fsync });
  }

  /**
   * A hex sequencer greater than every one handed out before, also before a restart: milliseconds
   * x 4096 + a counter, 18 digits like S3's. Returned with the batch operation that records it, so
   * it is stored with the change it orders.
   */
  nextSequencer(now: number): { sequencer: string; op: BatchOp } {
    const fromClock = BigInt(now) * 4096n;
    this.lastSequencer = fromClock > this.lastSequencer ? fromClock : this.lastSequencer + 1n;
    const sequencer = this.lastSequencer.toString(16).toUpperCase().padStart(18, '0');
    return { sequencer, op: { type: 'put', key: SEQUENCER_KEY, value: sequencer } };
  }

  /** Runs `work` while no other work holds `name` (one writer per key). */
  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => current);
    this.locks.set(name, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.locks.get(name) === chained) this.locks.delete(name);
    }
  }

  blobPath(blob: string): string {
    return join(this.blobDir, blob.slice(0, 2), blob);
  }

  /**
   * Streams `source` through `transforms` into a new blob. Up to INLINE_MAX bytes stay in memory
   * and are returned as a LevelDB write for the caller's metadata batch: one fsync for a small
   * object instead of three. A larger body goes to a
   * temporary file, fsynced, renamed into place and its directory fsynced. Nothing names the blob
   * until the caller commits metadata.
   */
  async writeBlob(
    source: Readable | Array<() => Promise<Readable>>,
    transforms: Transform[] = [],
  ): Promise<WrittenBlob> {
    const id = randomBytes(16).toString('hex');
    const sink = new SpillSink(join(this.tmpDir, randomUUID()), this.fsync);
    try {
      if (!Array.isArray(source)) {
        await runPipeline(source, ...transforms, sink);
      } else {
        // Parts are opened one after the other, so that thousands of parts need one descriptor at a time.
        const joined = new PassThrough();
        const done = runPipeline(joined, ...transforms, sink);
        try {
          for (const openPart of source) {
            for await (const chunk of await openPart()) {
              if (!joined.write(chunk)) await once(joined, 'drain');
            }
          }
        } catch (error) {
          joined.destroy(error as Error);
          await done.catch(() => undefined);
          throw error;
        }
        joined.end();
        await done;
      }
      if (sink.inline) {
        const blob = `${INLINE_PREFIX}${id}`;
        return {
          blob,
          size: sink.size,
          ops: [{ type: 'put', key: inlineKey(blob), value: sink.inline, valueEncoding: 'buffer' }],
        };
      }
      const dir = join(this.blobDir, id.slice(0, 2));
      await mkdir(dir, { recursive: true });
      await rename(sink.path, this.blobPath(id));
      if (this.fsync) await fsyncPath(dir, 'r');
      return { blob: id, size: sink.size, ops: [] };
    } catch (error) {
      await sink.discard();
      throw error;
    }
  }

  /** A blob's bytes (a range of them), opened before returning: a removed blob throws ENOENT here. */
  async openBlob(blob: string, range?: { start: number; end: number }): Promise<Readable> {
    if (blob.startsWith(INLINE_PREFIX)) {
      const data = (await this.db.get(inlineKey(blob), { valueEncoding: 'buffer' })) as Buffer | undefined;
      if (!data) throw Object.assign(new Error(`blob ${blob} is gone`), { code: 'ENOENT' });
      return Readable.from([range ? data.subarray(range.start, range.end + 1) : data]);
    }
    // The stream owns the FileHandle and closes it; the data stays readable if the file is unlinked meanwhile.
    const handle = await open(this.blobPath(blob), 'r');
    return createReadStream('', { fd: handle, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async removeBlobs(blobs: Array<string | undefined>): Promise<void> {
    for (const blob of blobs) {
      if (!blob) continue;
      if (blob.startsWith(INLINE_PREFIX)) {
        await this.db.del(inlineKey(blob));
        continue;
      }
      await unlink(this.blobPath(blob)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }

  /** Entries with keys in [gte, lt), in byte order. */
  async *range<T>(gte: Buffer, lt: Buffer): AsyncGenerator<[Buffer, T]> {
    for await (const [key, value] of this.db.iterator({ gte, lt })) yield [key, value as T];
  }

  async tmpEntries(): Promise<string[]> {
    return readdir(this.tmpDir);
  }
}

/** stream.pipeline over a list of streams known only at run time. */
const runPipeline = pipeline as unknown as (
  ...streams: Array<NodeJS.ReadableStream | NodeJS.WritableStream>
) => Promise<void>;

/**
 * A Writable that keeps what it receives in memory up to INLINE_MAX bytes and, past that, writes it
 * all to `path` (fsynced at the end when durable).
 */
class SpillSink extends Writable {
  size = 0;
  private chunks: Buffer[] = [];
  private handle: FileHandle | undefined;

  constructor(
    readonly path: string,
    private readonly durable: boolean,
  ) {
    super();
  }

  /** The whole body, when it stayed small enough to be kept in memory. */
  get inline(): Buffer | undefined {
    return this.handle ? undefined : Buffer.concat(this.chunks);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.size += chunk.length;
    if (!this.handle && this.size <= INLINE_MAX) {
      this.chunks.push(chunk);
      done();
      return;
    }
    this.spill(chunk).then(() => done(), done);
  }

  private async spill(chunk: Buffer): Promise<void> {
    if (!this.handle) {
      this.handle = await open(this.path, 'wx');
      for (const pending of this.chunks) await this.handle.write(pending);
      this.chunks = [];
    }
    await this.handle.write(chunk);
  }

  override _final(done: (error?: Error | null) => void): void {
    const handle = this.handle;
    if (!handle) {
      done();
      return;
    }
    (async () => {
      if (this.durable) await handle.sync();
      await handle.close();
    })().then(() => done(), done);
  }

  async discard(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    if (this.handle) await unlink(this.path).catch(() => undefined);
  }
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
