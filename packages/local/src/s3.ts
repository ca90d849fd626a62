import crypto from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { renameAllDurable } from '@eventline/durable-file';
import S3rver from 's3rver';

/**
 * The S3 API on disk, by s3rver, with the fixes it needs on Node 20 / OpenSSL 3:
 * - ListObjectsV2 continuation tokens are DES-encrypted by s3rver; OpenSSL 3 has no DES, so a
 *   truncated listing would fail. Tokens only need to be opaque and reversible, so `des` is served
 *   by an identity transform (the token is then base64 of IV + "region/bucket/key").
 * - s3rver knows one key pair (S3RVER/S3RVER) and rejects others; it does not check SigV4
 *   signatures at all. Any access key is accepted here; real signature checks are the edge's job
 *   (see `enforceAuth`).
 */

const require = createRequire(import.meta.url);

let patched = false;
function patchS3rver(): void {
  if (patched) return;
  patched = true;
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  const identity = () => ({
    update: (data: string | Buffer, encoding?: BufferEncoding) =>
      typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data),
    final: () => Buffer.alloc(0),
  });
  const patchedCipher = ((algorithm: string, ...rest: unknown[]) =>
    algorithm === 'des'
      ? identity()
      : (createCipheriv as (...a: unknown[]) => unknown)(
          algorithm,
          ...rest,
        )) as unknown as typeof crypto.createCipheriv;
  const patchedDecipher = ((algorithm: string, ...rest: unknown[]) =>
    algorithm === 'des'
      ? identity()
      : (createDecipheriv as (...a: unknown[]) => unknown)(
          algorithm,
          ...rest,
        )) as unknown as typeof crypto.createDecipheriv;
  crypto.createCipheriv = patchedCipher;
  crypto.createDecipheriv = patchedDecipher;

  const account = require('s3rver/lib/models/account') as {
    registry: Map<string, unknown>;
    DUMMY_ACCOUNT: unknown;
  };
  const get = account.registry.get.bind(account.registry);
  account.registry.get = (key: string) => get(key) ?? account.DUMMY_ACCOUNT;
  confineToDirectory();
  makeWritesAtomic();
  honourIfMatch();
}

/**
 * s3rver ignores `If-Match` on GET/HEAD. The pipeline reads an object with the ETag its event
 * names, so that an event for a write that was overwritten since is "superseded" (S3 answers 412)
 * instead of processing the newer bytes as if they were the older write (and notifying twice).
 */
function honourIfMatch(): void {
  type Ctx = {
    headers: Record<string, string | undefined>;
    params: { bucket: string; key: string };
    store: { getMetadata(bucket: string, key: string): Promise<{ etag?: string }> };
  };
  const controller = require('s3rver/lib/controllers/object') as { getObject(ctx: Ctx): Promise<void> };
  const S3Error = require('s3rver/lib/models/error') as new (
    code: string,
    message: string,
    detail?: Record<string, string>,
  ) => Error;
  const getObject = controller.getObject;
  controller.getObject = async (ctx: Ctx) => {
    const ifMatch = ctx.headers['if-match'];
    if (ifMatch) {
      const metadata = await ctx.store.getMetadata(ctx.params.bucket, ctx.params.key).catch((error) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      });
      const etag = metadata?.etag?.replace(/"/g, '');
      const wanted = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/"/g, ''));
      if (metadata && !wanted.includes('*') && !wanted.includes(etag ?? '')) {
        throw new S3Error(
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          {
            Condition: 'If-Match',
          },
        );
      }
    }
    return getObject(ctx);
  };
}

/**
 * s3rver writes an object in place: its data, then `.md5`, then `metadata.json`. A kill -9 in
 * between left a torn object that s3rver served as if whole, and an empty `metadata.json` made
 * every listing of the bucket fail with InternalError, so the stack could not even restart (its
 * recovery lists the bucket). Each file is now written under a temporary name, fsynced and renamed
 * into place (its directory fsynced), the data last: an object exists once its data file does,
 * whole. Metadata or MD5 files torn before this (older data directories) are dropped when read:
 * the object keeps its data.
 */
function makeWritesAtomic(): void {
  type Store = Record<string, (this: unknown, ...args: unknown[]) => Promise<unknown>> & {
    rootDirectory: string;
    getResourcePath(bucket: string, key: string, resource: string): string;
  };
  const { prototype } = require('s3rver/lib/stores/filesystem') as { prototype: Store };
  const S3Error = require('s3rver/lib/models/error') as new (
    code: string,
    message: string,
    detail?: Record<string, string>,
  ) => Error;
  const putMetadata = prototype.putMetadata!;
  // s3rver's own putObject resolves before its write stream has flushed (so an event could be read
  // before the bytes are there) and leaves the stream's errors unhandled (ENAMETOOLONG, ENOSPC
  // killed the process): the data is written here, awaited to the end, then renamed into place.
  prototype.putObject = async function (this: unknown, object: unknown) {
    const store = this as Store;
    const { bucket, key, content, metadata } = object as {
      bucket: string;
      key: string;
      content: Buffer | NodeJS.ReadableStream;
      metadata: unknown;
    };
    if (Buffer.byteLength(key, 'utf8') > 1024) {
      throw new S3Error('KeyTooLongError', 'Your key is too long', { Key: key.slice(0, 100) });
    }
    // Staged under the root (".staging" is no bucket name), with short names, so that a key's
    // longest segment is limited by its final file names only, as it was.
    const id = crypto.randomUUID();
    const staging = join(store.rootDirectory, '.staging');
    const staged: Array<{ temp: string; final: string }> = [];
    const stagingStore = Object.create(store, {
      getResourcePath: {
        value: (bucket: string, key: string, resource: string) => {
          const temp = join(staging, `${id}.${resource}`);
          staged.push({ temp, final: store.getResourcePath(bucket, key, resource) });
          return temp;
        },
      },
    }) as Store;
    try {
      const objectPath = stagingStore.getResourcePath(bucket, key, 'object');
      await mkdir(staging, { recursive: true });
      const md5 = crypto.createHash('md5');
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          md5.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(
        Buffer.isBuffer(content) ? Readable.from([content]) : content,
        count,
        createWriteStream(objectPath),
      );
      const digest = md5.digest('hex');
      await putMetadata.call(stagingStore, bucket, key, metadata, digest);
      const result = { size, md5: digest };
      const data = staged.filter((s) => s.final.endsWith('._S3rver_object'));
      const moves = [...staged.filter((s) => !data.includes(s)), ...data];
      for (const { final } of moves) await mkdir(dirname(final), { recursive: true });
      await renameAllDurable(moves.map(({ temp, final }) => ({ source: temp, target: final })));
      return result;
    } catch (error) {
      for (const { temp } of staged) await unlink(temp).catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
        throw new S3Error(
          'KeyTooLongError',
          `Your key is too long for this local stack's file system: no segment between slashes may be longer than about ${255 - '._S3rver_metadata.json'.length} bytes`,
          { Key: key.slice(0, 100) },
        );
      }
      throw error;
    }
  };
  const getMetadata = prototype.getMetadata!;
  prototype.getMetadata = async function (this: unknown, bucket: unknown, key: unknown) {
    const store = this as Store;
    let metadata: { etag?: string } | undefined;
    try {
      metadata = (await getMetadata.call(store, bucket, key)) as { etag?: string };
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      await unlink(store.getResourcePath(String(bucket), String(key), 'metadata.json')).catch(ignoreMissing);
      metadata = (await getMetadata.call(store, bucket, key)) as { etag?: string };
    }
    if (!/^"[0-9a-f]{32}(-\d+)?"$/.test(metadata.etag ?? '')) {
      await unlink(store.getResourcePath(String(bucket), String(key), 'object.md5')).catch(ignoreMissing);
      metadata = (await getMetadata.call(store, bucket, key)) as { etag?: string };
    }
    return metadata;
  };
}

/**
 * s3rver maps `bucket/key` straight onto `path.join(directory, bucket, ...key.split('/'))`, so a key
 * with `..` segments (`../../x`, also sent as `%2E%2E`) or a bucket named `..` reads, writes and
 * deletes outside the data directory. S3 allows such keys, so they are stored, not refused: a `.`
 * or `..` segment is written as `&2e` per dot (and `&` itself as `&26`, so the mapping stays
 * reversible). Bucket names that are not plain names are not buckets (NoSuchBucket).
 */
function confineToDirectory(): void {
  const Store = require('s3rver/lib/stores/filesystem') as {
    encodeKeyPath(key: string): string;
    decodeKeyPath(path: string): string;
    prototype: Record<string, (this: unknown, bucket: string, ...rest: unknown[]) => unknown>;
  };
  const encode = Store.encodeKeyPath.bind(Store);
  const decode = Store.decodeKeyPath.bind(Store);
  Store.encodeKeyPath = (key: string) =>
    encode(
      key
        .replace(/&/g, '&26')
        .split('/')
        .map((segment) => (segment === '.' || segment === '..' ? segment.replace(/\./g, '&2e') : segment))
        .join('/'),
    );
  Store.decodeKeyPath = (path: string) =>
    decode(path).replace(/&(2e|26)/gi, (_, hex: string) => (hex === '26' ? '&' : '.'));
  const plainBucket = (name: unknown) =>
    typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(name) && !name.includes('..');
  const S3Error = require('s3rver/lib/models/error') as new (
    code: string,
    message: string,
    detail?: Record<string, string>,
  ) => Error;
  const { prototype } = Store;
  const getBucket = prototype.getBucket!;
  prototype.getBucket = function (this: unknown, bucket: string, ...rest: unknown[]) {
    return plainBucket(bucket) ? getBucket.call(this, bucket, ...rest) : Promise.resolve(null);
  };
  for (const method of ['getBucketPath', 'getResourcePath'] as const) {
    const original = prototype[method]!;
    prototype[method] = function (this: unknown, bucket: string, ...rest: unknown[]) {
      if (!plainBucket(bucket)) {
        throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
      }
      return original.call(this, bucket, ...rest);
    };
  }
  // s3rver's deleteObject removes emptied directories along the *raw* key's path: use the encoded one.
  prototype.deleteObject = async function (this: unknown, bucket: string, ...rest: unknown[]) {
    const key = String(rest[0]);
    const store = this as Record<string, (...args: unknown[]) => string>;
    for (const resource of ['object', 'object.md5', 'metadata.json']) {
      await unlink(store.getResourcePath!.call(this, bucket, key, resource)).catch(ignoreMissing);
    }
    const bucketPath = store.getBucketPath!.call(this, bucket);
    const parts = Store.encodeKeyPath(key).split('/');
    parts.pop();
    while (parts.length > 0) {
      const dir = join(bucketPath, ...parts);
      const entries = await readdir(dir).catch(() => undefined);
      if (!entries || entries.length > 0) break;
      await rmdir(dir).catch(ignoreMissing);
      parts.pop();
    }
  };
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

export interface S3ObjectEventData {
  bucket: string;
  key: string;
  eventName: string;
  size?: number;
  eTag?: string;
}

export interface LocalS3 {
  server: S3rver;
  port: number;
  close(): Promise<void>;
}

export interface LocalS3Options {
  directory: string;
  buckets: string[];
  host?: string;
  port?: number;
  /** Called for every object s3rver stores or removes (s3rver's event data, not yet S3-shaped). */
  onEvent?: (event: S3ObjectEventData) => void;
}

interface S3rverEvent {
  Records: Array<{
    eventName: string;
    s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
  }>;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  patchS3rver();
  const server = new S3rver({
    address: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  if (options.onEvent) {
    const onEvent = options.onEvent;
    (server as unknown as NodeJS.EventEmitter).on('event', (event: S3rverEvent) => {
      for (const record of event.Records) {
        const data: S3ObjectEventData = {
          bucket: record.s3.bucket.name,
          key: record.s3.object.key,
          eventName: record.eventName,
        };
        if (record.s3.object.size !== undefined) data.size = record.s3.object.size;
        if (record.s3.object.eTag) data.eTag = record.s3.object.eTag;
        onEvent(data);
      }
    });
  }
  const address = (await server.run()) as AddressInfo;
  return {
    server,
    port: address.port,
    close: () => server.close() as Promise<void>,
  };
}
