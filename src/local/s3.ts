import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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
