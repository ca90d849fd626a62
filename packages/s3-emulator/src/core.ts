import { DEFAULT_REGION, MAX_KEY_BYTES, NULL_VERSION, S3_XMLNS } from './constants.ts';
import { invalidArgument, noSuchBucket, noSuchKey, noSuchVersion, S3Error } from './errors.ts';
import {
  type Ctx,
  checkWriteConditions,
  iso,
  keyState,
  newVersionId,
  VERSION_ID,
  type WriteConditions,
} from './http-helpers.ts';
import {
  type BatchOp,
  type BucketRecord,
  bucketKey,
  type ObjectRecord,
  objectKey,
  type Storage,
  type VersionRecord,
} from './storage.ts';
import type { S3EmulatorOptions, S3ObjectEvent, VersioningState } from './types.ts';
import { renderXml, type XmlNode } from './xml.ts';

/**
 * The state every S3 handler shares (options, storage) and the helpers over it: responses, the
 * bucket lookup, key checks, and committing or resolving an object version.
 */
export function createCore(options: S3EmulatorOptions, storage: Storage) {
  const region = options.region ?? DEFAULT_REGION;
  const maxKeyBytes = options.maxKeyBytes ?? MAX_KEY_BYTES;
  const now = options.now ?? Date.now;

  const emit = (
    ctx: Ctx,
    event: Omit<S3ObjectEvent, 'eventTime' | 'region' | 'requestId' | 'sourceIpAddress'>,
  ) => {
    if (!options.onObjectEvent) return;
    const full: S3ObjectEvent = {
      ...event,
      eventTime: iso(now()),
      region,
      requestId: ctx.requestId,
      sourceIpAddress: ctx.req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    };
    try {
      options.onObjectEvent(full);
    } catch (error) {
      if (options.onEventError) options.onEventError(error, full);
      else
        process.emitWarning(
          `S3 emulator: onObjectEvent threw for ${full.eventName} ${full.bucket}/${full.key}: ${String(error)}`,
        );
    }
  };

  async function getBucket(name: string): Promise<BucketRecord> {
    const bucket = await storage.get<BucketRecord>(bucketKey(name));
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  function send(
    ctx: Ctx,
    status: number,
    headers: Record<string, string | number>,
    body?: string | Buffer,
  ): void {
    ctx.res.writeHead(status, {
      'x-amz-request-id': ctx.requestId,
      'x-amz-id-2': ctx.hostId,
      ...headers,
      ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}),
    });
    ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
  }

  function sendXml(ctx: Ctx, root: string, children: XmlNode[], headers: Record<string, string> = {}): void {
    send(ctx, 200, { 'content-type': 'application/xml', ...headers }, renderXml(root, children, S3_XMLNS));
  }

  function sendError(ctx: Ctx, error: S3Error): void {
    const body =
      ctx.method === 'HEAD' || error.status === 304
        ? undefined
        : renderXml('Error', [
            ['Code', error.code],
            ['Message', error.message],
            ...Object.entries(error.fields)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]): XmlNode => [k, String(v)]),
            ['RequestId', ctx.requestId],
            ['HostId', ctx.hostId],
          ]);
    send(
      ctx,
      error.status,
      { ...(body ? { 'content-type': 'application/xml' } : {}), ...error.headers },
      body ?? '',
    );
  }

  function checkKey(ctx: Ctx): string {
    const key = ctx.key!;
    const size = Buffer.byteLength(key, 'utf8');
    if (size > maxKeyBytes) {
      throw new S3Error('KeyTooLongError', 400, 'Your key is too long', {
        Size: size,
        MaxSizeAllowed: maxKeyBytes,
      });
    }
    return key;
  }

  /** Stores a new version under the bucket's versioning state; returns what the response and event need. */
  async function commitVersion(
    bucketName: string,
    key: string,
    version: Omit<VersionRecord, 'versionId'>,
    conditions?: WriteConditions,
    extraOps: BatchOp[] = [],
    stateAtUploadStart?: string,
    /** Emits the event inside the key's lock, so that events of one key leave in commit order. */
    announce?: (committed: { versionId: string; sequencer: string }) => void,
  ) {
    return storage.withLock(`${bucketName}\0${key}`, async () => {
      const bucket = await getBucket(bucketName);
      const dbKey = objectKey(bucketName, key);
      const record = (await storage.get<ObjectRecord>(dbKey)) ?? { versions: [] };
      const conditional = conditions && (conditions.ifMatch !== undefined || conditions.ifNoneMatch);
      // A conditional CompleteMultipartUpload whose key was written or deleted since
      // CreateMultipartUpload conflicts, even if the condition holds now (section 3.2).
      if (conditional && stateAtUploadStart !== undefined && keyState(record) !== stateAtUploadStart) {
        throw new S3Error(
          'ConditionalRequestConflict',
          409,
          'The conditional request cannot succeed due to a conflicting operation against this resource.',
          { Condition: conditions.ifMatch !== undefined ? 'If-Match' : 'If-None-Match', Key: key },
        );
      }
      if (conditions) checkWriteConditions(conditions, record.versions[0], key);
      const versionId = bucket.versioning === 'Enabled' ? newVersionId() : NULL_VERSION;
      const removed =
        bucket.versioning === 'Enabled' ? [] : record.versions.filter((v) => v.versionId === NULL_VERSION);
      const stored: VersionRecord = { ...version, versionId };
      record.versions = [stored, ...record.versions.filter((v) => !removed.includes(v))];
      const { sequencer, op } = storage.nextSequencer(now());
      await storage.batch([{ type: 'put', key: dbKey, value: { ...record, sequencer } }, op, ...extraOps]);
      announce?.({ versionId, sequencer });
      await storage.removeBlobs(removed.map((v) => v.blob));
      return { versionId, sequencer, versioning: bucket.versioning };
    });
  }

  function versionHeader(versioning: VersioningState, versionId: string): Record<string, string> {
    return versioning === 'Unversioned' ? {} : { 'x-amz-version-id': versionId };
  }

  function eventVersionId(versionId: string) {
    return versionId === NULL_VERSION ? {} : { versionId };
  }

  function validVersionId(value: string): string {
    if (value !== NULL_VERSION && !VERSION_ID.test(value)) {
      throw invalidArgument('Invalid version id specified', 'versionId', value);
    }
    return value;
  }

  /** The version a GET/HEAD/COPY names; throws S3's errors for missing keys, versions and delete markers. */
  async function resolveVersion(
    bucket: BucketRecord,
    key: string,
    versionId: string | undefined,
    method: string,
  ) {
    const record = await storage.get<ObjectRecord>(objectKey(bucket.name, key));
    if (versionId === undefined) {
      const current = record?.versions[0];
      if (!current) throw noSuchKey(key);
      if (current.deleteMarker) {
        throw noSuchKey(key, {
          'x-amz-delete-marker': 'true',
          ...versionHeader(bucket.versioning, current.versionId),
        });
      }
      return current;
    }
    const version = record?.versions.find((v) => v.versionId === versionId);
    if (!version) throw noSuchVersion(key, versionId);
    if (version.deleteMarker) {
      throw new S3Error(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
        { Method: method, ResourceType: 'DeleteMarker' },
        {
          'x-amz-delete-marker': 'true',
          'x-amz-version-id': version.versionId,
          'last-modified': new Date(version.lastModified).toUTCString(),
        },
      );
    }
    return version;
  }

  return {
    region,
    maxKeyBytes,
    now,
    storage,
    emit,
    getBucket,
    send,
    sendXml,
    sendError,
    checkKey,
    commitVersion,
    versionHeader,
    eventVersionId,
    validVersionId,
    resolveVersion,
  };
}

export type S3Core = ReturnType<typeof createCore>;
