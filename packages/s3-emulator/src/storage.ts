import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClassicLevel } from 'classic-level';
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
 * - `s\0sequencer` → the last sequencer handed out
 */

export interface BucketRecord {
  name: string;
  created: number;
  region: string;
  versioning: VersioningState;
  notification?: string;
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
}

type Db = ClassicLevel<Buffer, unknown>;
type BatchOp = { type: 'put'; key: Buffer; value: unknown } | { type: 'del'; key: Buffer };

const enc = (s: string) => Buffer.from(s, 'utf8');
export const bucketKey = (bucket: string) => enc(`b\0${bucket}`);
export const objectPrefix = (bucket: string) => enc(`o\0${bucket}\0`);
export const objectKey = (bucket: string, key: string) => Buffer.concat([objectPrefix(bucket), enc(key)]);
export const uploadKey = (uploadId: string) => enc(`u\0${uploadId}`);
export const partKey = (uploadId: string, part: number) =>
  enc(`p\0${uploadId}\0${String(part).padStart(5, '0')}`);
const SEQUENCER_KEY = enc('s\0sequencer');
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
    return storage;
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
   * Streams `source` through `transforms` into a new blob: a temporary file, fsynced, renamed into
   * place and its directory fsynced. Nothing names the blob until the caller commits metadata.
   */
  async writeBlob(source: Readable | Readable[], transforms: Transform[] = []): Promise<WrittenBlob> {
    const blob = randomBytes(16).toString('hex');
    const temp = join(this.tmpDir, randomUUID());
    let size = 0;
    try {
      const sources = Array.isArray(source) ? source : [source];
      const out = createWriteStream(temp, { flags: 'wx' });
      if (sources.length === 1) {
        await runPipeline(sources[0]!, ...transforms, out);
      } else {
        const { PassThrough } = await import('node:stream');
        const joined = new PassThrough();
        const done = runPipeline(joined, ...transforms, out);
        for (const part of sources) {
          for await (const chunk of part) {
            if (!joined.write(chunk)) await new Promise((r) => joined.once('drain', r));
          }
        }
        joined.end();
        await done;
      }
      size = out.bytesWritten;
      const dir = join(this.blobDir, blob.slice(0, 2));
      await mkdir(dir, { recursive: true });
      if (this.fsync) await fsyncPath(temp, 'r+');
      await rename(temp, this.blobPath(blob));
      if (this.fsync) await fsyncPath(dir, 'r');
      return { blob, size };
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  openBlob(blob: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.blobPath(blob), range ? { start: range.start, end: range.end } : {});
  }

  async removeBlobs(blobs: Array<string | undefined>): Promise<void> {
    for (const blob of blobs) {
      if (!blob) continue;
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

async function fsyncPath(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
